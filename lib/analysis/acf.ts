/**
 * Autocorrelation (ACF), partial autocorrelation (PACF, Durbin-Levinson) and
 * lagged cross-correlation of hourly series with missing values.
 *
 * Missing values are handled explicitly: the mean is taken over the present
 * values, a lagged product counts only when both ends are present, and every
 * lag is divided by the number of present values (statsmodels
 * `acf(..., adjusted=False, missing="conservative")`). On a complete series
 * this is the textbook biased estimator, which keeps the ACF positive
 * semi-definite, so Durbin-Levinson gives statsmodels' `pacf(method="ldb")`.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import { pearson } from "./stats.ts";

/** Sample autocorrelations r[0..maxLag] (r[0] = 1) of a series where `NaN` is missing. */
export function acf(x: ArrayLike<number>, maxLag: number): Float64Array {
  let s = 0, n = 0;
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i]!)) (s += x[i]!, n++);
  const m = s / n;
  const d = Float64Array.from(x as ArrayLike<number>, (v) => (Number.isNaN(v) ? 0 : v - m));
  const c = new Float64Array(maxLag + 1);
  for (let k = 0; k <= maxLag; k++) {
    let acc = 0;
    for (let t = 0; t + k < d.length; t++) acc += d[t]! * d[t + k]!;
    c[k] = acc / n;
  }
  return c.map((v) => v / c[0]!);
}

/**
 * Partial autocorrelations p[0..maxLag] (p[0] = 1) from autocorrelations by the
 * Durbin-Levinson recursion.
 */
export function pacfFromAcf(r: ArrayLike<number>, maxLag: number): Float64Array {
  const out = new Float64Array(maxLag + 1);
  out[0] = 1;
  let phi = new Float64Array(0);
  let v = 1;
  for (let k = 1; k <= maxLag; k++) {
    let num = r[k]!;
    for (let j = 1; j < k; j++) num -= phi[j - 1]! * r[k - j]!;
    const a = num / v;
    const next = new Float64Array(k);
    for (let j = 1; j < k; j++) next[j - 1] = phi[j - 1]! - a * phi[k - j - 1]!;
    next[k - 1] = a;
    phi = next;
    v *= 1 - a * a;
    out[k] = a;
  }
  return out;
}

/** PACF of a series (ACF then Durbin-Levinson). */
export function pacf(x: ArrayLike<number>, maxLag: number): Float64Array {
  return pacfFromAcf(acf(x, maxLag), maxLag);
}

/** The ±1.96/√n band for white noise, with n the number of present values. */
export function whiteNoiseBound(x: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i]!)) n++;
  return 1.96 / Math.sqrt(n);
}

/** Cross-correlation at one lag. */
export interface LaggedCorrelation {
  /** Lag in hours: `x` at t against `y` at t + lag (positive: x leads y). */
  lag: number;
  /** Pearson correlation over complete pairs. */
  r: number;
  /** Complete pairs. */
  n: number;
}

/** Pearson correlation of x(t) with y(t + lag) for every lag in [-maxLag, maxLag]. */
export function crossCorrelation(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  maxLag: number,
): LaggedCorrelation[] {
  const out: LaggedCorrelation[] = [];
  const n = Math.min(x.length, y.length);
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const a = new Float64Array(n - Math.abs(lag)), b = new Float64Array(n - Math.abs(lag));
    for (let t = 0; t < a.length; t++) {
      const i = lag >= 0 ? t : t - lag;
      a[t] = x[i]!, b[t] = y[i + lag]!;
    }
    const c = pearson(a, b);
    out.push({ lag, r: c.r, n: c.n });
  }
  return out;
}
