/**
 * The real-time engine's settings and output (lib/realtime/engine.ts), in a module of their own so
 * the engine stays within its size.
 *
 * @module
 */
import type { EstimateRecord, ForecastRecord } from "../records/forecast.ts";

/** Settings of the engine. */
export interface EngineOptions {
  /** Station time offset from UTC, minutes (+01:00 = 60). */
  utcOffsetMin: number;
  /** Hours of history a station needs before the model replaces persistence. */
  warmupH: number;
  /**
   * Hours a station's SARIMA filters must have been fed before SARIMA joins the
   * blend (default {@linkcode DEFAULT_SARIMA_MIN_HOURS}). From `windowH` hours on
   * (1,000) its forecasts are exactly those `deno task evaluate` scored; before,
   * they are ctsa's on the shorter window.
   */
  sarimaMinHours?: number;
}

/** Default of {@linkcode EngineOptions.sarimaMinHours}: a week, seven daily cycles for the seasonal part. */
export const DEFAULT_SARIMA_MIN_HOURS = 168;

/** What one reading produced. */
export interface EngineOutput {
  forecasts: ForecastRecord[];
  estimates: EstimateRecord[];
}
