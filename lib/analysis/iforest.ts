/**
 * Isolation forest (Liu, Ting and Zhou, 2008), seeded: random axis-parallel
 * splits isolate unusual points in fewer steps, so a short average path length
 * over many trees means an anomaly. Score s = 2^(−E[h]/c(ψ)); s near 1 is
 * anomalous, well below 0.5 is normal.
 *
 * Pure and deterministic for a given seed: no `Deno.*`, no `Math.random`.
 *
 * @module
 */
import { mulberry32 } from "../random.ts";
export { mulberry32 };

/** Average path length of an unsuccessful search in a binary search tree of n points. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649) - (2 * (n - 1)) / n;
}

type Node =
  | { leaf: true; size: number }
  | { leaf: false; feature: number; split: number; left: Node; right: Node };

function grow(
  rows: readonly (readonly number[])[],
  idx: number[],
  depth: number,
  limit: number,
  rand: () => number,
): Node {
  if (depth >= limit || idx.length <= 1) return { leaf: true, size: idx.length };
  const dims = rows[idx[0]!]!.length;
  for (let attempt = 0; attempt < dims; attempt++) {
    const feature = Math.floor(rand() * dims);
    let lo = Infinity, hi = -Infinity;
    for (const i of idx) {
      const v = rows[i]![feature]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi > lo)) continue;
    const split = lo + rand() * (hi - lo);
    const left = idx.filter((i) => rows[i]![feature]! < split);
    const right = idx.filter((i) => rows[i]![feature]! >= split);
    return {
      leaf: false,
      feature,
      split,
      left: grow(rows, left, depth + 1, limit, rand),
      right: grow(rows, right, depth + 1, limit, rand),
    };
  }
  return { leaf: true, size: idx.length };
}

function pathLength(node: Node, row: readonly number[], depth: number): number {
  if (node.leaf) return depth + averagePathLength(node.size);
  return pathLength(row[node.feature]! < node.split ? node.left : node.right, row, depth + 1);
}

/** Options of {@linkcode isolationForestScores}. */
export interface IsolationForestOptions {
  /** Number of trees; default 100. */
  trees?: number;
  /** Subsample size ψ per tree; default 256. */
  sampleSize?: number;
  /** Seed of the generator; default 1. */
  seed?: number;
}

/** Fits a forest on `rows` (no `NaN`) and returns the anomaly score of each row. */
export function isolationForestScores(
  rows: readonly (readonly number[])[],
  options: IsolationForestOptions = {},
): Float64Array {
  const rand = mulberry32(options.seed ?? 1);
  const psi = Math.min(options.sampleSize ?? 256, rows.length);
  const limit = Math.ceil(Math.log2(Math.max(psi, 2)));
  const trees: Node[] = [];
  for (let t = 0; t < (options.trees ?? 100); t++) {
    const sample: number[] = [];
    const chosen = new Set<number>();
    while (sample.length < psi) {
      const i = Math.floor(rand() * rows.length);
      if (!chosen.has(i)) (chosen.add(i), sample.push(i));
    }
    trees.push(grow(rows, sample, 0, limit, rand));
  }
  const c = averagePathLength(psi);
  return Float64Array.from(rows, (row) => {
    const h = trees.reduce((s, tree) => s + pathLength(tree, row, 0), 0) / trees.length;
    return 2 ** (-h / c);
  });
}
