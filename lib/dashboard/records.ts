/**
 * What the dashboard reads from the forecasts and estimates topics: the
 * forecaster's own records, parsed with the schemas of lib/records (the one
 * contract writer and readers share) and normalised for the page. A message
 * that does not fit is counted as unreadable, never shown half-parsed. See
 * docs/dashboard.md.
 *
 * @module
 */
import {
  EstimateRecordSchema,
  forecastRows,
  ForecastSetSchema,
  type MeasurementField,
} from "../records/mod.ts";

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
  /** The offline (walk-forward) MAE of this model at this target and horizon; not sent yet. */
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

/**
 * Parses one forecasts-topic message (a forecast set: every target and horizon
 * of one reading); null when it is not a forecast set. Forecasts without a
 * value (nothing observed yet, no model) are left out.
 */
export function parseForecastSet(value: unknown): Forecast[] | null {
  const parsed = ForecastSetSchema.safeParse(value);
  if (!parsed.success) return null;
  const issued = Date.parse(parsed.data.ts);
  const out: Forecast[] = [];
  for (const f of forecastRows(parsed.data)) {
    if (f.value === null) continue;
    out.push({
      station_id: f.station_id,
      field: f.field,
      horizon_h: f.horizon_h,
      value: f.value,
      lower: f.interval?.lower ?? null,
      upper: f.interval?.upper ?? null,
      issued_ms: issued,
      target_ms: Date.parse(f.target_ts),
      model_version: f.model_version,
      baseline: f.baseline,
      expected_mae: null,
    });
  }
  return out;
}

/** Parses one estimates-topic message; null when it is not an estimate record. */
export function parseEstimate(value: unknown): Estimate | null {
  const parsed = EstimateRecordSchema.safeParse(value);
  if (!parsed.success) return null;
  const e = parsed.data;
  return {
    station_id: e.station_id,
    field: e.field,
    ts_ms: Date.parse(e.ts),
    value: e.value,
    lower: e.interval.lower,
    upper: e.interval.upper,
    model_version: e.model_version,
  };
}
