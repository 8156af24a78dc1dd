/**
 * What the dashboard reads from the forecasts and estimates topics. The
 * forecaster (issue 5) does not exist yet, so these schemas are deliberately
 * tolerant: they name the fields the dashboard needs and let any others
 * through, and accept a target as our field name (`no2_ug_m3`) or as the
 * source column (`NO2(GT)`). A message that does not fit is counted as
 * unreadable, never shown half-parsed. See docs/dashboard.md.
 *
 * @module
 */
import { z } from "zod";
import { COLUMNS, IsoTimestamp, type MeasurementField } from "../records/mod.ts";

const finite = z.number().finite();

/** A prediction interval, as `{lower, upper}` or `{lo, hi}`, with its nominal level. */
const IntervalSchema = z.union([
  z.looseObject({ lower: finite, upper: finite, level: finite.optional() }),
  z.looseObject({ lo: finite, hi: finite, level: finite.optional() }),
]);

/** A forecast record as the dashboard reads it. */
export const ForecastMessageSchema = z.looseObject({
  station_id: z.string().min(1).max(64),
  target: z.string().min(1),
  horizon_h: z.number().int().min(0).max(24 * 14),
  value: finite,
  /** The time the features describe (the reading the forecast was made from). */
  ts: IsoTimestamp,
  /** The hour forecast; `ts + horizon_h` when absent. */
  target_ts: IsoTimestamp.optional(),
  interval: IntervalSchema.optional(),
  lower: finite.optional(),
  upper: finite.optional(),
  model_version: z.string().optional(),
  /** True while the features warm up and a baseline stands in for the model. */
  baseline: z.boolean().optional(),
  /** The offline (walk-forward) MAE of this model at this target and horizon, when sent. */
  expected_mae: finite.optional(),
});

/** A virtual-sensor estimate as the dashboard reads it. */
export const EstimateMessageSchema = z.looseObject({
  station_id: z.string().min(1).max(64),
  target: z.string().min(1),
  ts: IsoTimestamp,
  value: finite,
  interval: IntervalSchema.optional(),
  lower: finite.optional(),
  upper: finite.optional(),
  model_version: z.string().optional(),
});

/** A forecast, normalised. */
export interface Forecast {
  station_id: string;
  field: MeasurementField;
  horizon_h: number;
  value: number;
  lower: number | null;
  upper: number | null;
  /** Features time, epoch ms. */
  issued_ms: number;
  /** The hour forecast, epoch ms. */
  target_ms: number;
  model_version: string | null;
  baseline: boolean;
  expected_mae: number | null;
}

/** A virtual-sensor estimate, normalised. */
export interface Estimate {
  station_id: string;
  field: MeasurementField;
  ts_ms: number;
  value: number;
  lower: number | null;
  upper: number | null;
  model_version: string | null;
}

/** Our field name for a target given as a field name or a source column; null if unknown. */
export function targetField(target: string): MeasurementField | null {
  const column = COLUMNS.find((c) => c.field === target || c.source === target);
  return column?.field ?? null;
}

function interval(
  m: { interval?: unknown; lower?: number | undefined; upper?: number | undefined },
): [number | null, number | null] {
  const i = m.interval as { lower?: number; upper?: number; lo?: number; hi?: number } | undefined;
  if (i !== undefined) return [i.lower ?? i.lo ?? null, i.upper ?? i.hi ?? null];
  return [m.lower ?? null, m.upper ?? null];
}

/** Parses one forecasts-topic message; null when it is not a forecast the dashboard can show. */
export function parseForecast(value: unknown): Forecast | null {
  const parsed = ForecastMessageSchema.safeParse(value);
  if (!parsed.success) return null;
  const m = parsed.data;
  const field = targetField(m.target);
  if (field === null) return null;
  const issued = Date.parse(m.ts);
  const target = m.target_ts === undefined
    ? issued + m.horizon_h * 3_600_000
    : Date.parse(m.target_ts);
  const [lower, upper] = interval(m);
  return {
    station_id: m.station_id,
    field,
    horizon_h: m.horizon_h,
    value: m.value,
    lower,
    upper,
    issued_ms: issued,
    target_ms: target,
    model_version: m.model_version ?? null,
    baseline: m.baseline ?? false,
    expected_mae: m.expected_mae ?? null,
  };
}

/** Parses one estimates-topic message; null when it is not an estimate the dashboard can show. */
export function parseEstimate(value: unknown): Estimate | null {
  const parsed = EstimateMessageSchema.safeParse(value);
  if (!parsed.success) return null;
  const m = parsed.data;
  const field = targetField(m.target);
  if (field === null) return null;
  const [lower, upper] = interval(m);
  return {
    station_id: m.station_id,
    field,
    ts_ms: Date.parse(m.ts),
    value: m.value,
    lower,
    upper,
    model_version: m.model_version ?? null,
  };
}
