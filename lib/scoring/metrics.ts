/**
 * Point-forecast and classification metrics. Pairs where either value is
 * missing (`NaN`) are skipped, so only observed targets are scored.
 *
 * @module
 */

/**
 * Mean absolute error over pairs where both values are present.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mae } from "./metrics.ts";
 * assert.equal(mae([1, 2, 3], [2, 2, NaN]), 0.5);
 * ```
 */
export function mae(pred: ArrayLike<number>, obs: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < obs.length; i++) {
    const e = pred[i]! - obs[i]!;
    if (e === e) {
      s += Math.abs(e);
      n++;
    }
  }
  return n > 0 ? s / n : NaN;
}

/** Root mean squared error over pairs where both values are present. */
export function rmse(pred: ArrayLike<number>, obs: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < obs.length; i++) {
    const e = pred[i]! - obs[i]!;
    if (e === e) {
      s += e * e;
      n++;
    }
  }
  return n > 0 ? Math.sqrt(s / n) : NaN;
}

/**
 * The MASE scale: the in-sample mean absolute error of the seasonal naive
 * forecast `y[t - periodH]`, over pairs observed at both ends (Hyndman and
 * Koehler 2006, seasonal variant), computed on `y[from..to)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { naiveScale } from "./metrics.ts";
 * assert.equal(naiveScale([1, 2, 4, 7], 1), 2);
 * ```
 */
export function naiveScale(
  y: ArrayLike<number>,
  periodH: number,
  from = 0,
  to = y.length,
): number {
  let s = 0, n = 0;
  for (let i = Math.max(from, periodH); i < to; i++) {
    const d = y[i]! - y[i - periodH]!;
    if (d === d) {
      s += Math.abs(d);
      n++;
    }
  }
  return n > 0 ? s / n : NaN;
}

/** Skill: 1 - MAE(model) / MAE(reference); positive means better than the reference. */
export function skillScore(maeModel: number, maeReference: number): number {
  return 1 - maeModel / maeReference;
}

/** Counts and scores of a binary warning. */
export interface ClassificationScores {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
  /** tp / (tp + fp); 0 when nothing was predicted. */
  readonly precision: number;
  /** tp / (tp + fn); 0 when nothing happened. */
  readonly recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  readonly f1: number;
}

/**
 * Precision, recall and F1 of predicted events against actual ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classify } from "./metrics.ts";
 * const s = classify([true, true, false, false], [true, false, true, false]);
 * assert.deepEqual([s.precision, s.recall, s.f1], [0.5, 0.5, 0.5]);
 * ```
 */
export function classify(
  predicted: readonly boolean[],
  actual: readonly boolean[],
): ClassificationScores {
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (let i = 0; i < actual.length; i++) {
    if (predicted[i]) {
      if (actual[i]) tp++;
      else fp++;
    } else if (actual[i]) fn++;
    else tn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { tp, fp, fn, tn, precision, recall, f1 };
}
