/**
 * Boosted-trees models (`gbt.ts`) compiled for one row at a time
 * ({@linkcode CompiledGbt}): every tree padded to a complete binary tree over
 * the bins of {@linkcode MergedCuts}, walked without data-dependent branches,
 * with predictions identical to `predictGbt`.
 *
 * @module
 */
import { type FlatTree, type GbtModel, predictGbt } from "./gbt.ts";
import { inverse } from "./matrix.ts";
import { type BinnedRow, MergedCuts } from "./gbt_cuts.ts";

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
 * import { fitGbt, predictGbt } from "./gbt.ts";
 * import { MergedCuts } from "./gbt_cuts.ts";
 * import { CompiledGbt } from "./gbt_compiled.ts";
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
