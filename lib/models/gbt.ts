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

/** Features binned side by side. */
const GROUP = 8;

/** A row's bins under some merged cuts. */
export interface BinnedRow {
  readonly cuts: MergedCuts;
  readonly bins: Int32Array;
}

/**
 * The split thresholds of several boosted-trees models on the same features,
 * merged per feature. A value's bin among them (0 for missing, else 1 + the number
 * of merged thresholds below it) decides every split of every one of those models
 * exactly as the model's own bins do, so one binning of a row serves all of them.
 */
export class MergedCuts {
  /** Features per row. */
  readonly p: number;
  /** The largest bin a value can get. */
  readonly maxBin: number;
  readonly #sorted: number[][];
  readonly #models = new WeakSet<GbtModel>();
  // Search tables: features in groups of eight, each feature's thresholds padded with
  // +Infinity to the group's power-of-two size, so eight searches run side by side.
  readonly #table: Float64Array;
  /** Per group: offset of its first feature's table and the table size. */
  readonly #groupOffset: Int32Array;
  readonly #groupSize: Int32Array;

  /** Merges the thresholds of `models`; models with another feature count than the first's are left out. */
  constructor(models: readonly GbtModel[]) {
    const p = models[0]?.cuts.length ?? 0;
    this.p = p;
    const sets = Array.from({ length: p }, () => new Set<number>());
    for (const model of models) {
      if (model.cuts.length !== p || !model.cuts.every(isStrictlyIncreasing)) continue;
      for (const tree of model.trees) {
        tree.feature.forEach((f, node) => {
          const cuts = model.cuts[f];
          const b = tree.bin[node]!;
          if (cuts !== undefined && b >= 1 && b <= cuts.length) sets[f]!.add(cuts[b - 1]!);
        });
      }
      this.#models.add(model);
    }
    this.#sorted = sets.map((s) => [...s].sort((a, b) => a - b));
    this.maxBin = 1 + Math.max(0, ...this.#sorted.map((c) => c.length));
    const groups = Math.ceil(p / GROUP);
    this.#groupOffset = new Int32Array(groups);
    this.#groupSize = new Int32Array(groups);
    let total = 0;
    for (let g = 0; g < groups; g++) {
      const longest = Math.max(
        ...this.#sorted.slice(GROUP * g, GROUP * g + GROUP).map((c) => c.length),
      );
      let size = 1;
      while (size < longest + 1) size *= 2;
      this.#groupOffset[g] = total;
      this.#groupSize[g] = size;
      total += GROUP * size;
    }
    this.#table = new Float64Array(total).fill(Infinity);
    this.#sorted.forEach((cuts, j) => {
      const g = Math.floor(j / GROUP);
      this.#table.set(cuts, this.#groupOffset[g]! + (j % GROUP) * this.#groupSize[g]!);
    });
  }

  /** Whether `model`'s thresholds are among the merged ones (it was given and valid). */
  covers(model: GbtModel): boolean {
    return this.#models.has(model);
  }

  /** Merged bin of the threshold `value` of feature `j` (values up to it fall in that bin), -1 if absent. */
  binOfCut(j: number, value: number): number {
    const i = this.#sorted[j]?.indexOf(value) ?? -1;
    return i < 0 ? -1 : i + 1;
  }

  /** Writes the merged bins of the row `x` (length `p`) into `out` and returns it. */
  bin(x: ArrayLike<number>, out: Int32Array = new Int32Array(this.p)): Int32Array {
    const groups = this.#groupSize.length;
    for (let g = 0; g < groups; g++) this.#binGroup(g, x, out);
    return out;
  }

  /**
   * Like `bin(x, out)`, but copies the bins from `likeBins` (the bins of the row `like`)
   * for every group of features where `x` and `like` hold the same values: cheaper for
   * rows that share most features.
   */
  binLike(
    x: ArrayLike<number>,
    like: ArrayLike<number>,
    likeBins: Int32Array,
    out: Int32Array = new Int32Array(this.p),
  ): Int32Array {
    const groups = this.#groupSize.length;
    for (let g = 0; g < groups; g++) {
      const end = Math.min(GROUP * g + GROUP, this.p);
      let same = true;
      for (let j = GROUP * g; j < end; j++) {
        const v = x[j]!;
        const w = like[j]!;
        if (!(v === w || (v !== v && w !== w))) same = false;
      }
      if (!same) this.#binGroup(g, x, out);
      else for (let j = GROUP * g; j < end; j++) out[j] = likeBins[j]!;
    }
    return out;
  }

  /** Bins of the features of group `g`: eight branch-free binary searches side by side. */
  #binGroup(g: number, x: ArrayLike<number>, out: Int32Array): void {
    const table = this.#table;
    const size = this.#groupSize[g]!;
    const j = GROUP * g;
    if (j + GROUP > this.p) {
      for (let k = j; k < this.p; k++) out[k] = this.#binOne(g, k - j, x[k]!);
      return;
    }
    const b0 = this.#groupOffset[g]! - 1, b1 = b0 + size, b2 = b1 + size, b3 = b2 + size;
    const b4 = b3 + size, b5 = b4 + size, b6 = b5 + size, b7 = b6 + size;
    const v0 = x[j]!, v1 = x[j + 1]!, v2 = x[j + 2]!, v3 = x[j + 3]!;
    const v4 = x[j + 4]!, v5 = x[j + 5]!, v6 = x[j + 6]!, v7 = x[j + 7]!;
    // p = number of thresholds below v (NaN is below none)
    let p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0;
    for (let step = size >> 1; step > 0; step >>= 1) {
      p0 += step & -(table[b0 + p0 + step]! < v0);
      p1 += step & -(table[b1 + p1 + step]! < v1);
      p2 += step & -(table[b2 + p2 + step]! < v2);
      p3 += step & -(table[b3 + p3 + step]! < v3);
      p4 += step & -(table[b4 + p4 + step]! < v4);
      p5 += step & -(table[b5 + p5 + step]! < v5);
      p6 += step & -(table[b6 + p6 + step]! < v6);
      p7 += step & -(table[b7 + p7 + step]! < v7);
    }
    out[j] = (p0 + 1) & -(v0 === v0); // missing: bin 0
    out[j + 1] = (p1 + 1) & -(v1 === v1);
    out[j + 2] = (p2 + 1) & -(v2 === v2);
    out[j + 3] = (p3 + 1) & -(v3 === v3);
    out[j + 4] = (p4 + 1) & -(v4 === v4);
    out[j + 5] = (p5 + 1) & -(v5 === v5);
    out[j + 6] = (p6 + 1) & -(v6 === v6);
    out[j + 7] = (p7 + 1) & -(v7 === v7);
  }

  #binOne(g: number, k: number, v: number): number {
    const size = this.#groupSize[g]!;
    const base = this.#groupOffset[g]! + k * size - 1;
    const table = this.#table;
    let pos = 0;
    for (let step = size >> 1; step > 0; step >>= 1) pos += step & -(table[base + pos + step]! < v);
    return (pos + 1) & -(v === v);
  }
}

function isStrictlyIncreasing(cuts: readonly number[]): boolean {
  for (let i = 1; i < cuts.length; i++) if (!(cuts[i - 1]! < cuts[i]!)) return false;
  return cuts.every((c) => c === c);
}

/** Deepest padded layout compiled; deeper models keep the tree walk of `predictGbt`. */
const MAX_COMPILED_DEPTH = 10;
/** Node word: merged-bin threshold in the high bits, feature in the low `FEATURE_BITS`. */
const FEATURE_BITS = 10;
const ALWAYS_LEFT = 1 << 20;

/**
 * A boosted-trees model compiled for one row at a time, with predictions identical
 * to `predictGbt`: every tree padded to the model's depth as a complete binary tree
 * (node words in one `Int32Array`, leaf values in one `Float64Array`), thresholds as
 * bins of {@linkcode MergedCuts}, and a walk without data-dependent branches, four
 * trees at a time. Leaf values are added in tree order, as `predictGbt` does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CompiledGbt, fitGbt, MergedCuts, predictGbt } from "./gbt.ts";
 * const n = 200;
 * const data = Float64Array.from({ length: n }, (_, i) => i);
 * const model = fitGbt({ n, p: 1, data }, Float64Array.from(data, (v) => v % 7), {
 *   trees: 20, learningRate: 0.3, maxDepth: 3, minSamplesLeaf: 5, treeFeatureFraction: 1,
 *   splitFeatureFraction: 1, rowSubsample: 1, maxBins: 64, l2: 0, seed: 1, transform: "none",
 * });
 * const cuts = new MergedCuts([model]);
 * const compiled = new CompiledGbt(model, cuts);
 * const x = new Float64Array([42.5]);
 * const expected = predictGbt(model, { n: 1, p: 1, data: x })[0];
 * assert.equal(compiled.predict(x, { cuts, bins: cuts.bin(x) }), expected);
 * assert.equal(compiled.predict(x), expected);
 * ```
 */
export class CompiledGbt {
  /** The cuts whose bins `predict` takes. */
  readonly cuts: MergedCuts;
  readonly #model: GbtModel;
  readonly #compiled: boolean;
  readonly #depth: number;
  readonly #inner: number;
  readonly #trees: number;
  readonly #nodes: Int32Array;
  readonly #leaves: Float64Array;
  readonly #scratch: Int32Array;

  /** Compiles `model` against `cuts` (built from `model` alone when they do not cover it). */
  constructor(model: GbtModel, cuts?: MergedCuts) {
    this.cuts = cuts !== undefined && cuts.covers(model) ? cuts : new MergedCuts([model]);
    this.#model = model;
    const fits = this.cuts.p <= FEATURE_MASK + 1 && this.cuts.maxBin < ALWAYS_LEFT;
    const depth = this.cuts.covers(model) && fits ? compiledDepth(model) : -1;
    this.#compiled = depth >= 0;
    this.#depth = Math.max(depth, 0);
    this.#inner = (1 << this.#depth) - 1;
    this.#trees = this.#compiled ? model.trees.length : 0;
    this.#nodes = new Int32Array(this.#trees * this.#inner);
    this.#leaves = new Float64Array(this.#trees * (this.#inner + 1));
    this.#scratch = new Int32Array(this.cuts.p);
    for (let t = 0; t < this.#trees; t++) this.#pad(t, model.trees[t]!, 0, 0, 0);
  }

  /** Whether the padded layout is used (false: too deep or malformed, `predictGbt` answers). */
  get compiled(): boolean {
    return this.#compiled;
  }

  /** Writes tree node `node` at padded position `pos` (depth `d`) and everything below it. */
  #pad(t: number, tree: FlatTree, node: number, pos: number, d: number): void {
    if (d === this.#depth) {
      this.#leaves[t * (this.#inner + 1) + pos - this.#inner] = tree.value[node]!;
      return;
    }
    const f = tree.feature[node]!;
    let word = ALWAYS_LEFT << FEATURE_BITS; // a leaf above the last level: always left
    let left = node, right = node;
    if (f >= 0) {
      const b = tree.bin[node]!;
      const cuts = this.#model.cuts[f]!;
      const threshold = b < 0
        ? -1 // bins are >= 0: always right
        : b === 0
        ? 0 // missing values only
        : b > cuts.length
        ? ALWAYS_LEFT
        : this.cuts.binOfCut(f, cuts[b - 1]!);
      word = (threshold << FEATURE_BITS) | f;
      left = tree.left[node]!;
      right = tree.right[node]!;
    }
    this.#nodes[t * this.#inner + pos] = word;
    this.#pad(t, tree, left, 2 * pos + 1, d + 1);
    this.#pad(t, tree, right, 2 * pos + 2, d + 1);
  }

  /**
   * The prediction for one row `x`, on the original target scale. `binned`, the row's
   * bins under `this.cuts` (shared by several models), saves binning it again; bins
   * under other cuts are ignored.
   *
   * @throws {RangeError} when `x` has another number of features than the model.
   */
  predict(x: Float64Array, binned?: BinnedRow): number {
    if (!this.#compiled || x.length !== this.#model.cuts.length) {
      return predictGbt(this.#model, { n: 1, p: x.length, data: x })[0]!;
    }
    const bins = binned !== undefined && binned.cuts === this.cuts
      ? binned.bins
      : this.cuts.bin(x, this.#scratch);
    const nodes = this.#nodes;
    const leaves = this.#leaves;
    const depth = this.#depth;
    const inner = this.#inner;
    const trees = this.#trees;
    let s = this.#model.base;
    let t = 0;
    // node i's children are 2i + 1 (bin <= threshold) and 2i + 2; four independent walks
    for (; t + 4 <= trees; t += 4) {
      const o0 = t * inner, o1 = o0 + inner, o2 = o1 + inner, o3 = o2 + inner;
      let i0 = 0, i1 = 0, i2 = 0, i3 = 0;
      for (let d = 0; d < depth; d++) {
        const w0 = nodes[o0 + i0]!,
          w1 = nodes[o1 + i1]!,
          w2 = nodes[o2 + i2]!,
          w3 = nodes[o3 + i3]!;
        i0 = 2 * i0 + 1 + (((w0 >> FEATURE_BITS) - bins[w0 & FEATURE_MASK]!) >>> 31);
        i1 = 2 * i1 + 1 + (((w1 >> FEATURE_BITS) - bins[w1 & FEATURE_MASK]!) >>> 31);
        i2 = 2 * i2 + 1 + (((w2 >> FEATURE_BITS) - bins[w2 & FEATURE_MASK]!) >>> 31);
        i3 = 2 * i3 + 1 + (((w3 >> FEATURE_BITS) - bins[w3 & FEATURE_MASK]!) >>> 31);
      }
      s += leaves[o0 + t + i0 - inner]!;
      s += leaves[o1 + t + 1 + i1 - inner]!;
      s += leaves[o2 + t + 2 + i2 - inner]!;
      s += leaves[o3 + t + 3 + i3 - inner]!;
    }
    for (; t < trees; t++) {
      const o = t * inner;
      let i = 0;
      for (let d = 0; d < depth; d++) {
        const w = nodes[o + i]!;
        i = 2 * i + 1 + (((w >> FEATURE_BITS) - bins[w & FEATURE_MASK]!) >>> 31);
      }
      s += leaves[o + t + i - inner]!;
    }
    return inverse(this.#model.params.transform, s);
  }
}

const FEATURE_MASK = (1 << FEATURE_BITS) - 1;

/** Depth of the deepest tree, or -1 when a tree is malformed or deeper than `MAX_COMPILED_DEPTH`. */
function compiledDepth(model: GbtModel): number {
  const p = model.cuts.length;
  let deepest = 0;
  for (const tree of model.trees) {
    const size = tree.feature.length;
    if (size === 0) return -1;
    const stack: [number, number][] = [[0, 0]];
    while (stack.length > 0) {
      const [node, d] = stack.pop()!;
      if (!(node >= 0 && node < size) || d > MAX_COMPILED_DEPTH) return -1;
      const f = tree.feature[node]!;
      if (f < 0) {
        if (tree.value[node] === undefined) return -1;
        deepest = Math.max(deepest, d);
        continue;
      }
      if (f >= p || tree.bin[node] === undefined) return -1;
      stack.push([tree.left[node]!, d + 1], [tree.right[node]!, d + 1]);
    }
  }
  return deepest;
}
