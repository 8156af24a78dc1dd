/**
 * Causal features for forecasting and for the virtual sensor, identical offline
 * (`buildFeatureMatrix` over a series) and in real time (`FeatureState` fed hour
 * by hour). Nothing after the information time t is ever read; in `nowcast` mode
 * the reference values at t are not read either.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
export { easterSunday, isItalianHoliday, type LocalHour, localHour, season } from "./calendar.ts";
export {
  emptySeries,
  fieldOf,
  HOUR_MS,
  type HourInput,
  type HourlySeries,
  indexAt,
  sliceSeries,
  toHourlySeries,
} from "./series.ts";
export {
  computeFeatures,
  featureCount,
  featureNames,
  type FeatureSpec,
  HISTORY_H,
  type HistoryView,
  LAGS_H,
  POLLUTANT_FIELDS,
  seasonalLag,
  SENSOR_FIELDS,
  WINDOWS_H,
} from "./compute.ts";
export { FeatureState, StationFeatureStates } from "./state.ts";
export { buildFeatureMatrix, type FeatureMatrix } from "./batch.ts";
