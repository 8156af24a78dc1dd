/**
 * Scores the forecasts of one target and horizon on the test window: metrics,
 * skill against both naive baselines with block-bootstrap intervals, the
 * Diebold-Mariano test against the better naive baseline, and conformal
 * interval coverage.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import {
  type BootstrapOptions,
  conformalIntervals,
  type ConformalOptions,
  dieboldMariano,
  intervalScores,
  mae,
  rmse,
  skillInterval,
} from "../scoring/mod.ts";

/** One row of the `results` array of `deno task evaluate --json` (its schema: lib/records/evaluation.ts). */
export type { ResultRow } from "../records/evaluation.ts";
import type { ResultRow } from "../records/evaluation.ts";

/** What `scoreForecasts` needs besides the forecasts. */
export interface ScoreOptions {
  readonly target: string;
  readonly horizonH: number;
  /** Test window, target indices, inclusive. */
  readonly testFrom: number;
  readonly testTo: number;
  /** MASE denominator. */
  readonly scale: number;
  readonly bootstrap: BootstrapOptions;
  readonly conformal: ConformalOptions;
  /** Models that get bootstrap intervals and a DM test (the others are baselines). */
  readonly tested: readonly string[];
  readonly details?: Readonly<Record<string, string>>;
}

/**
 * Scores forecasts by information index (`forecasts[model][t]` forecasts
 * `y[t + h]`) on the points whose target hour is in the test window, is
 * observed, and has a forecast from every model. Needs the models
 * `persistence` and `seasonal_naive_24h`.
 */
export function scoreForecasts(
  y: Float64Array,
  forecasts: Readonly<Record<string, Float64Array>>,
  options: ScoreOptions,
): ResultRow[] {
  const h = options.horizonH;
  const names = Object.keys(forecasts);
  const points: number[] = [];
  for (let tau = options.testFrom; tau <= options.testTo && tau < y.length; tau++) {
    const t = tau - h;
    if (t < 0 || Number.isNaN(y[tau]!)) continue;
    if (names.every((m) => !Number.isNaN(forecasts[m]![t]!))) points.push(t);
  }
  const obs = Float64Array.from(points, (t) => y[t + h]!);
  const absErr = (m: string) =>
    Float64Array.from(points, (t, k) => Math.abs(forecasts[m]![t]! - obs[k]!));
  const errors = Object.fromEntries(names.map((m) => [m, absErr(m)]));
  const persistence = errors["persistence"], seasonal = errors["seasonal_naive_24h"];
  if (persistence === undefined || seasonal === undefined) {
    throw new RangeError("scoreForecasts() needs persistence and seasonal_naive_24h forecasts");
  }
  const maeOf = (e: Float64Array) => e.reduce((s, v) => s + v, 0) / e.length;
  const maePersistence = maeOf(persistence), maeSeasonal = maeOf(seasonal);
  const [refName, refErr] = maePersistence <= maeSeasonal
    ? ["persistence", persistence]
    : ["seasonal_naive_24h", seasonal];
  const refMae = Math.min(maePersistence, maeSeasonal);
  const ci = (e: Float64Array, ref: Float64Array): [number, number] => {
    const { lo, hi } = skillInterval(e, ref, options.bootstrap);
    return [lo, hi];
  };
  return names.map((model) => {
    const f = forecasts[model]!;
    const pred = Float64Array.from(points, (t) => f[t]!);
    const e = errors[model]!;
    const m = mae(pred, obs);
    const tested = options.tested.includes(model);
    const intervals = conformalIntervals(f, y, h, options.conformal, 0);
    const covered = intervalScores(
      Float64Array.from(points, (t) => intervals.lower[t]!),
      Float64Array.from(points, (t) => intervals.upper[t]!),
      obs,
    );
    let dm: ResultRow["dm"] = null;
    if (tested) {
      const r = dieboldMariano(Float64Array.from(e, (v, k) => v - refErr[k]!), h);
      dm = { baseline: refName, statistic: r.statistic, p_value: r.pValue };
    }
    const row: ResultRow = {
      target: options.target,
      horizon_h: h,
      model,
      n: points.length,
      mae: m,
      rmse: rmse(pred, obs),
      mase: m / options.scale,
      skill: 1 - m / refMae,
      skill_ci95: tested ? ci(e, refErr) : null,
      skill_vs_persistence: 1 - m / maePersistence,
      skill_vs_persistence_ci95: tested ? ci(e, persistence) : null,
      skill_vs_seasonal_naive_24h: 1 - m / maeSeasonal,
      skill_vs_seasonal_naive_24h_ci95: tested ? ci(e, seasonal) : null,
      interval_coverage: covered.coverage,
      interval_mean_width: covered.meanWidth,
      dm,
    };
    const detail = options.details?.[model];
    if (detail !== undefined) row.detail = detail;
    return row;
  });
}
