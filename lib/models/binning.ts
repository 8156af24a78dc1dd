/**
 * Quantile binning of features for histogram trees: bin 0 holds missing values,
 * bins 1..m hold the values between consecutive cut points.
 *
 * @module
 */
import type { DesignMatrix } from "./matrix.ts";

/** Cut points per feature: value v (not missing) goes to bin 1 + #{cuts < v}. */
export type BinCuts = number[][];

/**
 * Up to `maxBins - 1` value bins per feature from the quantiles of its
 * non-missing training values (bin 0 is reserved for missing).
 */
export function fitBinCuts(x: DesignMatrix, maxBins: number): BinCuts {
  if (maxBins < 2 || maxBins > 256) {
    throw new RangeError(`maxBins must be 2..256, got ${maxBins}`);
  }
  const { n, p, data } = x;
  const cuts: BinCuts = [];
  const values = new Float64Array(n);
  for (let j = 0; j < p; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      const v = data[i * p + j]!;
      if (v === v) values[m++] = v;
    }
    const sorted = values.subarray(0, m).sort();
    const featureCuts: number[] = [];
    const valueBins = maxBins - 1;
    for (let b = 1; b < valueBins && m > 0; b++) {
      const q = sorted[Math.min(m - 1, Math.floor((b * m) / valueBins))]!;
      const prev = featureCuts[featureCuts.length - 1];
      // the cut sits below q, so q itself starts the next bin
      if (q > sorted[0]! && (prev === undefined || q > prev)) featureCuts.push(q);
    }
    // bins are (cut[b-1], cut[b]]: use the largest value below each quantile as the cut
    cuts.push(featureCuts.map((q) => largestBelow(sorted, q)));
  }
  return cuts;
}

function largestBelow(sorted: Float64Array, q: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < q) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo - 1]!;
}

/** Bin of one value. */
export function binOf(cuts: readonly number[], v: number): number {
  if (v !== v) return 0;
  let lo = 0, hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cuts[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

/** All values of `x` as bins, row-major. */
export function applyBins(x: DesignMatrix, cuts: BinCuts): Uint8Array {
  const { n, p, data } = x;
  if (cuts.length !== p) throw new RangeError(`Bin cuts for ${cuts.length} features, x has ${p}`);
  const out = new Uint8Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) out[i * p + j] = binOf(cuts[j]!, data[i * p + j]!);
  }
  return out;
}
