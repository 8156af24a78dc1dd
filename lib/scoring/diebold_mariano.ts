/**
 * Diebold-Mariano test of equal predictive accuracy, with the Harvey, Leybourne
 * and Newbold (1997) small-sample correction and Student-t p-values.
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
  /** The uncorrected DM statistic. */
  readonly dm: number;
  /** The HLN-corrected statistic, compared with Student's t with n - 1 degrees of freedom. */
  readonly statistic: number;
  /** Two-sided p-value, 2 * P(T <= -|statistic|). */
  readonly pValue: number;
}

/**
 * Tests whether two forecasts of the same points are equally accurate, from the
 * loss differentials `d[t] = loss1[t] - loss2[t]` (e.g. |e1| - |e2|) of
 * `horizonH`-step forecasts. The long-run variance uses autocovariances up to
 * lag h - 1 (rectangular window); if that estimate is not positive, the lag-0
 * variance is used instead.
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
  let mean = 0;
  for (let i = 0; i < n; i++) mean += d[i]!;
  mean /= n;
  const gamma = (lag: number) => {
    let s = 0;
    for (let i = lag; i < n; i++) s += (d[i]! - mean) * (d[i - lag]! - mean);
    return s / n;
  };
  const g0 = gamma(0);
  let lrv = g0;
  for (let k = 1; k < h && k < n; k++) lrv += 2 * gamma(k);
  if (!(lrv > 0)) lrv = g0;
  const dm = mean / Math.sqrt(lrv / n);
  const correction = Math.sqrt((n + 1 - 2 * h + (h * (h - 1)) / n) / n);
  const statistic = dm * correction;
  const pValue = 2 * jStat.studentt.cdf(-Math.abs(statistic), n - 1);
  return { n, meanDifference: mean, dm, statistic, pValue };
}
