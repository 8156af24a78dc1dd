/**
 * The feature vector at information time t for a target hour t + h: one
 * function, `computeFeatures`, reads history only through a {@linkcode HistoryView}
 * that cannot reach past t. The incremental per-station state and the batch
 * builder both call it, so offline and real-time features are the same numbers.
 *
 * Leakage guard: every value is read at a lag >= 0 from t; in `nowcast` mode the
 * reference analysers (the `(GT)` columns) are read at lags >= 1, so the value
 * being estimated never enters its own features.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { MEASUREMENT_FIELDS, type MeasurementField } from "../records/reading.ts";
import { CALENDAR_COUNT, writeCalendar } from "./calendar_features.ts";

/** What the features are for: forecasting t + h, or estimating a reference value at t. */
export interface FeatureSpec {
  /** `forecast`: references up to t, target t + h. `nowcast`: references up to t - 1, target t. */
  readonly mode: "forecast" | "nowcast";
  /** Hours ahead of the information time; 0 for `nowcast`. */
  readonly horizonH: number;
  /** Station time offset from UTC in minutes (+01:00 is 60). */
  readonly utcOffsetMin: number;
}

/** Read access to the history ending at the information time t. */
export interface HistoryView {
  /** Value of field `fieldIndex` (into `MEASUREMENT_FIELDS`) at t - lag; `NaN` if missing or unknown. */
  value(fieldIndex: number, lag: number): number;
}

/** The reference pollutants whose lags are features (the forecast targets; NMHC(GT) is left out). */
export const POLLUTANT_FIELDS: readonly MeasurementField[] = [
  "co_mg_m3",
  "nox_ppb",
  "no2_ug_m3",
  "c6h6_ug_m3",
];
/** Cheap metal-oxide sensors and weather, read at t. */
export const SENSOR_FIELDS: readonly MeasurementField[] = [
  "pt08_s1_co",
  "pt08_s2_nmhc",
  "pt08_s3_nox",
  "pt08_s4_no2",
  "pt08_s5_o3",
  "t_c",
  "rh_pct",
  "ah",
];
/** Lags (hours before the latest usable reference hour) of each pollutant. */
export const LAGS_H: readonly number[] = [0, 1, 2, 3, 5, 11, 23, 47, 167];
/**
 * Windows (hours, ending at the latest usable reference hour) for rolling mean and std:
 * increasing and ending at 24 (`writeHistory` sums them in one pass and counts the last
 * 24 hours with them).
 */
export const WINDOWS_H: readonly number[] = [3, 6, 24];
/** Hours of history the features need (lag 0 .. 168). */
export const HISTORY_H = 169;

const POLLUTANT_IDX = POLLUTANT_FIELDS.map((f) => MEASUREMENT_FIELDS.indexOf(f));
const SENSOR_IDX = SENSOR_FIELDS.map((f) => MEASUREMENT_FIELDS.indexOf(f));
const SENSOR_DIFF_COUNT = 5;
/**
 * Whether the rows have the target hour's mean over 7 days (validation chose it for the
 * forecasts, not for the virtual sensor: docs/forecasting.md).
 */
function hasSameHourMean(spec: FeatureSpec): boolean {
  return spec.mode === "forecast";
}
/** Seasonal features per pollutant: the target hour a day and a week before, and its mean. */
function seasonalCount(spec: FeatureSpec): number {
  return hasSameHourMean(spec) ? 3 : 2;
}
/** Days averaged by the same-hour mean. */
const SAME_HOUR_DAYS = 7;

/** Lag (from t) of the same hour one `periodH` earlier than the target t + h, at least `minLag`. */
export function seasonalLag(horizonH: number, periodH: number, minLag: number): number {
  return Math.ceil((horizonH + minLag) / periodH) * periodH - horizonH;
}

/** Names of the features of `spec`, in vector order. */
export function featureNames(spec: FeatureSpec): string[] {
  const s = refShift(spec);
  const names = [
    ...["hour", "dow", "month", "hour_sin1", "hour_cos1", "hour_sin2", "hour_cos2"]
      .map((n) => `tgt_${n}`),
    ...["hour_sin3", "hour_cos3", "dow_sin", "dow_cos", "doy_sin", "doy_cos", "weekend"]
      .map((n) => `tgt_${n}`),
    ...["holiday", "offday", "winter", "spring", "summer", "autumn"].map((n) => `tgt_${n}`),
    "hour_t",
    "offday_t",
  ];
  for (const f of POLLUTANT_FIELDS) {
    for (const lag of LAGS_H) names.push(`${f}_lag${lag + s}`);
    names.push(`${f}_lag${seasonalLag(spec.horizonH, 24, s)}_same_hour_day`);
    names.push(`${f}_lag${seasonalLag(spec.horizonH, 168, s)}_same_hour_week`);
    if (hasSameHourMean(spec)) names.push(`${f}_same_hour_mean7`);
    for (const w of WINDOWS_H) names.push(`${f}_mean${w}`, `${f}_std${w}`);
    names.push(`${f}_mean168`, `${f}_missing`, `${f}_observed24`);
  }
  for (const f of SENSOR_FIELDS) names.push(f, `${f}_mean3`, `${f}_mean24`, `${f}_std24`);
  for (const f of SENSOR_FIELDS.slice(0, SENSOR_DIFF_COUNT)) names.push(`${f}_diff1`);
  names.push("sensors_missing");
  return names;
}

/** Number of features of `spec`. */
export function featureCount(spec: FeatureSpec): number {
  return featureNames(spec).length;
}

function refShift(spec: FeatureSpec): number {
  return spec.mode === "nowcast" ? 1 : 0;
}

/** Feature vectors share everything but the target-hour calendar and the seasonal lags when these agree. */
function sameHistory(a: FeatureSpec, b: FeatureSpec): boolean {
  return refShift(a) === refShift(b) && a.utcOffsetMin === b.utcOffsetMin;
}

/**
 * History as contiguous columns: `columns[fieldIndex][end - lag]` is the value at
 * `lag` for every lag the features read (pollutants 0..168, sensors 0..23).
 */
export interface HistoryColumns {
  readonly columns: readonly Float64Array[];
  readonly end: number;
}

function pollutantBlock(spec: FeatureSpec): number {
  return LAGS_H.length + seasonalCount(spec) + 2 * WINDOWS_H.length + 3;
}
/** Lags of the sensors the features read: 0..23. */
const SENSOR_HISTORY_H = 24;

// scratch history for views that are not contiguous (the batch builder's)
const scratch: HistoryColumns = {
  columns: MEASUREMENT_FIELDS.map(() => new Float64Array(HISTORY_H)),
  end: HISTORY_H - 1,
};

/**
 * Writes the features at information time `epochMs` (the hour of `view`'s lag 0)
 * into `out` (length `featureCount(spec)`) and returns it. Missing inputs give `NaN`.
 */
export function computeFeatures(
  view: HistoryView,
  epochMs: number,
  spec: FeatureSpec,
  out: Float64Array,
): Float64Array {
  const { columns, end } = scratch;
  for (const f of POLLUTANT_IDX) {
    const col = columns[f]!;
    for (let lag = 0; lag < HISTORY_H; lag++) col[end - lag] = view.value(f, lag);
  }
  for (const f of SENSOR_IDX) {
    const col = columns[f]!;
    for (let lag = 0; lag < SENSOR_HISTORY_H; lag++) col[end - lag] = view.value(f, lag);
  }
  return computeFeaturesFrom(scratch, epochMs, spec, out);
}

/** `computeFeatures` on contiguous history. */
export function computeFeaturesFrom(
  history: HistoryColumns,
  epochMs: number,
  spec: FeatureSpec,
  out: Float64Array,
): Float64Array {
  checkLength(spec, out);
  writeCalendar(epochMs, spec, out);
  writeHistory(history, spec, out);
  writeSeasonalLags(history, spec, out);
  return out;
}

/**
 * `computeFeaturesFrom` for several specs at once (`outs[i]` for `specs[i]`): specs
 * with the same shift and offset share every feature but the target-hour calendar
 * and the seasonal lags, which are all that is computed again.
 */
export function computeFeatureSet(
  history: HistoryColumns,
  epochMs: number,
  specs: readonly FeatureSpec[],
  outs: readonly Float64Array[],
): void {
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const out = outs[i]!;
    let j = 0;
    while (j < i && !sameHistory(specs[j]!, spec)) j++;
    if (j === i) {
      computeFeaturesFrom(history, epochMs, spec, out);
      continue;
    }
    checkLength(spec, out);
    out.set(outs[j]!);
    writeCalendar(epochMs, spec, out);
    writeSeasonalLags(history, spec, out);
  }
}

function checkLength(spec: FeatureSpec, out: Float64Array): void {
  const expected = CALENDAR_COUNT + POLLUTANT_FIELDS.length * pollutantBlock(spec) +
    SENSOR_FIELDS.length * 4 + SENSOR_DIFF_COUNT + 1;
  if (out.length !== expected) {
    throw new RangeError(
      `Feature vector of ${spec.mode} h=${spec.horizonH} has length ${out.length}, expected ${expected}`,
    );
  }
}

/**
 * Writes the values one day and one week before the target hour of each pollutant and, when
 * forecasting, the mean of the target's hour over the 7 days before it (the observed ones; lags
 * <= 168).
 */
function writeSeasonalLags(history: HistoryColumns, spec: FeatureSpec, out: Float64Array): void {
  const s = refShift(spec);
  const { columns, end } = history;
  const dayAt = end - seasonalLag(spec.horizonH, 24, s);
  const weekAt = end - seasonalLag(spec.horizonH, 168, s);
  const block = pollutantBlock(spec);
  const mean7 = hasSameHourMean(spec);
  for (let p = 0; p < POLLUTANT_IDX.length; p++) {
    const col = columns[POLLUTANT_IDX[p]!]!;
    const k = CALENDAR_COUNT + p * block + LAGS_H.length;
    out[k] = col[dayAt]!;
    out[k + 1] = col[weekAt]!;
    if (!mean7) continue;
    let sum = 0, n = 0;
    for (let d = 0; d < SAME_HOUR_DAYS; d++) {
      const v = col[dayAt - 24 * d]!;
      if (v === v) {
        sum += v;
        n++;
      }
    }
    out[k + 2] = n > 0 ? sum / n : NaN;
  }
}

/**
 * Writes the features of the history that do not depend on the horizon. The
 * windows are sums over lags in increasing order: one running sum gives the mean
 * of every window (3, 6, 24 and 168 hours) exactly as a separate sum would.
 */
function writeHistory(history: HistoryColumns, spec: FeatureSpec, out: Float64Array): void {
  const { columns, end } = history;
  const s = refShift(spec);
  const seasonal = seasonalCount(spec);
  let k = CALENDAR_COUNT;
  const e = end - s; // lag s, the latest usable reference hour
  for (const f of POLLUTANT_IDX) {
    const col = columns[f]!;
    for (const lag of LAGS_H) out[k++] = col[e - lag]!;
    k += seasonal; // the seasonal features: writeSeasonalLags()
    let sum = 0, n = 0, i = 0;
    for (const w of WINDOWS_H) {
      for (; i < w; i++) {
        const v = col[e - i]!;
        if (v === v) {
          sum += v;
          n++;
        }
      }
      const mean = n > 0 ? sum / n : NaN;
      out[k++] = mean;
      out[k++] = windowStd(col, e, w, n, mean);
    }
    const observed24 = n;
    for (; i < 168; i++) {
      const v = col[e - i]!;
      if (v === v) {
        sum += v;
        n++;
      }
    }
    out[k++] = n > 0 ? sum / n : NaN;
    out[k++] = col[e] === col[e] ? 0 : 1;
    out[k++] = observed24;
  }
  for (const f of SENSOR_IDX) {
    const col = columns[f]!;
    out[k++] = col[end]!;
    let sum = 0, n = 0, i = 0;
    for (; i < 3; i++) {
      const v = col[end - i]!;
      if (v === v) {
        sum += v;
        n++;
      }
    }
    out[k++] = n > 0 ? sum / n : NaN;
    for (; i < 24; i++) {
      const v = col[end - i]!;
      if (v === v) {
        sum += v;
        n++;
      }
    }
    const mean = n > 0 ? sum / n : NaN;
    out[k++] = mean;
    out[k++] = windowStd(col, end, 24, n, mean);
  }
  for (let j = 0; j < SENSOR_DIFF_COUNT; j++) {
    const col = columns[SENSOR_IDX[j]!]!;
    out[k++] = col[end]! - col[end - 1]!;
  }
  const first = columns[SENSOR_IDX[0]!]![end]!;
  out[k++] = first === first ? 0 : 1;
}

/** Sample standard deviation (n - 1) of the `n` observed values at `from`, `from - 1`, ...; NaN for n < 2. */
function windowStd(col: Float64Array, from: number, len: number, n: number, mean: number): number {
  if (n < 2) return NaN;
  let ss = 0;
  for (let i = 0; i < len; i++) {
    const v = col[from - i]!;
    if (v === v) ss += (v - mean) * (v - mean);
  }
  return Math.sqrt(ss / (n - 1));
}
