/**
 * The split thresholds of several boosted-trees models (`gbt.ts`) merged per
 * feature ({@linkcode MergedCuts}), so that one binning of a row serves every
 * one of them; the binning runs eight features side by side in branch-free
 * binary searches. `gbt_compiled.ts` walks its trees on these bins.
 *
 * @module
 */
import type { GbtModel } from "./gbt.ts";

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
