/**
 * Naive baselines on one hourly series (`NaN` = missing): persistence and
 * seasonal naive. Both use only values up to the information time t.
 *
 * @module
 */

/** The latest non-missing value at or before index `i`; `NaN` if there is none. */
export function lastObserved(y: ArrayLike<number>, i: number): number {
  for (let j = Math.min(i, y.length - 1); j >= 0; j--) {
    const v = y[j]!;
    if (v === v) return v;
  }
  return NaN;
}

/**
 * Persistence: the forecast of t + h made at t is the last value observed up to t.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { persistenceForecast } from "./baselines.ts";
 * assert.equal(persistenceForecast([1, 2, NaN], 2, 6), 2);
 * ```
 */
export function persistenceForecast(y: ArrayLike<number>, i: number, _horizonH: number): number {
  return lastObserved(y, i);
}

/**
 * Seasonal naive: the value at the same hour one period before the target hour
 * t + h (the latest such hour at or before t); if that hour is missing, the last
 * value observed before it. `periodH` is 24 (yesterday) or 168 (last week).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seasonalNaiveForecast } from "./baselines.ts";
 * const y = Array.from({ length: 48 }, (_, i) => i);
 * assert.equal(seasonalNaiveForecast(y, 40, 1, 24), 17); // target 41, same hour yesterday 17
 * ```
 */
export function seasonalNaiveForecast(
  y: ArrayLike<number>,
  i: number,
  horizonH: number,
  periodH: number,
): number {
  const back = Math.ceil(horizonH / periodH) * periodH;
  return lastObserved(y, i + horizonH - back);
}

/**
 * The offset of a change model at information index `i`: log1p of the latest value observed at
 * `i` or in the `lookbackH` - 1 hours before; `NaN` when there is none (no change forecast then).
 */
export function changeOffsetAt(y: ArrayLike<number>, i: number, lookbackH: number): number {
  for (let j = Math.min(i, y.length - 1); j >= 0 && j > i - lookbackH; j--) {
    const v = y[j]!;
    if (v === v) return Math.log1p(v);
  }
  return NaN;
}

/** A change model's forecast: its fitted log1p change `raw` added to `offset`, back on the value scale. */
export function changeForecast(raw: number, offset: number): number {
  return Math.max(0, Math.expm1(raw + offset));
}
