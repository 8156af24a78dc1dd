/**
 * Additive seasonal decomposition of an hourly series into trend, daily (24 h)
 * and weekly (168 h) components and a residual, with missing values handled
 * explicitly.
 *
 * Method: classical decomposition, iterated (backfitting).
 * 1. Trend: a centred 2×168 moving average (weights 1/336 at both ends, 1/168
 *    inside; it cancels any 24 h and 168 h cycle) of the series minus the current
 *    seasonal estimate, computed over the present values when at least half of
 *    the window is present; hours where it is undefined (long outages) are
 *    linearly interpolated between the nearest defined hours.
 * 2. Daily: the mean of (series − trend) per local hour of day, centred on zero.
 * 3. Weekly: the mean of (series − trend − daily) per local hour of week, centred
 *    on zero.
 * 4. Repeat from 1 (`iterations` times). Residual = series − trend − daily −
 *    weekly, `NaN` exactly where the series is missing: nothing is imputed.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import { rollingMean } from "./frame.ts";

/** The components, each as long as the series. */
export interface Decomposition {
  /** Slow level (defined everywhere, interpolated across outages). */
  trend: Float64Array;
  /** 24 h seasonal component (periodic, mean zero). */
  daily: Float64Array;
  /** 168 h seasonal component beyond the daily one (periodic, mean zero). */
  weekly: Float64Array;
  /** What is left; `NaN` where the series is missing. */
  residual: Float64Array;
  /** Share of the variance of the present values explained by each component. */
  varianceShare: { trend: number; daily: number; weekly: number; residual: number };
}

/** Options of {@linkcode decompose}. */
export interface DecomposeOptions {
  /** Hour of day (0..23) of each point; default `i % 24`. */
  hourOfDay?: ArrayLike<number>;
  /** Hour of week (0..167) of each point; default `i % 168`. */
  hourOfWeek?: ArrayLike<number>;
  /** Backfitting rounds; default 3. */
  iterations?: number;
}

function interpolateGaps(x: Float64Array): Float64Array {
  const out = Float64Array.from(x);
  let last = -1;
  for (let i = 0; i < out.length; i++) {
    if (Number.isNaN(out[i]!)) continue;
    if (last < 0) out.fill(out[i]!, 0, i);
    else if (i - last > 1) {
      for (let j = last + 1; j < i; j++) {
        out[j] = out[last]! + ((out[i]! - out[last]!) * (j - last)) / (i - last);
      }
    }
    last = i;
  }
  if (last >= 0) out.fill(out[last]!, last + 1);
  return out;
}

function periodicMeans(
  x: Float64Array,
  phase: ArrayLike<number>,
  period: number,
): Float64Array {
  const sum = new Float64Array(period), count = new Float64Array(period);
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]!)) continue;
    sum[phase[i]!]! += x[i]!;
    count[phase[i]!]! += 1;
  }
  const means = sum.map((s, k) => (count[k]! > 0 ? s / count[k]! : 0));
  const centre = means.reduce((a, b) => a + b, 0) / period;
  return Float64Array.from(phase as ArrayLike<number>, (p) => means[p]! - centre);
}

function variance(x: ArrayLike<number>, mask: ArrayLike<number>): number {
  let s = 0, s2 = 0, n = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(mask[i]!) || Number.isNaN(x[i]!)) continue;
    s += x[i]!, s2 += x[i]! * x[i]!, n++;
  }
  return n < 2 ? NaN : (s2 - (s * s) / n) / (n - 1);
}

/** Decomposes an hourly series (`NaN` = missing) into trend, daily, weekly and residual. */
export function decompose(x: ArrayLike<number>, options: DecomposeOptions = {}): Decomposition {
  const n = x.length;
  const hod = options.hourOfDay ?? Uint8Array.from({ length: n }, (_, i) => i % 24);
  const how = options.hourOfWeek ?? Uint16Array.from({ length: n }, (_, i) => i % 168);
  const series = Float64Array.from(x as ArrayLike<number>);
  let daily: Float64Array = new Float64Array(n);
  let weekly: Float64Array = new Float64Array(n);
  let trend: Float64Array = new Float64Array(n);
  for (let round = 0; round < (options.iterations ?? 3); round++) {
    const deseason = series.map((v, i) => v - daily[i]! - weekly[i]!);
    const ma = rollingMean(deseason, 168, { centered: true, minPresent: 84 });
    const ma2 = ma.map((v, i) => (i + 1 < n ? (v + ma[i + 1]!) / 2 : v));
    trend = interpolateGaps(ma2.map((v, i) => (Number.isNaN(v) ? ma[i]! : v)));
    const detrended = series.map((v, i) => v - trend[i]!);
    daily = periodicMeans(detrended, hod, 24);
    weekly = periodicMeans(detrended.map((v, i) => v - daily[i]!), how, 168);
  }
  const residual = series.map((v, i) => v - trend[i]! - daily[i]! - weekly[i]!);
  const total = variance(series, series);
  return {
    trend,
    daily,
    weekly,
    residual,
    varianceShare: {
      trend: variance(trend, series) / total,
      daily: variance(daily, series) / total,
      weekly: variance(weekly, series) / total,
      residual: variance(residual, series) / total,
    },
  };
}
