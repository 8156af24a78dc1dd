/**
 * The Page-Hinkley test for an increase in the mean of a stream, for many
 * streams at once (one per station, target and horizon) in typed arrays:
 * O(1) time and memory per value, no allocation.
 *
 * For values `x_1..x_T` with running mean `mean_T`, the statistic is
 * `m_T - min_{t<=T} m_t` where `m_T = sum_{t<=T} (x_t - mean_t - delta)`. It
 * stays near 0 while the mean is stable (each step drifts down by `delta`)
 * and grows about `shift - delta` per value after the mean rises by `shift`;
 * the test fires when it exceeds `lambda` (after `minScored` values), then
 * starts afresh on the values that follow, so it learns the new level.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */

/** Settings of the test; the units are those of the values. */
export interface PageHinkleyOptions {
  /** Tolerated increase of the mean (the drift subtracted from every step). */
  delta: number;
  /** Threshold of the statistic. */
  lambda: number;
  /** Values after a (re)start before the test may fire. */
  minScored: number;
}

/**
 * `size` independent one-sided Page-Hinkley tests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PageHinkley } from "./page_hinkley.ts";
 * const ph = new PageHinkley(1, { delta: 0.1, lambda: 5, minScored: 10 });
 * for (let t = 0; t < 100; t++) assert.equal(ph.update(0, 1), false);
 * let delay = 0;
 * while (!ph.update(0, 3)) delay++;
 * assert.ok(delay < 10);
 * assert.equal(ph.count(0), 0); // restarted
 * ```
 */
export class PageHinkley {
  /** Settings of every test. */
  readonly options: Readonly<PageHinkleyOptions>;
  readonly #n: Float64Array;
  readonly #mean: Float64Array;
  readonly #sum: Float64Array;
  readonly #min: Float64Array;
  readonly #lastStatistic: Float64Array;
  readonly #lastCount: Float64Array;
  readonly #lastMean: Float64Array;

  /** `size` tests, each with no values yet. */
  constructor(size: number, options: PageHinkleyOptions) {
    this.options = { ...options };
    this.#n = new Float64Array(size);
    this.#mean = new Float64Array(size);
    this.#sum = new Float64Array(size);
    this.#min = new Float64Array(size);
    this.#lastStatistic = new Float64Array(size);
    this.#lastCount = new Float64Array(size);
    this.#lastMean = new Float64Array(size);
  }

  /** Adds `x` to test `i`; true when the test fires (it then restarts). */
  update(i: number, x: number): boolean {
    const n = ++this.#n[i]!;
    const mean = this.#mean[i]! + (x - this.#mean[i]!) / n;
    this.#mean[i] = mean;
    const sum = this.#sum[i]! + x - mean - this.options.delta;
    this.#sum[i] = sum;
    if (sum < this.#min[i]!) this.#min[i] = sum;
    const statistic = sum - this.#min[i]!;
    if (n < this.options.minScored || statistic <= this.options.lambda) return false;
    this.#lastStatistic[i] = statistic;
    this.#lastCount[i] = n;
    this.#lastMean[i] = mean;
    this.reset(i);
    return true;
  }

  /** The current statistic of test `i` (`m_T - min m_t`). */
  statistic(i: number): number {
    return this.#sum[i]! - this.#min[i]!;
  }

  /** Values test `i` has seen since its (re)start. */
  count(i: number): number {
    return this.#n[i]!;
  }

  /** Running mean of test `i` since its (re)start. */
  mean(i: number): number {
    return this.#mean[i]!;
  }

  /** Statistic, values seen and their mean at test `i`'s latest firing (0 before any). */
  lastDetection(i: number): { statistic: number; count: number; mean: number } {
    return {
      statistic: this.#lastStatistic[i]!,
      count: this.#lastCount[i]!,
      mean: this.#lastMean[i]!,
    };
  }

  /** Restarts test `i` (or every test). */
  reset(i?: number): void {
    if (i === undefined) {
      for (const a of [this.#n, this.#mean, this.#sum, this.#min]) a.fill(0);
      return;
    }
    this.#n[i] = 0;
    this.#mean[i] = 0;
    this.#sum[i] = 0;
    this.#min[i] = 0;
  }
}
