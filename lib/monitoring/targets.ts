/**
 * What the model monitor watches: the four forecast targets and three
 * horizons of the real-time forecaster, and the input fields whose
 * distribution it compares with the training window. A (target, horizon)
 * pair has one numeric key, `target * HORIZONS + horizon`, so the hot path
 * indexes typed arrays instead of building string keys.
 *
 * @module
 */
import type { ForecastField, ForecastTarget } from "../records/forecast.ts";
import { MEASUREMENT_FIELDS, type MeasurementField } from "../records/reading.ts";

/** The monitored targets with their reading fields (the forecaster's `REALTIME_TARGETS`). */
export const MONITORED_TARGETS: readonly { target: ForecastTarget; field: ForecastField }[] = [
  { target: "CO(GT)", field: "co_mg_m3" },
  { target: "NOx(GT)", field: "nox_ppb" },
  { target: "NO2(GT)", field: "no2_ug_m3" },
  { target: "C6H6(GT)", field: "c6h6_ug_m3" },
];

/** The monitored horizons, hours (the forecaster's `REALTIME_HORIZONS`). */
export const MONITORED_HORIZONS: readonly number[] = [1, 6, 24];

/**
 * Input fields whose distribution is compared with the training window: all 13
 * measured columns (cheap sensors `PT08.*`, weather `T`, `RH`, `AH`, and the
 * reference pollutants), in `MEASUREMENT_FIELDS` order.
 */
export const INPUT_FIELDS: readonly MeasurementField[] = MEASUREMENT_FIELDS;

/** Number of (target, horizon) keys. */
export const KEYS: number = MONITORED_TARGETS.length * MONITORED_HORIZONS.length;

/** Index of a target in `MONITORED_TARGETS`, or -1. */
export function targetIndex(target: string): number {
  switch (target) {
    case "CO(GT)":
      return 0;
    case "NOx(GT)":
      return 1;
    case "NO2(GT)":
      return 2;
    case "C6H6(GT)":
      return 3;
    default:
      return -1;
  }
}

const HORIZON_INDEX = new Int8Array(169).fill(-1);
MONITORED_HORIZONS.forEach((h, i) => HORIZON_INDEX[h] = i);

/** Index of a horizon in `MONITORED_HORIZONS`, or -1. */
export function horizonIndex(horizonH: number): number {
  return HORIZON_INDEX[horizonH] ?? -1;
}

/** The numeric key of a (target, horizon) pair, or -1 when either is not monitored. */
export function keyOf(target: string, horizonH: number): number {
  const t = targetIndex(target), h = horizonIndex(horizonH);
  return t < 0 || h < 0 ? -1 : t * MONITORED_HORIZONS.length + h;
}
