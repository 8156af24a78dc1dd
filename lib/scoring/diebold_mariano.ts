/**
 * Diebold-Mariano test of equal predictive accuracy with a HAC (Newey-West,
 * Bartlett kernel) long-run variance whose bandwidth is chosen from the data
 * (Newey and West 1994), and a Holm adjustment for a family of such tests.
 *
 * The earlier version summed autocovariances up to lag h - 1 only, which
 * assumes the loss differentials of h-step forecasts are MA(h - 1). Hourly
 * air-quality errors are autocorrelated far beyond that (a 1 h forecast's
 * errors persist for hours), so the variance was too small and the p-values
 * far too low. The bandwidth here follows the measured autocorrelation, and is
 * never below h - 1.
 *
 * @module
 */
import jStatModule from "jstat";

interface JStat {
  studentt: { cdf(x: number, dof: number): number };
}
const jStat = (jStatModule as unknown as { jStat?: JStat }).jStat ??
  (jStatModule as unknown as JStat);

/** Result of a Diebold-Mariano test. */
export interface DieboldMarianoResult {
  /** Number of loss differentials. */
  readonly n: number;
  /** Mean loss differential (model 1 minus model 2; negative favours model 1). */
  readonly meanDifference: number;
  /** mean / sqrt(long-run variance / n). */
  readonly dm: number;
  /** The test statistic (the same as `dm`), compared with Student's t with n - 1 degrees of freedom. */
  readonly statistic: number;
  /** Two-sided p-value, 2 * P(T <= -|statistic|). */
  readonly pValue: number;
  /** Bartlett truncation lag: autocovariances up to this lag enter the variance. */
  readonly lags: number;
  /** Newey-West long-run variance of the loss differential. */
  readonly longRunVariance: number;
}

/** Autocovariance at `lag` of `x` around `mean`, divided by n (the biased, positive-definite form). */
function autocovariance(x: ArrayLike<number>, mean: number, lag: number): number {
  const n = x.length;
  let s = 0;
  for (let i = lag; i < n; i++) s += (x[i]! - mean) * (x[i - lag]! - mean);
  return s / n;
}

const meanOf = (x: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
};

/**
 * Newey and West's (1994) automatic bandwidth for the Bartlett kernel, rounded
 * up to an integer number of lags: with the pilot lag m = ceil(4 (n/100)^(2/9)),
 * s0 = g0 + 2 sum_{j<=m} gj, s1 = 2 sum_{j<=m} j gj, the bandwidth is
 * 1.1447 ((s1/s0)^2 n)^(1/3), at most n - 1. The same rule as the Python
 * package `arch` (`arch.covariance.kernel.Bartlett(force_int=True)`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { neweyWestLags } from "./diebold_mariano.ts";
 * // a slowly varying series needs many lags
 * const smooth = Array.from({ length: 500 }, (_, i) => Math.sin(i / 40));
 * assert.ok(neweyWestLags(smooth) > 10);
 * ```
 */
export function neweyWestLags(x: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return 0;
  const mean = meanOf(x);
  const pilot = Math.min(n - 1, Math.ceil(4 * (n / 100) ** (2 / 9)));
  let s0 = 0, s1 = 0;
  for (let j = 0; j <= pilot; j++) {
    const g = autocovariance(x, mean, j);
    s0 += (j === 0 ? 1 : 2) * g;
    s1 += (j === 0 ? 0 : 2) * j * g;
  }
  if (!(s0 > 0)) return 0;
  const bandwidth = 1.1447 * ((s1 / s0) ** 2 * n) ** (1 / 3);
  return Math.min(n - 1, Math.ceil(bandwidth));
}

/** Newey-West (Bartlett) long-run variance with `lags` lags: g0 + 2 sum_{j<=lags} (1 - j/(lags+1)) gj. */
export function neweyWestVariance(x: ArrayLike<number>, lags: number): number {
  const mean = meanOf(x);
  let v = autocovariance(x, mean, 0);
  for (let j = 1; j <= lags && j < x.length; j++) {
    v += 2 * (1 - j / (lags + 1)) * autocovariance(x, mean, j);
  }
  return v;
}

/**
 * Tests whether two forecasts of the same points are equally accurate, from the
 * loss differentials `d[t] = loss1[t] - loss2[t]` (e.g. |e1| - |e2|, in time
 * order) of `horizonH`-step forecasts. The long-run variance is Newey-West with
 * max(h - 1, {@linkcode neweyWestLags}(d)) lags. No Harvey-Leybourne-Newbold
 * factor: it was derived for the rectangular h - 1 lag estimator, not this one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dieboldMariano } from "./diebold_mariano.ts";
 * const r = dieboldMariano([-1, -2, 0.5, -1.5, -1, 0.2, -0.8, -1.1], 1);
 * assert.ok(r.statistic < 0 && r.pValue < 0.05);
 * ```
 */
export function dieboldMariano(d: ArrayLike<number>, horizonH: number): DieboldMarianoResult {
  const n = d.length;
  const h = Math.max(1, Math.floor(horizonH));
  const mean = meanOf(d);
  const lags = Math.min(n - 1, Math.max(h - 1, neweyWestLags(d)));
  let lrv = neweyWestVariance(d, lags);
  if (!(lrv > 0)) lrv = autocovariance(d, mean, 0);
  const dm = mean / Math.sqrt(lrv / n);
  const pValue = 2 * jStat.studentt.cdf(-Math.abs(dm), n - 1);
  return { n, meanDifference: mean, dm, statistic: dm, pValue, lags, longRunVariance: lrv };
}

/**
 * Holm's (1979) step-down adjustment of a family of p-values: the k-th smallest
 * becomes max over i <= k of min(1, (m - i + 1) p_(i)). NaN p-values are left
 * NaN and do not count in m.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { holmAdjust } from "./diebold_mariano.ts";
 * assert.deepEqual(holmAdjust([0.125, 0.5, 0.25]), [0.375, 0.5, 0.5]);
 * ```
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const order = pValues.map((p, i) => ({ p, i })).filter((x) => !Number.isNaN(x.p))
    .sort((a, b) => a.p - b.p);
  const m = order.length;
  const out = pValues.map(() => NaN);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}
