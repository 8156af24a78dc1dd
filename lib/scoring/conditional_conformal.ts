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

/** Scale the residuals are measured on. */
export type ResidualScale = "absolute" | "log1p";

/** Settings of {@linkcode conditionalConformalIntervals}. */
export interface ConditionalConformalOptions extends ConformalOptions {
  readonly scale: ResidualScale;
  /** Number of groups; `groupOf` returns 0..groups-1. */
  readonly groups: number;
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
): ConformalIntervals {
  const n = pred.length;
  const lower = new Float64Array(n).fill(NaN);
  const upper = new Float64Array(n).fill(NaN);
  const halfWidth = new Float64Array(n).fill(NaN);
  const group = new Int32Array(n).fill(-1);
  const windows = Array.from({ length: options.groups }, () => new SortedWindow(options.window));
  const pooled = new SortedWindow(options.window);
  const alphas = new Float64Array(options.groups).fill(options.alpha);
  const log = options.scale === "log1p";
  const toScale = (v: number) => (log ? Math.log1p(Math.max(0, v)) : v);
  for (let t = 0; t < n; t++) {
    const s = t - horizonH;
    if (s >= 0) {
      const r = Math.abs(toScale(obs[t]!) - toScale(pred[s]!));
      if (r === r) {
        const g = group[s]!;
        const w = halfWidth[s]!;
        if (g >= 0 && w === w) {
          alphas[g] = alphas[g]! + options.gamma * (options.alpha - (r > w ? 1 : 0));
        }
        if (g >= 0) windows[g]!.push(r);
        pooled.push(r);
      }
    }
    const p = pred[t]!;
    if (p !== p) continue;
    const g = groupOf(t);
    if (!(g >= 0 && g < options.groups)) {
      throw new RangeError(`group ${g} of hour ${t} is not in 0..${options.groups - 1}`);
    }
    group[t] = g;
    const own = windows[g]!;
    const window = own.size >= options.minResiduals ? own : pooled;
    if (window.size < options.minResiduals) continue;
    const q = window.conformalQuantile(alphas[g]!);
    halfWidth[t] = q;
    const c = toScale(p);
    lower[t] = Math.max(floor, log ? Math.expm1(c - q) : c - q);
    upper[t] = log ? Math.expm1(c + q) : c + q;
  }
  return { lower, upper };
}
