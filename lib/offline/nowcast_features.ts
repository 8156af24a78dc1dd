/**
 * The virtual sensor's own inputs and its correction (see ./nowcast.ts): the
 * nowcast-only feature columns of a series (`ratios`, `weather`, `age`), the
 * causal rolling median and last-observed value they are built from, the
 * feature matrix with those columns appended, and the post-hoc hour-of-day
 * bias correction.
 *
 * Leakage guard: nothing here reads a reference value at t or later
 * (`tests/offline/nowcast_test.ts` perturbs them and checks).
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import type { FeatureMatrix, HourlySeries } from "../features/mod.ts";
import {
  ageNames,
  MAX_AGE_H,
  MOX_SENSORS,
  RATIO_WINDOWS_H,
  ratioNames,
  REFERENCE_FIELDS as REFERENCES,
  weatherNames,
} from "../features/nowcast_extras.ts";
import type { NOWCAST_FEATURE_GROUPS } from "./forecast_config.ts";

/** One group of nowcast-only features. */
export type NowcastFeatureGroup = (typeof NOWCAST_FEATURE_GROUPS)[number];

export { MAX_AGE_H, RATIO_WINDOWS_H };

/**
 * Causal rolling median of the observed values of `x` over the `window` hours
 * ending at each index (NaN where none was observed). O(n * window).
 */
export function rollingMedian(x: ArrayLike<number>, window: number): Float64Array {
  const out = new Float64Array(x.length);
  const sorted: number[] = [];
  for (let t = 0; t < x.length; t++) {
    const v = x[t]!;
    if (v === v) sorted.splice(upperBound(sorted, v), 0, v);
    const old = t - window >= 0 ? x[t - window]! : NaN;
    if (old === old) sorted.splice(upperBound(sorted, old) - 1, 1);
    const m = sorted.length;
    out[t] = m === 0
      ? NaN
      : m % 2 === 1
      ? sorted[(m - 1) / 2]!
      : (sorted[m / 2 - 1]! + sorted[m / 2]!) / 2;
  }
  return out;
}

function upperBound(a: readonly number[], v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Per index t: hours since `y` was last observed strictly before t (capped at
 * `MAX_AGE_H`; NaN if never), and that value. Reads `y` at t - 1 and earlier only.
 */
export function lastBefore(y: ArrayLike<number>): { age: Float64Array; value: Float64Array } {
  const age = new Float64Array(y.length).fill(NaN);
  const value = new Float64Array(y.length).fill(NaN);
  let lastAt = -1;
  for (let t = 0; t < y.length; t++) {
    if (lastAt >= 0) {
      age[t] = Math.min(t - lastAt, MAX_AGE_H);
      value[t] = y[lastAt]!;
    }
    const v = y[t]!;
    if (v === v) lastAt = t; // visible from t + 1 on
  }
  return { age, value };
}

/** Nowcast-only columns of a series (one array per feature, indexed like the series). */
export function nowcastColumns(
  series: HourlySeries,
  groups: readonly NowcastFeatureGroup[],
): { names: string[]; columns: Float64Array[] } {
  const names: string[] = [];
  const columns: Float64Array[] = [];
  const c = series.columns;
  // the names come from lib/features/nowcast_extras.ts, which the real-time engine reads them by
  if (groups.includes("ratios")) {
    names.push(...ratioNames());
    for (const f of MOX_SENSORS) {
      for (const w of RATIO_WINDOWS_H) {
        const med = rollingMedian(c[f], w);
        columns.push(Float64Array.from(c[f], (v, t) => v / med[t]!));
      }
    }
  }
  if (groups.includes("weather")) {
    names.push(...weatherNames());
    for (const f of MOX_SENSORS) {
      columns.push(
        Float64Array.from(c[f], (v, t) => v * c.t_c[t]!),
        Float64Array.from(c[f], (v, t) => v * c.rh_pct[t]!),
      );
    }
  }
  if (groups.includes("age")) {
    names.push(...ageNames());
    for (const f of REFERENCES) {
      const { age, value } = lastBefore(c[f]);
      columns.push(age, value);
    }
  }
  return { names, columns };
}

/** `base` with `extra` columns (indexed like the series) appended to every row. */
export function withColumns(
  base: FeatureMatrix,
  extra: { names: readonly string[]; columns: readonly Float64Array[] },
): FeatureMatrix {
  const k = extra.columns.length;
  if (k === 0) return base;
  const p = base.p + k;
  const data = new Float64Array(base.n * p);
  for (let r = 0; r < base.n; r++) {
    data.set(base.data.subarray(r * base.p, (r + 1) * base.p), r * p);
    const t = base.from + r;
    for (let j = 0; j < k; j++) data[r * p + base.p + j] = extra.columns[j]![t]!;
  }
  return { names: [...base.names, ...extra.names], n: base.n, p, data, from: base.from };
}

/**
 * Hour-of-day bias correction: at t, `estimate[t]` minus the mean error
 * (estimate - observed) at t - 24, t - 48, ..., t - 24 * days, over the hours
 * with both. Reads `y` before t only; NaN estimates stay NaN.
 */
export function hourBiasCorrected(
  estimate: ArrayLike<number>,
  y: ArrayLike<number>,
  days: number,
): Float64Array {
  return Float64Array.from({ length: estimate.length }, (_, t) => {
    const e = estimate[t]!;
    if (e !== e) return NaN;
    let sum = 0, n = 0;
    for (let d = 1; d <= days; d++) {
      const u = t - 24 * d;
      if (u < 0) break;
      const r = estimate[u]! - y[u]!;
      if (r === r) {
        sum += r;
        n++;
      }
    }
    return n === 0 ? e : Math.max(0, e - sum / n);
  });
}
