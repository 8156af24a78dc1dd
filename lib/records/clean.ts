/**
 * The clean reading: what the consumer stores after validation. Units are in
 * the field names (see `COLUMNS`), timestamps are ISO 8601 with the station's
 * offset plus epoch milliseconds, and every value that is missing or was
 * rejected says so in `flags`.
 *
 * @module
 */
import { z } from "zod";
import {
  IsoTimestamp,
  MEASUREMENT_FIELDS,
  type MeasurementField,
  MeasurementsSchema,
} from "./reading.ts";

/**
 * Why a field carries a flag:
 * - `missing`: the station reported no value (`null`, or `-200` in the UCI file);
 * - `sentinel`: the message carried the literal `-200`; stored as missing;
 * - `implausible`: outside physical bounds; the value is removed (kept in `rejected`)
 *   or kept, as the rule set says;
 * - `atypical`: physically possible but outside the typical urban range; kept;
 * - `inconsistent`: breaks a cross-field check (e.g. NO2 above NOx); kept.
 */
export const FIELD_FLAGS = [
  "missing",
  "sentinel",
  "implausible",
  "atypical",
  "inconsistent",
] as const;

/** One field flag. */
export type FieldFlag = typeof FIELD_FLAGS[number];

/** Version of the clean reading schema. */
export const CLEAN_SCHEMA_VERSION = 1;

/** Where a message came from in Kafka. */
export const SourcePositionSchema = z.strictObject({
  topic: z.string(),
  partition: z.number().int().min(0),
  offset: z.string().regex(/^\d+$/),
});

/** Where a message came from in Kafka. */
export type SourcePosition = z.infer<typeof SourcePositionSchema>;

const flagsShape = Object.fromEntries(
  MEASUREMENT_FIELDS.map((f) => [f, z.array(z.enum(FIELD_FLAGS)).optional()]),
) as Record<MeasurementField, z.ZodOptional<z.ZodArray<z.ZodEnum<{ [K in FieldFlag]: K }>>>>;

const rejectedShape = Object.fromEntries(
  MEASUREMENT_FIELDS.map((f) => [f, z.number().optional()]),
) as Record<MeasurementField, z.ZodOptional<z.ZodNumber>>;

/** Schema of a clean reading. */
export const CleanReadingSchema = z.strictObject({
  schema_version: z.literal(CLEAN_SCHEMA_VERSION),
  station_id: z.string().min(1),
  /** Local station time with its offset. */
  ts: IsoTimestamp,
  /** The same instant, milliseconds since the Unix epoch (UTC). */
  ts_utc_ms: z.number().int(),
  /** Values after cleaning; `null` = missing or rejected. */
  measurements: MeasurementsSchema,
  /** Per-field flags; a field without flags is absent. */
  flags: z.strictObject(flagsShape),
  /** Original values of fields whose value was removed as implausible. */
  rejected: z.strictObject(rejectedShape),
  /** `outage` when every measurement is missing, `flagged` when any flag other than missing is set. */
  status: z.enum(["ok", "flagged", "outage"]),
  source: SourcePositionSchema,
});

/** A clean reading. */
export type CleanReading = z.infer<typeof CleanReadingSchema>;

/** A message the consumer could not accept, kept with its original bytes and the reason. */
export interface DeadLetter {
  source: SourcePosition;
  /** The message key as text (UTF-8, lossy), null when absent. */
  key: string | null;
  /** Short machine-readable reason, e.g. `invalid_json`, `schema`, `unknown_schema_version`. */
  reason: string;
  /** Human-readable detail: what was wrong, where, what is valid. */
  detail: string;
  /** The original message value, byte for byte (null when the value was null). */
  original: Uint8Array | null;
  /** When the consumer rejected it (ISO, wall clock). */
  rejected_at: string;
}
