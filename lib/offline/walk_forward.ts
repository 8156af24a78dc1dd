/**
 * Walk-forward refits: the timeline is cut into blocks of `refitEveryH` hours
 * aligned on an anchor (the test start); the model for the forecasts made in a
 * block is fitted on rows whose target hour is before the block starts (and,
 * with a training window, not older than the window). No forecast ever uses a
 * model that saw anything after its information time.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import type { FeatureMatrix } from "../features/mod.ts";
import {
  binMatrix,
  type DesignMatrix,
  fitGbtBinned,
  fitRidge,
  type GbtParams,
  predictGbt,
  predictRidge,
  type RidgeParams,
  takeRows,
} from "../models/mod.ts";

/** Settings of one walk-forward run. */
export interface WalkForwardOptions {
  /** Hours ahead (0 for the virtual sensor). */
  readonly horizonH: number;
  /** First and last target index (inclusive) to forecast. */
  readonly fromTarget: number;
  readonly toTarget: number;
  /** Series index where a block starts (the test start); blocks repeat every `refitEveryH`. */
  readonly anchor: number;
  readonly refitEveryH: number;
  /** Hours of targets each refit trains on; null = all before the block. */
  readonly trainWindowH: number | null;
  readonly ridge: RidgeParams | null;
  readonly gbt: GbtParams | null;
}

/** Forecasts by information index (`NaN` outside the run), one array per model. */
export interface WalkForwardResult {
  readonly ridge: Float64Array;
  readonly gbt: Float64Array;
  /** Number of refits. */
  readonly refits: number;
}

/**
 * Runs the walk-forward for target series `ys` (indexed like the series behind
 * `features`, whose row r is information index `features.from + r`). Each
 * refit bins the block's training rows once and fits every target on them.
 */
export function walkForward(
  features: FeatureMatrix,
  ys: readonly Float64Array[],
  options: WalkForwardOptions,
): WalkForwardResult[] {
  const h = options.horizonH;
  const n = features.from + features.n;
  const out = ys.map(() => ({
    ridge: new Float64Array(n).fill(NaN),
    gbt: new Float64Array(n).fill(NaN),
    refits: 0,
  }));
  const x: DesignMatrix = { n: features.n, p: features.p, data: features.data };
  const row = (i: number) => i - features.from;
  const firstInfo = Math.max(features.from, options.fromTarget - h);
  const lastInfo = Math.min(n - 1 - h, options.toTarget - h);
  const cadence = options.refitEveryH;
  for (let k = Math.floor((firstInfo - options.anchor) / cadence);; k++) {
    const blockStart = options.anchor + k * cadence;
    if (blockStart > lastInfo) break;
    const from = Math.max(firstInfo, blockStart);
    const to = Math.min(lastInfo, blockStart + cadence - 1);
    if (from > to) continue;
    const oldest = options.trainWindowH === null ? 0 : blockStart - options.trainWindowH;
    const union: number[] = [];
    for (let i = Math.max(features.from, oldest - h); i + h < blockStart; i++) union.push(i);
    if (union.length < 50) continue;
    const xTrain = takeRows(x, union.map(row));
    const binned = options.gbt === null ? null : binMatrix(xTrain, options.gbt.maxBins);
    const xPredict = takeRows(x, Array.from({ length: to - from + 1 }, (_, j) => row(from + j)));
    ys.forEach((y, s) => {
      const target = Float64Array.from(union, (i) => y[i + h]!);
      const observed: number[] = [];
      target.forEach((v, r) => {
        if (!Number.isNaN(v)) observed.push(r);
      });
      if (observed.length < 50) return;
      const result = out[s]!;
      result.refits++;
      if (options.ridge !== null) {
        const model = fitRidge(
          takeRows(xTrain, observed),
          observed.map((r) => target[r]!),
          options.ridge,
        );
        predictRidge(model, xPredict).forEach((v, j) => (result.ridge[from + j] = v));
      }
      if (options.gbt !== null && binned !== null) {
        const model = fitGbtBinned(binned, target, { ...options.gbt, seed: options.gbt.seed + k });
        predictGbt(model, xPredict).forEach((v, j) => (result.gbt[from + j] = v));
      }
    });
  }
  return out;
}
