/**
 * The virtual sensor's extra inputs (issue 17) beyond the shared `nowcast` features: each
 * metal-oxide sensor over its rolling median (`ratios`), sensor x temperature and x humidity
 * (`weather`), and each reference's hours since its last value before t and that value (`age`).
 * Their names are the contract between training (`nowcastColumns` in lib/offline, over a whole
 * series) and the real-time engine (`nowcastExtrasInto` here, from a station's `FeatureState`),
 * which give the same numbers for the same hours.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { MEASUREMENT_FIELDS, type MeasurementField } from "../records/reading.ts";
import type { FeatureState } from "./state.ts";

/** The metal-oxide sensors whose ratios and products are extras. */
export const MOX_SENSORS: readonly MeasurementField[] = [
  "pt08_s1_co",
  "pt08_s2_nmhc",
  "pt08_s3_nox",
  "pt08_s4_no2",
  "pt08_s5_o3",
];
/** The reference analysers whose age and last value are extras. */
export const REFERENCE_FIELDS: readonly MeasurementField[] = [
  "co_mg_m3",
  "nox_ppb",
  "no2_ug_m3",
  "c6h6_ug_m3",
];
/** Windows (hours, ending at t) of the rolling medians of `ratios`. */
export const RATIO_WINDOWS_H: readonly number[] = [24, 168];
/** The age feature is capped here (hours): older is "long ago". */
export const MAX_AGE_H = 24 * 14;

/** One extra input, as its name says. */
export type NowcastExtra =
  | { readonly kind: "ratio"; readonly field: number; readonly windowH: number }
  | { readonly kind: "x_t" | "x_rh"; readonly field: number }
  | { readonly kind: "age_h" | "last"; readonly field: number };

/** The names of the `ratios` extras, in their column order. */
export function ratioNames(): string[] {
  return MOX_SENSORS.flatMap((f) => RATIO_WINDOWS_H.map((w) => `${f}_over_median${w}`));
}

/** The names of the `weather` extras, in their column order. */
export function weatherNames(): string[] {
  return MOX_SENSORS.flatMap((f) => [`${f}_x_t`, `${f}_x_rh`]);
}

/** The names of the `age` extras, in their column order. */
export function ageNames(): string[] {
  return REFERENCE_FIELDS.flatMap((f) => [`${f}_age_h`, `${f}_last`]);
}

/** The extra a name stands for, or null when it is not one. */
export function parseNowcastExtra(name: string): NowcastExtra | null {
  const index = (f: string) => MEASUREMENT_FIELDS.indexOf(f as MeasurementField);
  const ratio = /^(\w+)_over_median(\d+)$/.exec(name);
  if (ratio !== null && MOX_SENSORS.includes(ratio[1] as MeasurementField)) {
    const windowH = Number(ratio[2]);
    return RATIO_WINDOWS_H.includes(windowH)
      ? { kind: "ratio", field: index(ratio[1]!), windowH }
      : null;
  }
  const product = /^(\w+)_x_(t|rh)$/.exec(name);
  if (product !== null && MOX_SENSORS.includes(product[1] as MeasurementField)) {
    return { kind: product[2] === "t" ? "x_t" : "x_rh", field: index(product[1]!) };
  }
  const age = /^(\w+)_(age_h|last)$/.exec(name);
  if (age !== null && REFERENCE_FIELDS.includes(age[1] as MeasurementField)) {
    return { kind: age[2] as "age_h" | "last", field: index(age[1]!) };
  }
  return null;
}

const T_C = MEASUREMENT_FIELDS.indexOf("t_c");
const RH_PCT = MEASUREMENT_FIELDS.indexOf("rh_pct");

/** Room for the longest ratio window's values (sorted in place, numerically, as typed arrays sort). */
const scratch = new Float64Array(Math.max(...RATIO_WINDOWS_H));

/** The median of the observed values of a field over the `windowH` hours ending at the latest. */
function windowMedian(state: FeatureState, field: number, windowH: number): number {
  let m = 0;
  for (let lag = 0; lag < windowH; lag++) {
    const v = state.value(field, lag);
    if (v === v) scratch[m++] = v;
  }
  if (m === 0) return NaN;
  const sorted = scratch.subarray(0, m).sort();
  return m % 2 === 1 ? sorted[(m - 1) / 2]! : (sorted[m / 2 - 1]! + sorted[m / 2]!) / 2;
}

/**
 * Writes `extras` at the latest hour of `state` into `out` from index `at` on: the numbers
 * `nowcastColumns` gives for that hour of the series the state was fed.
 */
export function nowcastExtrasInto(
  state: FeatureState,
  extras: readonly NowcastExtra[],
  out: Float64Array,
  at: number,
): void {
  for (let j = 0; j < extras.length; j++) {
    const e = extras[j]!;
    let v: number;
    if (e.kind === "ratio") {
      v = state.value(e.field, 0) / windowMedian(state, e.field, e.windowH);
    } else if (e.kind === "x_t") v = state.value(e.field, 0) * state.value(T_C, 0);
    else if (e.kind === "x_rh") v = state.value(e.field, 0) * state.value(RH_PCT, 0);
    else {
      const last = state.lastBefore(e.field);
      v = e.kind === "last" ? last.value : Math.min(last.ageH, MAX_AGE_H);
    }
    out[at + j] = v;
  }
}
