/**
 * The reading record: one station's measurements for one hour, as the station
 * sent them. A value the station reported as missing (`-200` in the UCI file)
 * is `null` here, never a number and never imputed.
 *
 * @module
 */
import { z } from "zod";

/** One measured column of the UCI file: its source name, our field name, its unit. */
export interface ColumnSpec {
  /** Column header in the UCI CSV, e.g. `CO(GT)`. */
  readonly source: string;
  /** Field name in airq records; the unit is part of the name. */
  readonly field: MeasurementField;
  /** Human-readable unit. */
  readonly unit: string;
  /** `reference` analyser, cheap metal-oxide `sensor`, or `weather`. */
  readonly kind: "reference" | "sensor" | "weather";
}

/** Field names of the 13 measured columns, in file order. Units are in the names. */
export const MEASUREMENT_FIELDS = [
  "co_mg_m3",
  "pt08_s1_co",
  "nmhc_ug_m3",
  "c6h6_ug_m3",
  "pt08_s2_nmhc",
  "nox_ppb",
  "pt08_s3_nox",
  "no2_ug_m3",
  "pt08_s4_no2",
  "pt08_s5_o3",
  "t_c",
  "rh_pct",
  "ah",
] as const;

/** A field name of one measured column. */
export type MeasurementField = typeof MEASUREMENT_FIELDS[number];

/** The 13 measured columns of the UCI file, in file order (after `Date` and `Time`). */
export const COLUMNS: readonly ColumnSpec[] = [
  { source: "CO(GT)", field: "co_mg_m3", unit: "mg/m³", kind: "reference" },
  { source: "PT08.S1(CO)", field: "pt08_s1_co", unit: "sensor units", kind: "sensor" },
  { source: "NMHC(GT)", field: "nmhc_ug_m3", unit: "µg/m³", kind: "reference" },
  { source: "C6H6(GT)", field: "c6h6_ug_m3", unit: "µg/m³", kind: "reference" },
  { source: "PT08.S2(NMHC)", field: "pt08_s2_nmhc", unit: "sensor units", kind: "sensor" },
  { source: "NOx(GT)", field: "nox_ppb", unit: "ppb", kind: "reference" },
  { source: "PT08.S3(NOx)", field: "pt08_s3_nox", unit: "sensor units", kind: "sensor" },
  { source: "NO2(GT)", field: "no2_ug_m3", unit: "µg/m³", kind: "reference" },
  { source: "PT08.S4(NO2)", field: "pt08_s4_no2", unit: "sensor units", kind: "sensor" },
  { source: "PT08.S5(O3)", field: "pt08_s5_o3", unit: "sensor units", kind: "sensor" },
  { source: "T", field: "t_c", unit: "°C", kind: "weather" },
  { source: "RH", field: "rh_pct", unit: "%", kind: "weather" },
  { source: "AH", field: "ah", unit: "as in source (undocumented)", kind: "weather" },
];

/** Measurements of one hour; `null` means the station reported the value as missing. */
export type Measurements = Record<MeasurementField, number | null>;

const measurementShape = Object.fromEntries(
  MEASUREMENT_FIELDS.map((f) => [f, z.number().finite().nullable()]),
) as Record<MeasurementField, z.ZodNullable<z.ZodNumber>>;

/** Schema of a reading's measurements: every field present, a finite number or null. */
export const MeasurementsSchema: z.ZodObject<typeof measurementShape> = z.strictObject(
  measurementShape,
);

const ISO_TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})$/;
const STATION_ID_RE = /^[A-Za-z0-9._-]+$/;

/** ISO 8601 timestamp with an explicit offset, e.g. `2004-03-10T18:00:00+01:00`. */
export const IsoTimestamp: z.ZodString = z.string().regex(
  ISO_TIMESTAMP_RE,
  "must be an ISO 8601 timestamp with an offset, like 2004-03-10T18:00:00+01:00",
);

/** Version of the reading schema carried in every message. */
export const READING_SCHEMA_VERSION = 1;

/** Schema of a reading as it travels on the raw topic. */
export const ReadingSchema = z.strictObject({
  schema_version: z.literal(READING_SCHEMA_VERSION),
  station_id: z.string().min(1).max(64).regex(
    STATION_ID_RE,
    "must be letters, digits, '.', '_' or '-'",
  ),
  /** Event time: the hour the measurements describe, local station time with its offset. */
  ts: IsoTimestamp,
  measurements: MeasurementsSchema,
  /** Wall-clock time the producer sent it (for latency measurements); optional. */
  produced_at: IsoTimestamp.optional(),
});

/** A reading as it travels on the raw topic. */
export type Reading = z.infer<typeof ReadingSchema>;

const MEASUREMENT_FIELD_SET: ReadonlySet<string> = new Set(MEASUREMENT_FIELDS);

/**
 * The hot path's shortcut to {@linkcode ReadingSchema}: true when `json` (a value
 * `JSON.parse` returned) has exactly the shape the schema accepts, checked by
 * hand without allocating. It never says yes where the schema says no (a property
 * test holds it to that), so a caller can take the value as a `Reading` on true and
 * ask the schema on false: refusals, and their wording, stay the schema's.
 * It may say no to a value the schema would accept; none of the producer's do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchesReadingShape, MEASUREMENT_FIELDS } from "./reading.ts";
 * const measurements = Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, null]));
 * const ts = "2004-03-10T18:00:00+01:00";
 * const r = { schema_version: 1, station_id: "s1", ts, measurements };
 * assert.equal(matchesReadingShape(r), true);
 * assert.equal(matchesReadingShape({ ...r, station_id: "" }), false);
 * ```
 */
export function matchesReadingShape(json: unknown): json is Reading {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return false;
  const o = json as Record<string, unknown>;
  let keys = 0;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) return false;
    keys++;
    if (
      k !== "schema_version" && k !== "station_id" && k !== "ts" && k !== "measurements" &&
      k !== "produced_at"
    ) return false;
  }
  if (keys < 4 || o.schema_version !== READING_SCHEMA_VERSION) return false;
  const id = o.station_id;
  if (typeof id !== "string" || id.length > 64 || !STATION_ID_RE.test(id)) return false;
  if (typeof o.ts !== "string" || !ISO_TIMESTAMP_RE.test(o.ts)) return false;
  if (keys === 5) {
    const at = o.produced_at;
    if (typeof at !== "string" || !ISO_TIMESTAMP_RE.test(at)) return false;
  }
  const m = o.measurements;
  if (typeof m !== "object" || m === null || Array.isArray(m)) return false;
  let fields = 0;
  for (const k in m) {
    if (!Object.hasOwn(m, k) || !MEASUREMENT_FIELD_SET.has(k)) return false;
    const v = (m as Record<string, unknown>)[k];
    if (v !== null && (typeof v !== "number" || !Number.isFinite(v))) return false;
    fields++;
  }
  return fields === MEASUREMENT_FIELDS.length;
}
