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
import { isItalianHoliday, localHour, season } from "./calendar.ts";
import { HOUR_MS } from "./series.ts";

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
/** Windows (hours, ending at the latest usable reference hour) for rolling mean and std. */
export const WINDOWS_H: readonly number[] = [3, 6, 24];
/** Hours of history the features need (lag 0 .. 168). */
export const HISTORY_H = 169;

const POLLUTANT_IDX = POLLUTANT_FIELDS.map((f) => MEASUREMENT_FIELDS.indexOf(f));
const SENSOR_IDX = SENSOR_FIELDS.map((f) => MEASUREMENT_FIELDS.indexOf(f));
const SENSOR_DIFF_COUNT = 5;
const TAU = 2 * Math.PI;

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

let windowStd = NaN;

/** Mean of the non-missing values at lags [fromLag, fromLag + len); sets `windowStd` (n - 1). */
function windowMean(view: HistoryView, f: number, fromLag: number, len: number): number {
  let sum = 0;
  let n = 0;
  for (let lag = fromLag; lag < fromLag + len; lag++) {
    const v = view.value(f, lag);
    if (v === v) {
      sum += v;
      n++;
    }
  }
  const mean = n > 0 ? sum / n : NaN;
  if (n < 2) {
    windowStd = NaN;
    return mean;
  }
  let ss = 0;
  for (let lag = fromLag; lag < fromLag + len; lag++) {
    const v = view.value(f, lag);
    if (v === v) ss += (v - mean) * (v - mean);
  }
  windowStd = Math.sqrt(ss / (n - 1));
  return mean;
}

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
  const s = refShift(spec);
  const h = spec.horizonH;
  let k = 0;
  const tgt = localHour(epochMs + h * HOUR_MS, spec.utcOffsetMin);
  const hourAngle = (TAU * tgt.hour) / 24;
  const tgtHoliday = isItalianHoliday(tgt.year, tgt.month, tgt.day) ? 1 : 0;
  const tgtWeekend = tgt.dow >= 5 ? 1 : 0;
  const tgtSeason = season(tgt.month);
  out[k++] = tgt.hour;
  out[k++] = tgt.dow;
  out[k++] = tgt.month;
  for (let harmonic = 1; harmonic <= 3; harmonic++) {
    out[k++] = Math.sin(harmonic * hourAngle);
    out[k++] = Math.cos(harmonic * hourAngle);
  }
  out[k++] = Math.sin((TAU * tgt.dow) / 7);
  out[k++] = Math.cos((TAU * tgt.dow) / 7);
  out[k++] = Math.sin((TAU * tgt.doy) / 365.25);
  out[k++] = Math.cos((TAU * tgt.doy) / 365.25);
  out[k++] = tgtWeekend;
  out[k++] = tgtHoliday;
  out[k++] = tgtWeekend === 1 || tgtHoliday === 1 ? 1 : 0;
  for (let q = 0; q < 4; q++) out[k++] = tgtSeason === q ? 1 : 0;
  const now = localHour(epochMs, spec.utcOffsetMin);
  out[k++] = now.hour;
  out[k++] = now.dow >= 5 || isItalianHoliday(now.year, now.month, now.day) ? 1 : 0;

  const dayLag = seasonalLag(h, 24, s);
  const weekLag = seasonalLag(h, 168, s);
  for (const f of POLLUTANT_IDX) {
    for (const lag of LAGS_H) out[k++] = view.value(f, lag + s);
    out[k++] = view.value(f, dayLag);
    out[k++] = view.value(f, weekLag);
    for (const w of WINDOWS_H) {
      out[k++] = windowMean(view, f, s, w);
      out[k++] = windowStd;
    }
    out[k++] = windowMean(view, f, s, 168);
    out[k++] = view.value(f, s) === view.value(f, s) ? 0 : 1;
    let observed = 0;
    for (let lag = s; lag < s + 24; lag++) {
      if (view.value(f, lag) === view.value(f, lag)) observed++;
    }
    out[k++] = observed;
  }
  for (const f of SENSOR_IDX) {
    out[k++] = view.value(f, 0);
    out[k++] = windowMean(view, f, 0, 3);
    out[k++] = windowMean(view, f, 0, 24);
    out[k++] = windowStd;
  }
  for (let j = 0; j < SENSOR_DIFF_COUNT; j++) {
    const f = SENSOR_IDX[j]!;
    out[k++] = view.value(f, 0) - view.value(f, 1);
  }
  out[k++] = view.value(SENSOR_IDX[0]!, 0) === view.value(SENSOR_IDX[0]!, 0) ? 0 : 1;
  if (k !== out.length) {
    throw new RangeError(`Feature vector has length ${out.length}, expected ${k}`);
  }
  return out;
}
