/**
 * Split-conformal 90 % prediction intervals on rolling residuals, with adaptive
 * conformal inference (Gibbs and Candes 2021) to keep long-run coverage on
 * target when the error distribution drifts.
 *
 * Causal: the interval for a forecast made at t uses only residuals of
 * forecasts whose target hour is at or before t (an h-step forecast's residual
 * is known h hours after it was made).
 *
 * @module
 */

/** Settings of the conformal intervals. */
export interface ConformalOptions {
  /** Miscoverage target: 0.1 for 90 % intervals. */
  readonly alpha: number;
  /** How many of the latest residuals calibrate the interval. */
  readonly window: number;
  /** ACI step size; 0 turns adaptation off (plain rolling split conformal). */
  readonly gamma: number;
  /** Fewest residuals before an interval is given. */
  readonly minResiduals: number;
}

/** Intervals for one forecast series, indexed like its inputs. */
export interface ConformalIntervals {
  /** Lower bound per information time (`NaN` when no interval). */
  readonly lower: Float64Array;
  /** Upper bound per information time. */
  readonly upper: Float64Array;
}

/**
 * Intervals around `pred[t]`, the forecast made at information index t of the
 * value `obs[t + horizonH]`. Lower bounds are clipped at `floor`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { conformalIntervals } from "./conformal.ts";
 * const obs = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 1 : -1));
 * const pred = new Array(400).fill(0);
 * const { lower, upper } = conformalIntervals(pred, obs, 1, {
 *   alpha: 0.1, window: 100, gamma: 0, minResiduals: 10,
 * });
 * assert.equal(upper[300], 1);
 * assert.equal(lower[300], -1);
 * ```
 */
export function conformalIntervals(
  pred: ArrayLike<number>,
  obs: ArrayLike<number>,
  horizonH: number,
  options: ConformalOptions,
  floor = -Infinity,
): ConformalIntervals {
  const n = pred.length;
  const lower = new Float64Array(n).fill(NaN);
  const upper = new Float64Array(n).fill(NaN);
  const halfWidth = new Float64Array(n).fill(NaN);
  const window = new SortedWindow(options.window);
  let alphaT = options.alpha;
  for (let t = 0; t < n; t++) {
    // the forecast made at t - h has just been verified
    const s = t - horizonH;
    if (s >= 0) {
      const r = Math.abs(obs[t]! - pred[s]!);
      if (r === r) {
        const w = halfWidth[s]!;
        if (w === w) alphaT += options.gamma * (options.alpha - (r > w ? 1 : 0));
        window.push(r);
      }
    }
    const p = pred[t]!;
    if (p !== p || window.size < options.minResiduals) continue;
    const q = window.conformalQuantile(alphaT);
    halfWidth[t] = q;
    lower[t] = Math.max(floor, p - q);
    upper[t] = p + q;
  }
  return { lower, upper };
}

/** First allocation of a {@linkcode SortedWindow}'s arrays; they double up to its capacity. */
const FIRST_LENGTH = 64;

/**
 * The latest `capacity` values, kept both in arrival order and sorted. The arrays grow with the
 * values held (doubling, up to `capacity`), so a window that rarely fills (a rare interval group,
 * the real-time forecaster keeps about ten per target, horizon and station) holds little memory.
 */
export class SortedWindow {
  #ring: Float64Array;
  #sorted: Float64Array;
  #head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    const length = Math.min(capacity, FIRST_LENGTH);
    this.#ring = new Float64Array(length);
    this.#sorted = new Float64Array(length);
  }

  /** Bytes its two arrays hold now. */
  get bytes(): number {
    return this.#ring.byteLength + this.#sorted.byteLength;
  }

  push(v: number): void {
    if (this.size === this.capacity) {
      const old = this.#ring[this.#head]!;
      const at = lowerBound(this.#sorted, this.size, old);
      this.#sorted.copyWithin(at, at + 1, this.size);
      this.size--;
    } else if (this.size === this.#ring.length) {
      // not yet full: values sit at 0..size-1 in arrival order, so both arrays copy as they are
      const length = Math.min(this.capacity, 2 * this.#ring.length);
      const ring = new Float64Array(length), sorted = new Float64Array(length);
      ring.set(this.#ring);
      sorted.set(this.#sorted);
      this.#ring = ring;
      this.#sorted = sorted;
    }
    const sorted = this.#sorted;
    this.#ring[this.#head] = v;
    this.#head = (this.#head + 1) % this.capacity;
    const at = lowerBound(sorted, this.size, v);
    sorted.copyWithin(at + 1, at, this.size);
    sorted[at] = v;
    this.size++;
  }

  /**
   * The ceil((m + 1)(1 - alpha))-th smallest of the m values (the finite-sample
   * conformal quantile); the largest value when that rank exceeds m, 0 when alpha >= 1.
   */
  conformalQuantile(alpha: number): number {
    if (alpha >= 1) return 0;
    const m = this.size;
    const rank = Math.ceil((m + 1) * (1 - alpha));
    return this.#sorted[Math.min(m, Math.max(1, rank)) - 1]!;
  }

  /**
   * The lower tail's counterpart of {@linkcode conformalQuantile}: the floor((m + 1) alpha)-th
   * smallest of the m values, the rank kept within 1..m (the smallest value when alpha is too
   * small for the window, as the upper side keeps the largest).
   */
  lowerQuantile(alpha: number): number {
    const m = this.size;
    const rank = Math.floor((m + 1) * alpha);
    return this.#sorted[Math.min(m, Math.max(1, rank)) - 1]!;
  }
}

function lowerBound(a: Float64Array, n: number, v: number): number {
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Share of observed targets inside their interval, and the mean interval width. */
export function intervalScores(
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  obs: ArrayLike<number>,
): { coverage: number; meanWidth: number; n: number } {
  let inside = 0, n = 0, width = 0;
  for (let i = 0; i < obs.length; i++) {
    const y = obs[i]!, lo = lower[i]!, hi = upper[i]!;
    if (y !== y || lo !== lo || hi !== hi) continue;
    n++;
    width += hi - lo;
    if (y >= lo && y <= hi) inside++;
  }
  return { coverage: n > 0 ? inside / n : NaN, meanWidth: n > 0 ? width / n : NaN, n };
}

/**
 * Mean interval score of central (1 - alpha) intervals (Gneiting and Raftery
 * 2007, eq. 43): (u - l) + (2/alpha)(l - y) when y < l, + (2/alpha)(y - u) when
 * y > u. Proper: lower is better, and only honest intervals minimise it, so a
 * narrower interval scores better only if it still covers. Points with a
 * missing bound or observation are skipped; NaN when none is left.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { intervalScore } from "./conformal.ts";
 * // widths 2 and 2; the second misses by 1: 2 + 20 * 1
 * assert.equal(intervalScore([0, 0], [2, 2], [1, 3], 0.1), (2 + 22) / 2);
 * ```
 */
export function intervalScore(
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  obs: ArrayLike<number>,
  alpha: number,
): number {
  let s = 0, n = 0;
  for (let i = 0; i < obs.length; i++) {
    const y = obs[i]!, lo = lower[i]!, hi = upper[i]!;
    if (y !== y || lo !== lo || hi !== hi) continue;
    n++;
    s += hi - lo + (y < lo ? (2 / alpha) * (lo - y) : 0) + (y > hi ? (2 / alpha) * (y - hi) : 0);
  }
  return n > 0 ? s / n : NaN;
}
