/**
 * Walk-forward SARIMA on one target: the timeline is cut into blocks of
 * `refitEveryH` hours aligned on `anchor`, like {@linkcode walkForward}; each
 * block's model is fitted on the `windowH` hours before the block starts, and
 * every origin t in the block forecasts 1..max(horizons) hours ahead from the
 * `windowH` hours ending at t, with the block's coefficients. Missing values
 * are filled causally for the state recursion only (`fillForState`); scoring
 * uses observed targets only.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import {
  fillForState,
  type SarimaEngine,
  type SarimaModel,
  type SarimaParams,
  seasonalNaiveForecast,
} from "../models/mod.ts";

/** Settings of one SARIMA walk-forward run. */
export interface SarimaWalkForwardOptions {
  readonly params: SarimaParams;
  /** Hours each fit (and each origin's state recursion) uses. */
  readonly windowH: number;
  readonly horizonsH: readonly number[];
  /** First and last target index (inclusive) to forecast. */
  readonly fromTarget: number;
  readonly toTarget: number;
  readonly anchor: number;
  readonly refitEveryH: number;
}

/** Forecasts by information index per horizon (`NaN` outside the run). */
export interface SarimaWalkForwardResult {
  readonly forecasts: Map<number, Float64Array>;
  readonly fits: number;
  /** Blocks whose fit failed; their origins fall back to the 24 h seasonal naive forecast. */
  readonly failedFits: number;
}

/** The SARIMA runs of every target: forecasts by information index per horizon, and counts. */
export interface SarimaRuns {
  readonly runs: Map<string, Map<number, Float64Array>>;
  readonly fits: number;
  readonly failedFits: number;
  /** Lines the C code printed (to the sink, never stdout). */
  readonly printedLines: number;
  /** Wall time of the run that computed them, s. */
  readonly seconds: number;
}

/** Runs SARIMA walk-forward on `y` (`NaN` = missing). */
export function sarimaWalkForward(
  engine: SarimaEngine,
  y: Float64Array,
  options: SarimaWalkForwardOptions,
): SarimaWalkForwardResult {
  const n = y.length;
  const maxH = Math.max(...options.horizonsH), minH = Math.min(...options.horizonsH);
  const forecasts = new Map(options.horizonsH.map((h) => [h, new Float64Array(n).fill(NaN)]));
  const filled = fillForState(y, options.params.s > 0 ? options.params.s : 24);
  const w = options.windowH;
  const firstInfo = Math.max(w - 1, options.fromTarget - maxH);
  const lastInfo = Math.min(n - 1 - minH, options.toTarget - minH);
  const cadence = options.refitEveryH;
  let fits = 0, failedFits = 0;
  for (let k = Math.floor((firstInfo - options.anchor) / cadence);; k++) {
    const blockStart = options.anchor + k * cadence;
    if (blockStart > lastInfo) break;
    const from = Math.max(firstInfo, blockStart), to = Math.min(lastInfo, blockStart + cadence - 1);
    if (from > to || blockStart - w < 0) continue;
    let model: SarimaModel | null = null;
    try {
      model = engine.fit(filled.subarray(blockStart - w, blockStart), options.params);
      fits++;
    } catch {
      failedFits++;
    }
    try {
      for (let t = from; t <= to; t++) {
        const pred = model?.forecastFrom(filled.subarray(t - w + 1, t + 1), maxH);
        for (const [h, out] of forecasts) {
          const tau = t + h;
          if (tau < options.fromTarget || tau > options.toTarget) continue;
          const v = pred?.[h - 1];
          out[t] = v !== undefined && Number.isFinite(v) ? v : seasonalNaiveForecast(y, t, h, 24);
        }
      }
    } finally {
      model?.destroy();
    }
  }
  return { forecasts, fits, failedFits };
}
