/**
 * The records the real-time forecaster publishes: one forecast per reading,
 * target and horizon on the forecasts topic, and a virtual-sensor estimate per
 * missing reference value on the estimates topic (docs/realtime.md).
 *
 * @module
 */
import type { SourcePosition } from "./clean.ts";

export type { SourcePosition };

/** The four forecast targets, as source columns. */
export type ForecastTarget = "CO(GT)" | "NOx(GT)" | "NO2(GT)" | "C6H6(GT)";

/** The reading field of each target. */
export type ForecastField = "co_mg_m3" | "nox_ppb" | "no2_ug_m3" | "c6h6_ug_m3";

/** Version of the forecast and estimate record formats. */
export const FORECAST_SCHEMA_VERSION = 1;

/** A 90 % prediction interval. */
export interface Interval {
  lower: number;
  upper: number;
  level: 0.9;
  /** `artifact` (conformal half-width saved with the model), `evaluation` (walk-forward residuals) or `fallback`. */
  source: "artifact" | "evaluation" | "fallback";
}

/** One forecast, as published on the forecasts topic (docs/realtime.md). */
export interface ForecastRecord {
  schema_version: 1;
  kind: "forecast";
  /** `station|ts|target|horizon`: one per reading, target and horizon. */
  forecast_id: string;
  station_id: string;
  target: ForecastTarget;
  field: ForecastField;
  horizon_h: number;
  /** The forecast; null only when nothing was ever observed for the target and no model exists. */
  value: number | null;
  interval: Interval | null;
  /** The time the features describe (the reading's own `ts`). */
  ts: string;
  /** `ts + horizon_h`, station time. */
  target_ts: string;
  model_version: string;
  /** True when a baseline stands in for the model. */
  baseline: boolean;
  /** The baseline used, or null when the model forecast. */
  fallback: "persistence" | null;
  /** Why the baseline: `warming_up`, `no_model`, `late_or_duplicate`, `no_observation`. */
  fallback_reason: string | null;
  source: SourcePosition | null;
}

/** A virtual-sensor estimate of a missing reference value, on the estimates topic. */
export interface EstimateRecord {
  schema_version: 1;
  kind: "estimate";
  estimated: true;
  estimate_id: string;
  station_id: string;
  target: ForecastTarget;
  field: ForecastField;
  ts: string;
  value: number;
  interval: Interval;
  model_version: string;
  source: SourcePosition | null;
}
