/**
 * Small statistics on `Float64Array`s where `NaN` means missing: location and
 * scale (mean, median, MAD), ranks, Pearson and Spearman correlation with
 * Student-t p-values, Holm and Benjamini-Hochberg corrections, ordinary least
 * squares and the Theil-Sen slope.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { quantileSorted } from "../scoring/quantile.ts";
import jStatModule from "jstat";

interface JStat {
  studentt: { cdf(x: number, dof: number): number; inv(p: number, dof: number): number };
}
const jStat = (jStatModule as unknown as { jStat?: JStat }).jStat ??
  (jStatModule as unknown as JStat);

/** Values that are not `NaN`, in order. */
export function present(x: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i]!)) out.push(x[i]!);
  return out;
}

/** Mean of the present values; `NaN` when there are none. */
export function mean(x: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isNaN(v)) (s += v, n++);
  }
  return n === 0 ? NaN : s / n;
}

/** Sample standard deviation (n - 1) of the present values; `NaN` below two values. */
export function sd(x: ArrayLike<number>): number {
  const m = mean(x);
  let s = 0, n = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isNaN(v)) (s += (v - m) ** 2, n++);
  }
  return n < 2 ? NaN : Math.sqrt(s / (n - 1));
}

/** Quantile (linear interpolation, numpy's default) of the present values. */
export function quantile(x: ArrayLike<number>, q: number): number {
  return quantileSorted(present(x).sort((a, b) => a - b), q);
}

/** Median of the present values. */
export function median(x: ArrayLike<number>): number {
  return quantile(x, 0.5);
}

/** Median absolute deviation from the median, scaled by 1.4826 to estimate σ under normality. */
export function mad(x: ArrayLike<number>): number {
  const m = median(x);
  return 1.4826 * median(present(x).map((v) => Math.abs(v - m)));
}

/** Robust z-scores `(x - median) / MAD`; `NaN` stays `NaN`. */
export function robustZ(x: ArrayLike<number>): Float64Array {
  const m = median(x), s = mad(x);
  return Float64Array.from(x as ArrayLike<number>, (v) => (v - m) / s);
}

/** Ranks 1..n with ties given their average rank (as scipy's `rankdata`). */
export function ranks(x: readonly number[]): number[] {
  const order = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const r = new Array<number>(x.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && x[order[j + 1]!] === x[order[i]!]) j++;
    for (let k = i; k <= j; k++) r[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Pairs where both values are present. */
export function completePairs(x: ArrayLike<number>, y: ArrayLike<number>): [number[], number[]] {
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (!Number.isNaN(x[i]!) && !Number.isNaN(y[i]!)) (a.push(x[i]!), b.push(y[i]!));
  }
  return [a, b];
}

function pearsonOf(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) (ma += a[i]!, mb += b[i]!);
  ma /= n, mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma, db = b[i]! - mb;
    sab += da * db, saa += da * da, sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Two-sided p-value of a correlation `r` from `n` pairs: `2·T(n-2).cdf(-|t|)`. */
export function correlationPValue(r: number, n: number): number {
  if (n < 3 || !Number.isFinite(r)) return NaN;
  if (Math.abs(r) >= 1) return 0;
  const t = r * Math.sqrt((n - 2) / (1 - r * r));
  return Math.min(1, 2 * jStat.studentt.cdf(-Math.abs(t), n - 2));
}

/** A correlation coefficient, its pair count and its two-sided p-value. */
export interface Correlation {
  /** The coefficient. */
  r: number;
  /** Pairs where both values were present. */
  n: number;
  /** Two-sided p-value (Student t with n - 2 degrees of freedom), uncorrected. */
  p: number;
}

/** Pearson correlation over complete pairs, with scipy's `pearsonr` p-value. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): Correlation {
  const [a, b] = completePairs(x, y);
  const r = a.length < 2 ? NaN : pearsonOf(a, b);
  return { r, n: a.length, p: correlationPValue(r, a.length) };
}

/** Spearman rank correlation over complete pairs, with scipy's `spearmanr` (t) p-value. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): Correlation {
  const [a, b] = completePairs(x, y);
  const r = a.length < 2 ? NaN : pearsonOf(ranks(a), ranks(b));
  return { r, n: a.length, p: correlationPValue(r, a.length) };
}

/** Holm-Bonferroni adjusted p-values (family-wise error), as statsmodels `multipletests(method="holm")`. */
export function holm(p: readonly number[]): number[] {
  const m = p.length, order = p.map((_, i) => i).sort((a, b) => p[a]! - p[b]!);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((idx, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p[idx]!));
    out[idx] = running;
  });
  return out;
}

/** Benjamini-Hochberg adjusted p-values (false discovery rate), as statsmodels `fdr_bh`. */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const m = p.length, order = p.map((_, i) => i).sort((a, b) => p[a]! - p[b]!);
  const out = new Array<number>(m);
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    const idx = order[k]!;
    running = Math.min(running, (m / (k + 1)) * p[idx]!);
    out[idx] = Math.min(1, running);
  }
  return out;
}

/** Ordinary least squares `y = intercept + slope·x` over complete pairs. */
export interface LinearFit {
  /** Slope. */
  slope: number;
  /** Intercept. */
  intercept: number;
  /** Coefficient of determination. */
  r2: number;
  /** Pairs used. */
  n: number;
}

/** Fits `y = a + b·x` by least squares over complete pairs. */
export function ols(x: ArrayLike<number>, y: ArrayLike<number>): LinearFit {
  const [a, b] = completePairs(x, y);
  const n = a.length;
  if (n < 3) return { slope: NaN, intercept: NaN, r2: NaN, n };
  const ma = a.reduce((s, v) => s + v, 0) / n, mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb), saa += (a[i]! - ma) ** 2, sbb += (b[i]! - mb) ** 2;
  }
  const slope = sab / saa;
  return { slope, intercept: mb - slope * ma, r2: (sab * sab) / (saa * sbb), n };
}

/** Theil-Sen line: the median of pairwise slopes, intercept the median of `y - slope·x`. */
export function theilSen(x: ArrayLike<number>, y: ArrayLike<number>): LinearFit {
  const [a, b] = completePairs(x, y);
  const slopes: number[] = [];
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      if (a[j] !== a[i]) slopes.push((b[j]! - b[i]!) / (a[j]! - a[i]!));
    }
  }
  const slope = median(slopes);
  const intercept = median(a.map((v, i) => b[i]! - slope * v));
  return { slope, intercept, r2: NaN, n: a.length };
}

/** 97.5 % quantile of Student's t with `dof` degrees of freedom (1.96 for large dof). */
export function t975(dof: number): number {
  return dof >= 1 ? jStat.studentt.inv(0.975, dof) : NaN;
}
