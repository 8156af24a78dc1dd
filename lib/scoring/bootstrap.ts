/**
 * Moving-block bootstrap (Kunsch 1989) for statistics of serially dependent
 * series such as hourly forecast errors: resample overlapping blocks of
 * consecutive points, seeded, and take percentile intervals.
 *
 * @module
 */
import { quantileSorted } from "./quantile.ts";

export { quantileSorted };
import { mulberry32 } from "../random.ts";

/** Settings of a bootstrap interval. */
export interface BootstrapOptions {
  /** Number of resamples. */
  readonly resamples: number;
  /** Block length in points. */
  readonly blockLength: number;
  /** PRNG seed. */
  readonly seed: number;
  /** Confidence level, e.g. 0.95. */
  readonly level: number;
}

/**
 * One moving-block resample of `n` positions: blocks of `blockLength` consecutive
 * positions, each starting uniformly in [0, n - blockLength], concatenated and cut to `n`.
 */
export function blockResample(n: number, blockLength: number, rng: () => number): Int32Array {
  const len = Math.max(1, Math.min(blockLength, n));
  const out = new Int32Array(n);
  let k = 0;
  while (k < n) {
    const start = Math.floor(rng() * (n - len + 1));
    for (let j = 0; j < len && k < n; j++) out[k++] = start + j;
  }
  return out;
}

/**
 * Percentile bootstrap interval of `statistic(indices)` over `n` points.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bootstrapInterval } from "./bootstrap.ts";
 * const x = Array.from({ length: 200 }, (_, i) => i % 10);
 * const mean = (idx: Int32Array) => idx.reduce((s, i) => s + x[i]!, 0) / idx.length;
 * const ci = bootstrapInterval(mean, x.length, { resamples: 200, blockLength: 10, seed: 1, level: 0.95 });
 * assert.ok(ci.lo <= 4.5 && 4.5 <= ci.hi);
 * ```
 */
export function bootstrapInterval(
  statistic: (indices: Int32Array) => number,
  n: number,
  options: BootstrapOptions,
): { lo: number; hi: number } {
  if (n === 0) return { lo: NaN, hi: NaN };
  const rng = mulberry32(options.seed);
  const values = new Float64Array(options.resamples);
  for (let r = 0; r < options.resamples; r++) {
    values[r] = statistic(blockResample(n, options.blockLength, rng));
  }
  values.sort();
  const tail = (1 - options.level) / 2;
  return { lo: quantileSorted(values, tail), hi: quantileSorted(values, 1 - tail) };
}

/**
 * Bootstrap interval of the skill 1 - sum|eModel| / sum|eReference| over paired
 * absolute errors (same points, time order).
 */
export function skillInterval(
  absErrorModel: ArrayLike<number>,
  absErrorReference: ArrayLike<number>,
  options: BootstrapOptions,
): { lo: number; hi: number } {
  return bootstrapInterval(
    (idx) => {
      let a = 0, b = 0;
      for (let k = 0; k < idx.length; k++) {
        a += absErrorModel[idx[k]!]!;
        b += absErrorReference[idx[k]!]!;
      }
      return 1 - a / b;
    },
    absErrorModel.length,
    options,
  );
}
