/**
 * The quantiles of sorted values that airq uses: linear interpolation between
 * order statistics (Hyndman–Fan type 7, numpy's and R's default) for
 * statistics, and the nearest rank for latency figures, which must be a
 * time that was actually observed.
 *
 * @module
 */

/**
 * Quantile `q` (0..1) of `sorted` (ascending, no NaN); NaN when empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantileSorted } from "./quantile.ts";
 * assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
 * assert.equal(quantileSorted([1, 2, 3, 4], 0.9), 3.7);
 * ```
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Quantile `q` (0..1) of `sorted` (ascending, no NaN) by nearest rank: the
 * smallest value with at least `q` of the values at or below it; NaN when empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nearestRankSorted } from "./quantile.ts";
 * assert.equal(nearestRankSorted([1, 2, 3, 4], 0.5), 2);
 * assert.equal(nearestRankSorted([1, 2, 3, 4], 0.99), 4);
 * ```
 */
export function nearestRankSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
}
