/**
 * Histogram-based gradient-boosted regression trees (squared loss on an
 * optionally transformed target), written for fast walk-forward refits:
 * features binned once (at most 64 bins, bin 0 = missing), split search over
 * bin histograms, a fresh random subset of features at every split, row
 * subsampling per tree, and a seeded PRNG so fits are reproducible.
 *
 * A split sends bins <= `bin` left: missing values (bin 0) go left, so a split at
 * bin 0 separates missing from observed.
 *
 * This module fits and predicts; `gbt_cuts.ts` merges the thresholds of several
 * models for one binning per row, and `gbt_compiled.ts` compiles a model for
 * fast one-row predictions.
 *
 * @module
 */
import { applyBins, type BinCuts, fitBinCuts } from "./binning.ts";
import { type DesignMatrix, forward, inverse, type TargetTransform } from "./matrix.ts";
import { mulberry32 } from "../random.ts";

/** Settings of a boosted-trees fit. */
export interface GbtParams {
  readonly trees: number;
  readonly learningRate: number;
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  /** Share of features a tree builds histograms for, (0, 1]. */
  readonly treeFeatureFraction: number;
  /** Share of the tree's features tried at each split, (0, 1]: a fresh sample per split. */
  readonly splitFeatureFraction: number;
  /** Share of rows used by each tree, (0, 1]. */
  readonly rowSubsample: number;
  /** At most 64 (63 value bins and the missing bin). */
  readonly maxBins: number;
  /** L2 penalty on leaf values. */
  readonly l2: number;
  readonly seed: number;
  readonly transform: TargetTransform;
}

/** One tree as flat arrays; `feature[k] < 0` marks a leaf with value `value[k]`. */
export interface FlatTree {
  readonly feature: number[];
  readonly bin: number[];
  readonly left: number[];
  readonly right: number[];
  readonly value: number[];
}

/** A fitted model: everything `predictGbt` needs, JSON-safe. */
export interface GbtModel {
  readonly kind: "gbt";
  readonly params: GbtParams;
  readonly cuts: BinCuts;
  readonly base: number;
  readonly trees: FlatTree[];
}

const MAX_BINS = 64;
const SLOT = 2 * MAX_BINS; // per feature: (gradient sum, count) for each bin

/**
 * Fits boosted trees of `y` (length `x.n`, no missing values) on `x`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitGbt, predictGbt } from "./gbt.ts";
 * const n = 200;
 * const data = Float64Array.from({ length: n }, (_, i) => i);
 * const y = Float64Array.from(data, (v) => (v < 100 ? 1 : 5));
 * const model = fitGbt({ n, p: 1, data }, y, {
 *   trees: 50, learningRate: 0.3, maxDepth: 2, minSamplesLeaf: 5, treeFeatureFraction: 1,
 *   splitFeatureFraction: 1, rowSubsample: 1, maxBins: 64, l2: 0, seed: 1, transform: "none",
 * });
 * const pred = predictGbt(model, { n: 2, p: 1, data: new Float64Array([10, 150]) });
 * assert.ok(Math.abs(pred[0]! - 1) < 0.01 && Math.abs(pred[1]! - 5) < 0.01);
 * ```
 */
export function fitGbt(x: DesignMatrix, y: ArrayLike<number>, params: GbtParams): GbtModel {
  if (y.length !== x.n || x.n === 0) {
    throw new RangeError(
      `fitGbt() needs as many targets as rows (> 0); got ${y.length} and ${x.n}`,
    );
  }
  return fitGbtBinned(binMatrix(x, params.maxBins), y, params);
}

/** A design matrix turned into bins once, to fit several targets on the same rows. */
export interface BinnedMatrix {
  readonly n: number;
  readonly p: number;
  readonly cuts: BinCuts;
  /** Row-major bins. */
  readonly rowBins: Uint8Array;
  /** Column-major bins. */
  readonly columns: Uint8Array[];
}

/** Bins a matrix with cut points from its own (training) values. */
export function binMatrix(x: DesignMatrix, maxBins: number): BinnedMatrix {
  if (maxBins > MAX_BINS) throw new RangeError(`maxBins must be <= ${MAX_BINS}, got ${maxBins}`);
  const { n, p } = x;
  const cuts = fitBinCuts(x, maxBins);
  const rowBins = applyBins(x, cuts);
  const columns = Array.from({ length: p }, (_, j) => {
    const col = new Uint8Array(n);
    for (let i = 0; i < n; i++) col[i] = rowBins[i * p + j]!;
    return col;
  });
  return { n, p, cuts, rowBins, columns };
}

/**
 * Fits boosted trees on a binned matrix; rows whose target `y[i]` is `NaN` are
 * not training rows (their bins still shaped the cut points).
 */
export function fitGbtBinned(
  binned: BinnedMatrix,
  y: ArrayLike<number>,
  params: GbtParams,
): GbtModel {
  const { n, p, rowBins } = binned;
  const train: number[] = [];
  for (let i = 0; i < n; i++) if (!Number.isNaN(y[i]!)) train.push(i);
  if (train.length === 0) throw new RangeError("fitGbtBinned() needs at least one target value");
  const z = new Float64Array(n);
  let base = 0;
  for (const i of train) base += z[i] = forward(params.transform, y[i]!);
  base /= train.length;
  const pred = new Float64Array(n).fill(base);
  const grad = new Float64Array(n);
  const rng = mulberry32(params.seed);
  const grower = new Grower(binned.columns, grad, params, rng);
  const trees: FlatTree[] = [];
  const rows = new Int32Array(train.length);
  for (let t = 0; t < params.trees; t++) {
    for (const i of train) grad[i] = pred[i]! - z[i]!;
    let m = 0;
    for (const i of train) {
      if (params.rowSubsample >= 1 || rng() < params.rowSubsample) rows[m++] = i;
    }
    const tree = grower.grow(rows.subarray(0, m));
    trees.push(tree);
    for (const i of train) pred[i] = pred[i]! + leafValue(tree, rowBins, i * p);
  }
  return { kind: "gbt", params, cuts: binned.cuts, base, trees };
}

function leafValue(tree: FlatTree, bins: Uint8Array, offset: number): number {
  let node = 0;
  for (;;) {
    const f = tree.feature[node]!;
    if (f < 0) return tree.value[node]!;
    node = bins[offset + f]! <= tree.bin[node]! ? tree.left[node]! : tree.right[node]!;
  }
}

/** Grows one tree depth-first; a child's histogram is built or got by subtraction. */
class Grower {
  readonly #p: number;
  readonly #kTree: number;
  readonly #kSplit: number;
  readonly #features: Int32Array; // the tree's features come first
  readonly #pick: Int32Array; // positions (into the tree's features) tried at a split
  readonly #hists: Float64Array[]; // two per depth
  readonly #scratch: Int32Array;
  readonly #gathered: Float64Array;
  #tree: FlatTree = { feature: [], bin: [], left: [], right: [], value: [] };

  constructor(
    readonly columns: Uint8Array[],
    readonly grad: Float64Array,
    readonly params: GbtParams,
    readonly rng: () => number,
  ) {
    const p = columns.length;
    this.#p = p;
    this.#kTree = Math.max(1, Math.min(p, Math.round(params.treeFeatureFraction * p)));
    this.#kSplit = Math.max(
      1,
      Math.min(this.#kTree, Math.round(params.splitFeatureFraction * this.#kTree)),
    );
    this.#features = Int32Array.from({ length: p }, (_, j) => j);
    this.#pick = Int32Array.from({ length: this.#kTree }, (_, j) => j);
    this.#hists = Array.from(
      { length: 2 * (params.maxDepth + 2) },
      () => new Float64Array(this.#kTree * SLOT),
    );
    this.#scratch = new Int32Array(grad.length);
    this.#gathered = new Float64Array(grad.length);
  }

  grow(rows: Int32Array): FlatTree {
    this.#tree = { feature: [], bin: [], left: [], right: [], value: [] };
    shuffleFront(this.#features, this.#kTree, this.rng);
    let g = 0;
    for (let i = 0; i < rows.length; i++) g += this.grad[rows[i]!]!;
    const root = this.#hists[0]!;
    this.#fill(root, rows);
    this.#node(rows, 0, g, root);
    return this.#tree;
  }

  #fill(hist: Float64Array, rows: Int32Array): void {
    hist.fill(0);
    const count = rows.length;
    const g = this.#gathered;
    for (let i = 0; i < count; i++) g[i] = this.grad[rows[i]!]!;
    const features = this.#features;
    const columns = this.columns;
    const kTree = this.#kTree;
    for (let j = 0; j < kTree; j++) {
      const col = columns[features[j]!]!;
      const base = j * SLOT;
      for (let i = 0; i < count; i++) {
        const h = base + 2 * col[rows[i]!]!;
        hist[h] = hist[h]! + g[i]!;
        hist[h + 1] = hist[h + 1]! + 1;
      }
    }
  }

  #push(feature: number, bin: number, value: number): number {
    const id = this.#tree.feature.length;
    this.#tree.feature.push(feature);
    this.#tree.bin.push(bin);
    this.#tree.left.push(-1);
    this.#tree.right.push(-1);
    this.#tree.value.push(value);
    return id;
  }

  #leaf(g: number, count: number): number {
    const { l2, learningRate } = this.params;
    return this.#push(-1, 0, count > 0 ? (-g / (count + l2)) * learningRate : 0);
  }

  #node(rows: Int32Array, depth: number, g: number, hist: Float64Array): number {
    const { params } = this;
    const count = rows.length;
    const minLeaf = Math.max(1, params.minSamplesLeaf);
    if (depth >= params.maxDepth || count < 2 * minLeaf) return this.#leaf(g, count);
    shuffleFront(this.#pick, this.#kSplit, this.rng);
    const l2 = params.l2;
    const parentScore = (g * g) / (count + l2);
    let bestGain = 1e-12, bestJ = -1, bestBin = 0, bestGl = 0;
    for (let s = 0; s < this.#kSplit; s++) {
      const j = this.#pick[s]!;
      const base = j * SLOT;
      let gl = 0, cl = 0;
      for (let b = 0; b < MAX_BINS - 1; b++) {
        gl += hist[base + 2 * b]!;
        cl += hist[base + 2 * b + 1]!;
        if (cl < minLeaf) continue;
        const cr = count - cl;
        if (cr < minLeaf) break;
        const gr = g - gl;
        const gain = (gl * gl) / (cl + l2) + (gr * gr) / (cr + l2) - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestJ = j;
          bestBin = b;
          bestGl = gl;
        }
      }
    }
    if (bestJ < 0) return this.#leaf(g, count);
    const feature = this.#features[bestJ]!;
    const nLeft = this.#partition(rows, this.columns[feature]!, bestBin);
    const leftRows = rows.subarray(0, nLeft);
    const rightRows = rows.subarray(nLeft);
    const id = this.#push(feature, bestBin, 0);
    const leftHist = this.#hists[2 * (depth + 1)]!;
    const rightHist = this.#hists[2 * (depth + 1) + 1]!;
    if (depth + 1 < params.maxDepth) {
      const [small, large] = nLeft <= count - nLeft ? [leftHist, rightHist] : [rightHist, leftHist];
      this.#fill(small, nLeft <= count - nLeft ? leftRows : rightRows);
      for (let h = 0; h < hist.length; h++) large[h] = hist[h]! - small[h]!;
    }
    this.#tree.left[id] = this.#node(leftRows, depth + 1, bestGl, leftHist);
    this.#tree.right[id] = this.#node(rightRows, depth + 1, g - bestGl, rightHist);
    return id;
  }

  /** Stable partition (rows stay in increasing order): bins <= `bin` first; returns the left count. */
  #partition(rows: Int32Array, col: Uint8Array, bin: number): number {
    const scratch = this.#scratch;
    let nl = 0, nr = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (col[row]! <= bin) rows[nl++] = row;
      else scratch[nr++] = row;
    }
    rows.set(scratch.subarray(0, nr), nl);
    return nl;
  }
}

/** Moves a uniform random sample of `k` entries to the front of `a` (partial Fisher-Yates). */
function shuffleFront(a: Int32Array, k: number, rng: () => number): void {
  for (let j = 0; j < k; j++) {
    const r = j + Math.floor(rng() * (a.length - j));
    const tmp = a[j]!;
    a[j] = a[r]!;
    a[r] = tmp;
  }
}

/** Predictions of a boosted-trees model for every row of `x`, on the original target scale. */
export function predictGbt(model: GbtModel, x: DesignMatrix): Float64Array {
  const bins = applyBins(x, model.cuts);
  const out = new Float64Array(x.n);
  for (let i = 0; i < x.n; i++) {
    let s = model.base;
    for (const tree of model.trees) s += leafValue(tree, bins, i * x.p);
    out[i] = inverse(model.params.transform, s);
  }
  return out;
}
