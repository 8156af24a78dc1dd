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
  type BinnedMatrix,
  changeForecast,
  changeOffsetAt,
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
  /**
   * Also fit the change models (`change` in config/forecast.json): ridge and trees on
   * log1p(y(t + h)) minus {@linkcode changeOffsetAt} with this lookback, on the untransformed
   * scale; absent or null: none.
   */
  readonly changeLookbackH?: number | null;
  /**
   * The change models' offsets given instead, per series and information index (the virtual
   * sensor's: log1p of the last value before t, however old); absent or null: from
   * `changeLookbackH`.
   */
  readonly changeOffsets?: readonly Float64Array[] | null;
  /** Fit the change models only: no level models (their forecasts stay NaN). */
  readonly changeOnly?: boolean;
  /**
   * The trees' own training window (null = all history) and parameters, for the level and the
   * change trees (`forecastTreesOf` in forecast_config.ts); absent or null: `trainWindowH` and
   * `gbt`. Ignored when `gbt` is null.
   */
  readonly trees?: { readonly trainWindowH: number | null; readonly gbt: GbtParams } | null;
}

/** One model kind's forecasts by information index. */
export interface RidgeAndTrees {
  readonly ridge: Float64Array;
  readonly gbt: Float64Array;
}

/** Forecasts by information index (`NaN` outside the run), one array per model. */
export interface WalkForwardResult {
  readonly ridge: Float64Array;
  readonly gbt: Float64Array;
  /** Number of refits. */
  readonly refits: number;
  /** The change models' forecasts (back on the value scale), when asked for. */
  readonly change?: RidgeAndTrees;
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
  const lookback = options.changeLookbackH ?? null;
  const empty = () => ({
    ridge: new Float64Array(n).fill(NaN),
    gbt: new Float64Array(n).fill(NaN),
  });
  const offsets = options.changeOffsets ??
    (lookback === null
      ? null
      : ys.map((y) => Float64Array.from({ length: n }, (_, i) => changeOffsetAt(y, i, lookback))));
  if (options.changeOnly && offsets === null) {
    throw new RangeError("walkForward: changeOnly needs changeLookbackH or changeOffsets");
  }
  const out = ys.map(() => ({
    ...empty(),
    refits: 0,
    ...(offsets === null ? {} : { change: empty() }),
  }));
  const x: DesignMatrix = { n: features.n, p: features.p, data: features.data };
  const row = (i: number) => i - features.from;
  const firstInfo = Math.max(features.from, options.fromTarget - h);
  const lastInfo = Math.min(n - 1 - h, options.toTarget - h);
  const cadence = options.refitEveryH;
  const trees = options.trees ?? null;
  const treeWindow = trees === null ? options.trainWindowH : trees.trainWindowH;
  const fits = { ...options, gbt: options.gbt === null ? null : trees?.gbt ?? options.gbt };
  const oldestOf = (blockStart: number, w: number | null) => w === null ? 0 : blockStart - w;
  for (let k = Math.floor((firstInfo - options.anchor) / cadence);; k++) {
    const blockStart = options.anchor + k * cadence;
    if (blockStart > lastInfo) break;
    const from = Math.max(firstInfo, blockStart);
    const to = Math.min(lastInfo, blockStart + cadence - 1);
    if (from > to) continue;
    // rows whose target is in either window; each model kind fits the suffix in its own
    const ridgeOldest = oldestOf(blockStart, options.trainWindowH);
    const treeOldest = oldestOf(blockStart, treeWindow);
    const union: number[] = [];
    const first = Math.max(features.from, Math.min(ridgeOldest, treeOldest) - h);
    for (let i = first; i + h < blockStart; i++) union.push(i);
    if (union.length < 50) continue;
    const xTrain = takeRows(x, union.map(row));
    const suffix = (oldest: number) => Math.max(0, oldest - h - first);
    const treeFirst = suffix(treeOldest);
    const block: Block = {
      xTrain,
      ridgeFirst: suffix(ridgeOldest),
      treeFirst,
      binned: fits.gbt === null ? null : binMatrix(
        treeFirst === 0 ? xTrain : takeRows(
          xTrain,
          Array.from({ length: union.length - treeFirst }, (_, r) => treeFirst + r),
        ),
        fits.gbt.maxBins,
      ),
      xPredict: takeRows(x, Array.from({ length: to - from + 1 }, (_, j) => row(from + j))),
      from,
      k,
    };
    ys.forEach((y, s) => {
      const target = Float64Array.from(union, (i) => y[i + h]!);
      fitSeries(block, union, target, offsets?.[s], fits, out[s]!);
    });
  }
  return out;
}

/**
 * One series' refit on a block: the level models (unless `changeOnly`), then with an offset the
 * change models on log1p(target) minus the offset at each row's information index. A refit
 * counts when the level models were fitted (with `changeOnly`, the change models).
 */
function fitSeries(
  block: Block,
  union: readonly number[],
  target: Float64Array,
  offset: Float64Array | undefined,
  options: WalkForwardOptions,
  result: { refits: number } & RidgeAndTrees & { change?: RidgeAndTrees },
): void {
  const changeOnly = options.changeOnly === true;
  if (!changeOnly) {
    if (!fitBlock(block, target, options, result)) return;
    result.refits++;
  }
  if (offset === undefined || result.change === undefined) return;
  const change = Float64Array.from(union, (i, r) => Math.log1p(target[r]!) - offset[i]!);
  const fitted = fitBlock(
    block,
    change,
    {
      ridge: options.ridge === null ? null : { ...options.ridge, transform: "none" },
      gbt: options.gbt === null ? null : { ...options.gbt, transform: "none" },
    },
    result.change,
    (raw, j) => changeForecast(raw, offset[block.from + j]!),
  );
  if (changeOnly && fitted) result.refits++;
}

/**
 * One refit's rows: the training rows, of which ridge fits those from `ridgeFirst` on and the
 * trees those from `treeFirst` on (binned), and the block's rows to forecast.
 */
interface Block {
  readonly xTrain: DesignMatrix;
  readonly ridgeFirst: number;
  readonly treeFirst: number;
  readonly binned: BinnedMatrix | null;
  readonly xPredict: DesignMatrix;
  /** Information index of the first row of `xPredict`. */
  readonly from: number;
  /** Block number (the trees' seed is `gbt.seed + k`). */
  readonly k: number;
}

/**
 * Fits ridge and trees of one target (`NaN` = missing, one per training row of the block), each
 * on its rows of the block, and writes their forecasts, mapped by `map(prediction, row of the
 * block)` when given. False when either has fewer than 50 observed targets (nothing fitted).
 */
function fitBlock(
  block: Block,
  target: Float64Array,
  params: { ridge: RidgeParams | null; gbt: GbtParams | null },
  into: RidgeAndTrees,
  map?: (raw: number, j: number) => number,
): boolean {
  const observed: number[] = [];
  let treeObserved = 0;
  target.forEach((v, r) => {
    if (Number.isNaN(v)) return;
    if (r >= block.ridgeFirst) observed.push(r);
    if (r >= block.treeFirst) treeObserved++;
  });
  if (observed.length < 50 || treeObserved < 50) return false;
  const write = (out: Float64Array, predictions: Float64Array) =>
    predictions.forEach((v, j) => out[block.from + j] = map === undefined ? v : map(v, j));
  if (params.ridge !== null) {
    const model = fitRidge(
      takeRows(block.xTrain, observed),
      observed.map((r) => target[r]!),
      params.ridge,
    );
    write(into.ridge, predictRidge(model, block.xPredict));
  }
  if (params.gbt !== null && block.binned !== null) {
    const model = fitGbtBinned(block.binned, target.subarray(block.treeFirst), {
      ...params.gbt,
      seed: params.gbt.seed + block.k,
    });
    write(into.gbt, predictGbt(model, block.xPredict));
  }
  return true;
}
