/**
 * Where and how the evaluation protocol runs on a series: the test window and
 * its conformal warm-up as series indices, the walk-forward settings anchored
 * on it, the number of progress steps, and the blends every `best` is made of.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { type HourlySeries, indexAt } from "../features/mod.ts";
import {
  changeGbtWeightOf,
  changeWeightOf,
  type ForecastConfig,
  forecastTreesOf,
  gbtWeightOf,
  sarimaWeightOf,
} from "./forecast_config.ts";
import type { WalkForwardOptions } from "./walk_forward.ts";

/** Index in the series of an ISO timestamp; throws if off the series. */
export function seriesIndex(series: HourlySeries, iso: string): number {
  const i = indexAt(series, Date.parse(iso));
  if (!Number.isInteger(i)) throw new RangeError(`${iso} is not on the hourly grid of the series`);
  return i;
}

/** `(1 - w) x a + w x b`, index by index. */
export function blend(ridge: Float64Array, gbt: Float64Array, w: number): Float64Array {
  return Float64Array.from(ridge, (r, i) => (1 - w) * r + w * gbt[i]!);
}

/** Where the protocol runs on a series: the test window, and the conformal warm-up before it. */
export interface EvaluationWindow {
  /** First and last index of the test window. */
  testFrom: number;
  testTo: number;
  /** First index forecast: `conformal.warmupH` before the test window. */
  warmFrom: number;
}

/** The test window of `config` on `series` and where its warm-up starts. */
export function evaluationWindow(series: HourlySeries, config: ForecastConfig): EvaluationWindow {
  const testFrom = Math.max(0, seriesIndex(series, config.testWindow.from));
  const testTo = Math.min(series.length - 1, seriesIndex(series, config.testWindow.to));
  return { testFrom, testTo, warmFrom: Math.max(0, testFrom - config.conformal.warmupH) };
}

/**
 * The walk-forward settings (refits, windows, models) of `config`, anchored on the test window;
 * the forecast trees with their own window and row subsample (`walkForward.trees`).
 */
export function walkForwardSettings(
  config: ForecastConfig,
  window: EvaluationWindow,
): Omit<WalkForwardOptions, "horizonH" | "fromTarget" | "toTarget"> {
  return {
    anchor: window.testFrom,
    refitEveryH: config.walkForward.refitEveryH,
    trainWindowH: config.walkForward.trainWindowH,
    ridge: config.ridge,
    gbt: config.gbt,
    trees: forecastTreesOf(config),
    changeLookbackH: config.change?.lookbackH ?? null,
  };
}

/**
 * How many progress messages `evaluateForecasts` sends for `config`: one per
 * target and horizon, one for the nowcast, and with SARIMA one per target.
 */
export function evaluationSteps(config: ForecastConfig, withSarima: boolean): number {
  const targets = config.targets.length;
  return targets * config.horizonsH.length + 1 + (withSarima ? targets : 0);
}

/** The ridge/trees runs `best` is made of: the level models, and the change models when fitted. */
export interface BestRuns {
  readonly ridge: Float64Array;
  readonly gbt: Float64Array;
  readonly change?: { readonly ridge: Float64Array; readonly gbt: Float64Array };
}

/**
 * (1 - u) x `level` + u x `change`, and `level` alone where `change` has no value (no value
 * observed in the change models' lookback); `level` itself for u = 0.
 */
export function withChange(level: Float64Array, change: Float64Array, u: number): Float64Array {
  if (u === 0) return level;
  return Float64Array.from(level, (m, i) => {
    const c = change[i]!;
    return c === c ? (1 - u) * m + u * c : m;
  });
}

/**
 * `best` of one target and horizon: ridge and trees blended with the gbt weight of `config`;
 * with the change models' weight u > 0, (1 - u) x that + u x the change models' blend (the level
 * blend alone where the change blend has no value); then SARIMA (when it ran) with its weight.
 */
export function bestOf(
  config: ForecastConfig,
  target: string,
  h: number,
  run: BestRuns,
  sarima: Float64Array | undefined,
): Float64Array {
  const key = String(h);
  let mix = blend(run.ridge, run.gbt, gbtWeightOf(config, target, key));
  const u = changeWeightOf(config, target, key);
  if (u > 0) {
    if (run.change === undefined) {
      throw new RangeError(`best of ${target} at ${h} h needs the change models (u = ${u})`);
    }
    const change = blend(run.change.ridge, run.change.gbt, changeGbtWeightOf(config, target, key));
    mix = withChange(mix, change, u);
  }
  const v = sarima === undefined ? 0 : sarimaWeightOf(config, target, key);
  return sarima === undefined || v === 0 ? mix : blend(mix, sarima, v);
}
