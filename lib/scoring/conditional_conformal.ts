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
 * Causal: the interval of the forecast made at t uses residuals whose target
 * hour is at or before t.
 *
 * @module
 */
import { type ConformalIntervals, type ConformalOptions, SortedWindow } from "./conformal.ts";
import { intervalAround } from "./interval_groups.ts";

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
}

/** The intervals, and each group's half-width for a forecast made at the last hour. */
export interface ConditionalConformalResult extends ConformalIntervals {
  /** By group index (as `groupOf` returns it), on the residual scale; NaN: too few residuals. */
  readonly lastHalfWidths: Float64Array;
}

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
  const halfWidth = new Float64Array(n).fill(NaN);
  const group = new Int32Array(n).fill(-1);
  const cal = new GroupCalibration(options);
  const log = options.scale === "log1p";
  const toScale = (v: number) => (log ? Math.log1p(Math.max(0, v)) : v);
  for (let t = 0; t < n; t++) {
    const s = t - horizonH;
    if (s >= 0) {
      const r = Math.abs(toScale(obs[t]!) - toScale(pred[s]!));
      const w = halfWidth[s]!;
      if (r === r) cal.push(group[s]!, r, w === w ? r > w : null);
    }
    const p = pred[t]!;
    if (p !== p) continue;
    const g = groupOf(t);
    if (!(g >= 0 && g < cal.indices)) {
      throw new RangeError(`group ${g} of hour ${t} is not in 0..${cal.indices - 1}`);
    }
    group[t] = g;
    const q = cal.halfWidth(g);
    if (q !== q) continue;
    halfWidth[t] = q;
    const iv = intervalAround(p, q, options.scale, floor);
    lower[t] = iv.lower;
    upper[t] = iv.upper;
  }
  return {
    lower,
    upper,
    lastHalfWidths: Float64Array.from({ length: cal.indices }, (_, g) => cal.halfWidth(g)),
  };
}

/**
 * The windows and adaptive alphas of the groups, the outage window, and the pooled window: the
 * state of {@linkcode conditionalConformalIntervals}, also kept per station and target by the
 * real-time forecaster (lib/realtime/live_intervals.ts), which feeds it the same residuals in the
 * same order.
 */
export class GroupCalibration {
  readonly indices: number;
  readonly #options: ConditionalConformalOptions;
  /** One per group, then the outage window (with `outage`). */
  readonly #windows: SortedWindow[];
  readonly #pooled: SortedWindow;
  /**
   * Whether `halfWidth` may still read the pooled window: only while some group's own window has
   * fewer than `minResiduals` (windows never shrink), so it is no longer fed once all have them.
   */
  #pooledRead = true;
  readonly #alphas: Float64Array;

  constructor(options: ConditionalConformalOptions) {
    const own = options.groups + (options.outage === true ? 1 : 0);
    this.#options = options;
    this.indices = options.groups * (options.outage === true ? 2 : 1);
    this.#windows = Array.from({ length: own }, () => new SortedWindow(options.window));
    this.#pooled = new SortedWindow(options.window);
    this.#alphas = new Float64Array(own).fill(options.alpha);
  }

  /** Window (and alpha) slot of a group index: the outage groups share the last one. */
  #slot(g: number): number {
    return g < this.#options.groups ? g : this.#options.groups;
  }

  /**
   * A residual `r` of a forecast of group `g` (-1: none); `missed`: whether the observation fell
   * outside the interval this rule gave the forecast (null: it gave none, alpha stays).
   */
  push(g: number, r: number, missed: boolean | null): void {
    if (g >= 0) {
      const k = this.#slot(g);
      const o = this.#options;
      if (missed !== null) {
        this.#alphas[k] = this.#alphas[k]! + o.gamma * (o.alpha - (missed ? 1 : 0));
      }
      const w = this.#windows[k]!;
      w.push(r);
      if (this.#pooledRead && k < o.groups && w.size === o.minResiduals) {
        this.#pooledRead = this.#windows.some((x, i) => i < o.groups && x.size < o.minResiduals);
      }
    }
    if (this.#pooledRead) this.#pooled.push(r);
  }

  /** The half-width of group `g` now; NaN with too few residuals. */
  halfWidth(g: number): number {
    const min = this.#options.minResiduals;
    const k = this.#slot(g);
    const alpha = this.#alphas[k]!;
    if (g < this.#options.groups || this.#windows[k]!.size >= min) {
      const own = this.#windows[k]!;
      const w = own.size >= min ? own : this.#pooled;
      return w.size < min ? NaN : w.conformalQuantile(alpha);
    }
    // an outage group too rare to calibrate: its base group's window at alpha / 2
    const base = this.#windows[g - this.#options.groups]!;
    const w = base.size >= min ? base : this.#pooled;
    return w.size < min ? NaN : w.conformalQuantile(alpha / 2);
  }
}
