/**
 * The records the real-time forecaster publishes, with their zod schemas: the
 * one contract that the forecaster (writer) and every reader (store,
 * dashboard, alerts, monitoring, benchmarks, reports) import.
 *
 * - **Forecast set** (`kind: "forecast_set"`), on the forecasts topic: ONE
 *   record per reading, holding every target x horizon forecast made from it
 *   (value, 90 % interval, which model made it, or why a baseline stood in),
 *   the model versions, the reading's source position and the issue time.
 *   Model versions are long strings, so the set lists each distinct one once
 *   (`models`) and each forecast names its own by index (`model`).
 * - **Forecast** (`kind: "forecast"`): one target and horizon of a set with
 *   the set's head, the row the store keeps and the alerter and monitor read.
 *   {@linkcode forecastRows} expands a set into its rows and
 *   {@linkcode forecastSetOf} packs a reading's rows into its set; the two are
 *   inverse (tested), so a row is a view of the set, not a second contract.
 * - **Estimate** (`kind: "estimate"`), on the estimates topic: a
 *   virtual-sensor estimate of a missing reference value.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { z } from "zod";
import { type SourcePosition, SourcePositionSchema } from "./clean.ts";
import { IsoTimestamp } from "./reading.ts";

export type { SourcePosition };

/** The four forecast targets, as source columns, with the reading field of each. */
export const FORECAST_TARGETS = [
  { target: "CO(GT)", field: "co_mg_m3" },
  { target: "NOx(GT)", field: "nox_ppb" },
  { target: "NO2(GT)", field: "no2_ug_m3" },
  { target: "C6H6(GT)", field: "c6h6_ug_m3" },
] as const;

/** A forecast target, as its source column. */
export const ForecastTargetSchema = z.enum(["CO(GT)", "NOx(GT)", "NO2(GT)", "C6H6(GT)"]);

/** A forecast target, as its source column. */
export type ForecastTarget = z.infer<typeof ForecastTargetSchema>;

/** The reading field of a target. */
export const ForecastFieldSchema = z.enum(["co_mg_m3", "nox_ppb", "no2_ug_m3", "c6h6_ug_m3"]);

/** The reading field of a target. */
export type ForecastField = z.infer<typeof ForecastFieldSchema>;

const FIELD_OF = new Map<string, ForecastField>(FORECAST_TARGETS.map((t) => [t.target, t.field]));

/** The reading field of a target. */
export function fieldOfTarget(target: ForecastTarget): ForecastField {
  return FIELD_OF.get(target)!;
}

/** Version of the forecast (row) and estimate record formats. */
export const FORECAST_SCHEMA_VERSION = 1;

/** Version of the forecast set format. */
export const FORECAST_SET_SCHEMA_VERSION = 1;

/** The nominal level of every interval. */
export const INTERVAL_LEVEL = 0.9;

/** Where an interval's half-width comes from. */
export const IntervalSourceSchema = z.enum(["artifact", "evaluation", "fallback"]);

const finite = z.number().finite();

/** A 90 % prediction interval. */
export const IntervalSchema = z.strictObject({
  lower: finite,
  upper: finite,
  level: z.literal(INTERVAL_LEVEL),
  /** `artifact` (conformal half-width saved with the model), `evaluation` (walk-forward residuals) or `fallback`. */
  source: IntervalSourceSchema,
});

/** A 90 % prediction interval. */
export type Interval = z.infer<typeof IntervalSchema>;

/** Why a baseline stands in for the model. */
export const FALLBACK_REASONS = [
  "warming_up",
  "no_model",
  "no_model_for_target",
  "model_not_finite",
  "late_or_duplicate",
  "no_observation",
] as const;

const FallbackReasonSchema = z.enum(FALLBACK_REASONS);

/** One target and horizon inside a forecast set. */
export const SetForecastSchema = z.strictObject({
  target: ForecastTargetSchema,
  horizon_h: z.number().int().min(1).max(24 * 14),
  /** `ts + horizon_h`, station time. */
  target_ts: IsoTimestamp,
  /** The forecast; null only when nothing was ever observed for the target and no model exists. */
  value: finite.nullable(),
  /** The 90 % interval; null exactly when `value` is. */
  lower: finite.nullable(),
  upper: finite.nullable(),
  interval_source: IntervalSourceSchema.nullable(),
  /** Index into the set's `models`: the model version that made this forecast. */
  model: z.number().int().min(0),
  /** Null when the model forecast; otherwise why the persistence baseline stands in. */
  fallback_reason: FallbackReasonSchema.nullable(),
});

/** One target and horizon inside a forecast set. */
export type SetForecast = z.infer<typeof SetForecastSchema>;

/** The forecasts-topic record: every forecast made from one reading. */
export const ForecastSetSchema = z.strictObject({
  schema_version: z.literal(FORECAST_SET_SCHEMA_VERSION),
  kind: z.literal("forecast_set"),
  /** `station|ts`: one set per reading. */
  set_id: z.string().min(3),
  station_id: z.string().min(1),
  /** The time the features describe (the reading's own `ts`). */
  ts: IsoTimestamp,
  /** When the forecaster made the set (wall clock, UTC). */
  issued_at: IsoTimestamp,
  /** The distinct model versions of the set's forecasts (`persistence` for the baseline). */
  models: z.array(z.string().min(1)).min(1),
  forecasts: z.array(SetForecastSchema).min(1),
  /** The reading's raw message. */
  source: SourcePositionSchema.nullable(),
}).superRefine((set, ctx) => {
  if (set.set_id !== `${set.station_id}|${set.ts}`) {
    ctx.addIssue({ code: "custom", path: ["set_id"], message: "must be station_id|ts" });
  }
  const seen = new Set<string>();
  set.forecasts.forEach((f, i) => {
    const key = `${f.target}|${f.horizon_h}`;
    if (seen.has(key)) {
      ctx.addIssue({ code: "custom", path: ["forecasts", i], message: `${key} appears twice` });
    }
    seen.add(key);
    if (f.model >= set.models.length) {
      ctx.addIssue({
        code: "custom",
        path: ["forecasts", i, "model"],
        message: `must index models (0..${set.models.length - 1})`,
      });
    }
    const nulls = [f.value, f.lower, f.upper, f.interval_source].filter((v) => v === null).length;
    if (nulls !== 0 && nulls !== 4) {
      ctx.addIssue({
        code: "custom",
        path: ["forecasts", i],
        message: "value, lower, upper and interval_source are all null or none is",
      });
    }
  });
});

/** The forecasts-topic record: every forecast made from one reading. */
export type ForecastSet = z.infer<typeof ForecastSetSchema>;

/** One forecast (a row of a set with the set's head), as the store keeps it. */
export const ForecastRecordSchema = z.strictObject({
  schema_version: z.literal(FORECAST_SCHEMA_VERSION),
  kind: z.literal("forecast"),
  /** `station|ts|target|horizon`: one per reading, target and horizon. */
  forecast_id: z.string().min(1),
  station_id: z.string().min(1),
  target: ForecastTargetSchema,
  field: ForecastFieldSchema,
  horizon_h: z.number().int().min(1),
  value: finite.nullable(),
  interval: IntervalSchema.nullable(),
  ts: IsoTimestamp,
  target_ts: IsoTimestamp,
  model_version: z.string(),
  /** True when a baseline stands in for the model. */
  baseline: z.boolean(),
  /** The baseline used, or null when the model forecast. */
  fallback: z.literal("persistence").nullable(),
  fallback_reason: z.string().nullable(),
  source: SourcePositionSchema.nullable(),
});

/** One forecast (a row of a set with the set's head), as the store keeps it. */
export type ForecastRecord = z.infer<typeof ForecastRecordSchema>;

/** A virtual-sensor estimate of a missing reference value, on the estimates topic. */
export const EstimateRecordSchema = z.strictObject({
  schema_version: z.literal(FORECAST_SCHEMA_VERSION),
  kind: z.literal("estimate"),
  estimated: z.literal(true),
  /** `station|ts|target`. */
  estimate_id: z.string().min(1),
  station_id: z.string().min(1),
  target: ForecastTargetSchema,
  field: ForecastFieldSchema,
  ts: IsoTimestamp,
  value: finite,
  interval: IntervalSchema,
  model_version: z.string(),
  source: SourcePositionSchema.nullable(),
});

/** A virtual-sensor estimate of a missing reference value, on the estimates topic. */
export type EstimateRecord = z.infer<typeof EstimateRecordSchema>;

/**
 * The rows of a set, in the set's order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forecastRows } from "./forecast.ts";
 * const rows = forecastRows({
 *   schema_version: 1, kind: "forecast_set", set_id: "s1|2004-03-10T18:00:00+01:00",
 *   station_id: "s1", ts: "2004-03-10T18:00:00+01:00", issued_at: "2026-12-04T16:00:00.000Z",
 *   models: ["persistence"], source: null,
 *   forecasts: [{
 *     target: "CO(GT)", horizon_h: 1, target_ts: "2004-03-10T19:00:00+01:00", value: 2.5,
 *     lower: 2, upper: 3, interval_source: "evaluation", model: 0, fallback_reason: "warming_up",
 *   }],
 * });
 * assert.equal(rows[0]!.forecast_id, "s1|2004-03-10T18:00:00+01:00|CO(GT)|1");
 * assert.equal(rows[0]!.baseline, true);
 * ```
 */
export function forecastRows(set: ForecastSet): ForecastRecord[] {
  return set.forecasts.map((f) => ({
    schema_version: FORECAST_SCHEMA_VERSION,
    kind: "forecast",
    forecast_id: `${set.set_id}|${f.target}|${f.horizon_h}`,
    station_id: set.station_id,
    target: f.target,
    field: fieldOfTarget(f.target),
    horizon_h: f.horizon_h,
    value: f.value,
    interval: f.value === null || f.lower === null || f.upper === null ||
        f.interval_source === null
      ? null
      : { lower: f.lower, upper: f.upper, level: INTERVAL_LEVEL, source: f.interval_source },
    ts: set.ts,
    target_ts: f.target_ts,
    model_version: set.models[f.model]!,
    baseline: f.fallback_reason !== null,
    fallback: f.fallback_reason === null ? null : "persistence",
    fallback_reason: f.fallback_reason,
    source: set.source,
  }));
}

/**
 * The set of one reading's rows (all of the same station and `ts`, as the
 * engine makes them), issued at `issuedAt` (ISO). Throws when the rows do not
 * share a head, or a row is not what a set can carry.
 */
export function forecastSetOf(rows: readonly ForecastRecord[], issuedAt: string): ForecastSet {
  const first = rows[0];
  if (first === undefined) throw new RangeError("a forecast set needs at least one forecast");
  const models: string[] = [];
  const forecasts = rows.map((r): SetForecast => {
    if (r.station_id !== first.station_id || r.ts !== first.ts) {
      throw new RangeError(`forecast ${r.forecast_id} is not of ${first.station_id}|${first.ts}`);
    }
    let model = models.indexOf(r.model_version);
    if (model < 0) model = models.push(r.model_version) - 1;
    return {
      target: r.target,
      horizon_h: r.horizon_h,
      target_ts: r.target_ts,
      value: r.value,
      lower: r.interval?.lower ?? null,
      upper: r.interval?.upper ?? null,
      interval_source: r.interval?.source ?? null,
      model,
      fallback_reason: fallbackReasonOf(r),
    };
  });
  return {
    schema_version: FORECAST_SET_SCHEMA_VERSION,
    kind: "forecast_set",
    set_id: `${first.station_id}|${first.ts}`,
    station_id: first.station_id,
    ts: first.ts,
    issued_at: issuedAt,
    models,
    forecasts,
    source: first.source,
  };
}

function fallbackReasonOf(r: ForecastRecord): SetForecast["fallback_reason"] {
  if (r.fallback_reason === null) return null;
  const reason = FallbackReasonSchema.safeParse(r.fallback_reason);
  if (!reason.success) {
    throw new RangeError(`forecast ${r.forecast_id}: unknown fallback_reason ${r.fallback_reason}`);
  }
  return reason.data;
}

/**
 * The source position of a forecast set's JSON text, read without parsing
 * the whole record: the writer puts `source` last, so this looks at the
 * tail. For readers that only match sets to their readings while sharing the
 * CPU with what they measure (the real-time bench); anything else parses with
 * {@linkcode ForecastSetSchema}. Null when the tail is not a source position.
 */
export function forecastSetSource(json: string): SourcePosition | null {
  const at = json.lastIndexOf(SOURCE_MEMBER);
  if (at < 0) return null;
  try {
    const parsed = SourcePositionSchema.nullable().safeParse(
      JSON.parse(json.slice(at + SOURCE_MEMBER.length, -1)),
    );
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

const SOURCE_MEMBER = '"source":';
