/**
 * Group-conditional ("Mondrian") conformal intervals, optionally on the log1p
 * scale (issue 17, part 4): the rolling conformal intervals of
 * {@linkcode conformalIntervals}, but each forecast is calibrated only on the
 * residuals of earlier forecasts of the same group, and the residual may be
 * measured as log1p(observation) - log1p(forecast), which makes the interval
 * multiplicative (wider when the forecast is high).
 *
 * A group must be known when the forecast is made (e.g. the clock hour of the
 * target hour, or a bin of the forecast level), never the realised value.
 * Each group keeps its own window and its own adaptive alpha (Gibbs and Candes
 * 2021); a group with fewer than `minResiduals` residuals borrows the pooled
 * window of all groups.
 *
 * The interval is symmetric on its scale (the (1 - alpha) quantile of the
 * absolute residuals) or equal-tailed (the alpha / 2 and 1 - alpha / 2
 * quantiles of the signed residuals, each tail with its own adaptive miss
 * rate), which widens the side where the errors are larger, as when peaks are
 * under-forecast.
 *
 * Causal: the interval of the forecast made at t uses residuals whose target
 * hour is at or before t.
 *
 * @module
 */
import { type ConformalIntervals, type ConformalOptions, SortedWindow } from "./conformal.ts";
import { applyFactors, boundFactors, type IntervalTails } from "./interval_groups.ts";

/** Scale the residuals are measured on. */
export type ResidualScale = "absolute" | "log1p";

/** Settings of {@linkcode conditionalConformalIntervals}. */
export interface ConditionalConformalOptions extends ConformalOptions {
  readonly scale: ResidualScale;
  /** Number of groups; `groupOf` returns 0..groups-1 (0..2 x groups-1 with `outage`). */
  readonly groups: number;
  /**
   * Outage groups: `groupOf` may return `groups + g`, a forecast of group g issued during or just
   * after an outage. Those share one window and one adaptive alpha; while that window has fewer
   * than `minResiduals` residuals, they take group g's quantile at half the miss rate (alpha / 2),
   * the widening stated in advance for a group too rare to calibrate.
   */
  readonly outage?: boolean;
  /** Symmetric (the default) or equal-tailed intervals. */
  readonly tails?: IntervalTails;
}

/** The intervals, and each group's sides for a forecast made at the last hour. */
export interface ConditionalConformalResult extends ConformalIntervals {
  /** By group index (as `groupOf` returns it), the upper side on the residual scale; NaN: too few residuals. */
  readonly lastHalfWidths: Float64Array;
  /** The same for the lower side (below the forecast); equal to `lastHalfWidths` when symmetric. */
  readonly lastLowerWidths: Float64Array;
}

/**
 * Where an observation fell against the interval its forecast had: -1 below, 1 above, 0 inside;
 * null: the forecast had no interval.
 */
export type Outcome = -1 | 0 | 1 | null;

/**
 * Intervals around `pred[t]` (the forecast made at t of `obs[t + horizonH]`),
 * calibrated per group `groupOf(t)`. Lower bounds are clipped at `floor`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { conditionalConformalIntervals } from "./conditional_conformal.ts";
 * // even hours miss by 1, odd hours by 3: each group gets its own width
 * const obs = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 1 : 3) * (i % 4 < 2 ? 1 : -1));
 * const pred = new Array(400).fill(0);
 * const { upper } = conditionalConformalIntervals(pred, obs, 1, {
 *   alpha: 0.1, window: 100, gamma: 0, minResiduals: 10, scale: "absolute", groups: 2,
 * }, (t) => (t + 1) % 2);
 * assert.equal(upper[299], 1); // target hour 300 is even
 * assert.equal(upper[300], 3);
 * ```
 */
export function conditionalConformalIntervals(
  pred: ArrayLike<number>,
  obs: ArrayLike<number>,
  horizonH: number,
  options: ConditionalConformalOptions,
  groupOf: (t: number) => number,
  floor = -Infinity,
): ConditionalConformalResult {
  const n = pred.length;
  const lower = new Float64Array(n).fill(NaN);
  const upper = new Float64Array(n).fill(NaN);
  // the sides each forecast had, on the residual scale (NaN: no interval)
  const below = new Float64Array(n).fill(NaN);
  const above = new Float64Array(n).fill(NaN);
  const group = new Int32Array(n).fill(-1);
  const cal = new GroupCalibration(options);
  const log = options.scale === "log1p";
  const toScale = (v: number) => (log ? Math.log1p(Math.max(0, v)) : v);
  for (let t = 0; t < n; t++) {
    const s = t - horizonH;
    if (s >= 0) {
      const r = toScale(obs[t]!) - toScale(pred[s]!);
      const hi = above[s]!;
      if (r === r) cal.push(group[s]!, r, hi === hi ? (r < below[s]! ? -1 : r > hi ? 1 : 0) : null);
    }
    const p = pred[t]!;
    if (p !== p) continue;
    const g = groupOf(t);
    if (!(g >= 0 && g < cal.indices)) {
      throw new RangeError(`group ${g} of hour ${t} is not in 0..${cal.indices - 1}`);
    }
    group[t] = g;
    const hi = cal.upperOffset(g);
    if (hi !== hi) continue;
    const lo = cal.lowerOffset(g);
    below[t] = lo;
    above[t] = hi;
    const iv = applyFactors(p, boundFactors(lo, hi, options.scale), options.scale, floor);
    lower[t] = iv.lower;
    upper[t] = iv.upper;
  }
  return {
    lower,
    upper,
    lastHalfWidths: Float64Array.from({ length: cal.indices }, (_, g) => cal.upperOffset(g)),
    lastLowerWidths: Float64Array.from({ length: cal.indices }, (_, g) => -cal.lowerOffset(g)),
  };
}

/**
 * The windows and adaptive alphas of the groups, the outage window, and the pooled window: the
 * state of {@linkcode conditionalConformalIntervals}, also kept per station and target by the
 * real-time forecaster (lib/realtime/live_intervals.ts), which feeds it the same residuals in the
 * same order.
 *
 * Symmetric: the windows hold absolute residuals and each slot one miss rate (alpha). Equal
 * tails: the windows hold signed residuals and each slot a miss rate per tail (alpha / 2 each),
 * moved by the misses on its side only.
 */
export class GroupCalibration {
  readonly indices: number;
  readonly #options: ConditionalConformalOptions;
  readonly #equal: boolean;
  /** One per group, then the outage window (with `outage`). */
  readonly #windows: SortedWindow[];
  /** Null once no group reads it any more (`#pooledRead` false): its memory is given back. */
  #pooled: SortedWindow | null;
  /**
   * Whether the sides may still read the pooled window: only while some group's own window has
   * fewer than `minResiduals` (windows never shrink), so it is no longer fed once all have them.
   */
  #pooledRead = true;
  /** Symmetric: the miss rate per slot. Equal tails: the upper tail's. */
  readonly #alphas: Float64Array;
  /** Equal tails: the lower tail's miss rate per slot. */
  readonly #lowAlphas: Float64Array;

  constructor(options: ConditionalConformalOptions) {
    const own = options.groups + (options.outage === true ? 1 : 0);
    this.#options = options;
    this.#equal = options.tails === "equal";
    this.indices = options.groups * (options.outage === true ? 2 : 1);
    this.#windows = Array.from({ length: own }, () => new SortedWindow(options.window));
    this.#pooled = new SortedWindow(options.window);
    const start = this.#equal ? options.alpha / 2 : options.alpha;
    this.#alphas = new Float64Array(own).fill(start);
    this.#lowAlphas = new Float64Array(this.#equal ? own : 0).fill(start);
  }

  /** Window (and alpha) slot of a group index: the outage groups share the last one. */
  #slot(g: number): number {
    return g < this.#options.groups ? g : this.#options.groups;
  }

  /**
   * A signed residual `r` (observed minus forecast, on the scale) of a forecast of group `g`
   * (-1: none), and where the observation fell against the interval this rule gave it.
   */
  push(g: number, r: number, outcome: Outcome): void {
    const v = this.#equal ? r : Math.abs(r);
    if (g >= 0) {
      const k = this.#slot(g);
      const o = this.#options;
      if (outcome !== null) {
        if (this.#equal) {
          const half = o.alpha / 2;
          this.#alphas[k] = this.#alphas[k]! + o.gamma * (half - (outcome === 1 ? 1 : 0));
          this.#lowAlphas[k] = this.#lowAlphas[k]! + o.gamma * (half - (outcome === -1 ? 1 : 0));
        } else {
          this.#alphas[k] = this.#alphas[k]! + o.gamma * (o.alpha - (outcome !== 0 ? 1 : 0));
        }
      }
      const w = this.#windows[k]!;
      w.push(v);
      if (this.#pooledRead && k < o.groups && w.size === o.minResiduals) {
        this.#pooledRead = this.#windows.some((x, i) => i < o.groups && x.size < o.minResiduals);
        if (!this.#pooledRead) this.#pooled = null;
      }
    }
    if (this.#pooled !== null) this.#pooled.push(v);
  }

  /**
   * Whether group `g` is an outage group too rare to calibrate (fewer than `minResiduals` of its
   * own): it then reads its base group's window at half the miss rate.
   */
  #borrows(g: number): boolean {
    const o = this.#options;
    return g >= o.groups && this.#windows[this.#slot(g)]!.size < o.minResiduals;
  }

  /**
   * The window group `g` reads now (null: too few residuals): its own, the base group's for a rare
   * outage group ({@linkcode #borrows}), else the pooled one while it is still kept (it is dropped
   * only once every group's own window has `minResiduals`, so never while it would be read).
   */
  #source(g: number): SortedWindow | null {
    const min = this.#options.minResiduals;
    const own = this.#windows[this.#borrows(g) ? g - this.#options.groups : this.#slot(g)]!;
    const w = own.size >= min ? own : this.#pooled;
    return w === null || w.size < min ? null : w;
  }

  /** Group `g`'s miss rate among `rates` (upper or lower side), halved when it borrows. */
  #rate(rates: Float64Array, g: number): number {
    return rates[this.#slot(g)]! * (this.#borrows(g) ? 0.5 : 1);
  }

  /** The interval's upper side for group `g` now (above the forecast, on the scale); NaN: too few residuals. */
  upperOffset(g: number): number {
    const w = this.#source(g);
    return w === null ? NaN : w.conformalQuantile(this.#rate(this.#alphas, g));
  }

  /** The interval's lower side for group `g` now (negative when below the forecast); NaN: too few residuals. */
  lowerOffset(g: number): number {
    const w = this.#source(g);
    if (w === null) return NaN;
    if (!this.#equal) return -w.conformalQuantile(this.#rate(this.#alphas, g));
    return w.lowerQuantile(this.#rate(this.#lowAlphas, g));
  }
}
