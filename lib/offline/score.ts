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
  holmAdjust,
  intervalScore,
  intervalScores,
  mae,
  rmse,
  skillInterval,
} from "../scoring/mod.ts";

/** One row of the `results` array of `deno task evaluate --json` (its schema: lib/records/evaluation.ts). */
export type { ResultRow } from "../records/evaluation.ts";
import type { ResultRow } from "../records/evaluation.ts";

/**
 * Diebold-Mariano of absolute errors against the better naive baseline: Newey-West variance with
 * `lags` lags (automatic bandwidth, at least h - 1), Student-t p-value, and that p-value
 * Holm-adjusted across the target-horizon pairs of the same model (`p_value_holm`, set by
 * {@linkcode holmAcrossPairs}; null until then).
 */
export interface DmField {
  baseline: string;
  statistic: number;
  p_value: number;
  p_value_holm: number | null;
  lags: number;
  method: string;
}

/** The DM method in words, as written in every `dm` field. */
export const DM_METHOD =
  "Newey-West HAC variance, Bartlett kernel, Newey-West (1994) automatic lags (at least h - 1); t(n - 1)";

/**
 * Sets `dm.p_value_holm` of every tested row: Holm's adjustment over the rows
 * of the same model (one per target and horizon, 12 in the evaluation).
 */
export function holmAcrossPairs(rows: readonly ResultRow[]): void {
  const models = new Set(rows.filter((r) => r.dm !== null).map((r) => r.model));
  for (const model of models) {
    const family = rows.filter((r) => r.model === model && r.dm !== null);
    const adjusted = holmAdjust(family.map((r) => r.dm!.p_value));
    family.forEach((r, i) => (r.dm!.p_value_holm = adjusted[i]!));
  }
}

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
  /**
   * Intervals served instead of the pooled conformal ones, by model (`best`'s regime-aware
   * intervals); the row then keeps the pooled rule's numbers in `pooled_interval`.
   */
  readonly served?: Readonly<Record<string, { lower: Float64Array; upper: Float64Array }>>;
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
    const pooled = intervalFields(conformalIntervals(f, y, h, options.conformal, 0), points, obs);
    const servedIv = options.served?.[model];
    const iv = servedIv === undefined ? pooled : intervalFields(servedIv, points, obs);
    const dm = tested ? dmField(e, refErr, refName, h) : null;
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
      interval_coverage: iv.coverage,
      interval_mean_width: iv.meanWidth,
      interval_score: intervalScore(iv.lower, iv.upper, obs, options.conformal.alpha),
      dm,
    };
    if (servedIv !== undefined) {
      row.pooled_interval = {
        coverage: pooled.coverage,
        mean_width: pooled.meanWidth,
        interval_score: intervalScore(pooled.lower, pooled.upper, obs, options.conformal.alpha),
      };
    }
    const detail = options.details?.[model];
    if (detail !== undefined) row.detail = detail;
    return row;
  });
}

/** Intervals (by information index) at the scored points, with their coverage and mean width. */
function intervalFields(
  iv: { lower: Float64Array; upper: Float64Array },
  points: readonly number[],
  obs: Float64Array,
): { lower: Float64Array; upper: Float64Array; coverage: number; meanWidth: number } {
  const lower = Float64Array.from(points, (t) => iv.lower[t]!);
  const upper = Float64Array.from(points, (t) => iv.upper[t]!);
  const { coverage, meanWidth } = intervalScores(lower, upper, obs);
  return { lower, upper, coverage, meanWidth };
}

/** Diebold-Mariano of absolute errors `e` against the baseline's `ref` (Holm p set later). */
function dmField(e: Float64Array, ref: Float64Array, baseline: string, h: number): DmField {
  const r = dieboldMariano(Float64Array.from(e, (v, k) => v - ref[k]!), h);
  return {
    baseline,
    statistic: r.statistic,
    p_value: r.pValue,
    p_value_holm: null,
    lags: r.lags,
    method: DM_METHOD,
  };
}
