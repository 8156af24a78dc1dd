/**
 * Model monitoring: how the deployed forecasts do live against the offline
 * evaluation, and whether the inputs still look like the training window.
 *
 * - `ModelMonitor` scores every forecast against the reading at its target
 *   time (model and baseline apart), keeps rolling and all-time MAE per
 *   station, target and horizon, runs Page-Hinkley tests on the errors,
 *   measures each input field's PSI against the training reference, and
 *   raises `drift` alerts; `snapshot()` describes it all as JSON.
 * - `loadExpectedErrors()` reads the offline MAE from `var/evaluation.json`.
 * - `inputReference()` bins the training window (`deno task train` saves it
 *   as `<modelDir>/reference.json`); `loadInputReference()` reads it back.
 *
 * Pure: no `Deno.*`, no Kafka, no storage, no clock. See docs/monitoring.md.
 *
 * ```ts ignore
 * import { CONFIG_DIR, loadConfig } from "../config/mod.ts";
 * import { loadExpectedErrors, loadInputReference, ModelMonitor, MonitoringConfigSchema } from "./mod.ts";
 * const config = await loadConfig(new URL("monitoring.json", CONFIG_DIR), MonitoringConfigSchema);
 * const monitor = new ModelMonitor(config, {
 *   expected: loadExpectedErrors(JSON.parse(await Deno.readTextFile("var/evaluation.json"))),
 *   reference: loadInputReference(await Deno.readTextFile("var/models/reference.json")),
 * });
 * for (const alert of monitor.observe(reading, Date.now())) publish(alert);
 * monitor.forecasts(engine.process(reading).forecasts);
 * ```
 *
 * @module
 */
export {
  MONITORING_CONFIG_FILE,
  type MonitoringConfig,
  MonitoringConfigSchema,
} from "./monitoring_config.ts";
export {
  type ExpectedError,
  type ExpectedErrors,
  loadExpectedErrors,
  noExpectedErrors,
} from "./expected.ts";
export { ModelMonitor, type ModelMonitorOptions } from "./model_monitor.ts";
export { PageHinkley, type PageHinkleyOptions } from "./page_hinkley.ts";
export {
  binOf,
  binValues,
  DEFAULT_BINS,
  DEFAULT_MIN_REFERENCE_VALUES,
  type FieldReference,
  FieldReferenceSchema,
  INPUT_REFERENCE_VERSION,
  type InputReference,
  inputReference,
  type InputReferenceOptions,
  InputReferenceSchema,
  loadInputReference,
  populationStabilityIndex,
  quantileSorted,
} from "./reference.ts";
export { type MemberSnapshot, type MergedMonitor, mergeMonitorSnapshots } from "./merge.ts";
export {
  type DriftState,
  DriftStateSchema,
  EventRangeSchema,
  type ForecastHealth,
  ForecastHealthSchema,
  type InputHealth,
  InputHealthSchema,
  MONITOR_SNAPSHOT_VERSION,
  type MonitorEpisodesOutput,
  MonitorEpisodesOutputSchema,
  type MonitorOutput,
  MonitorOutputSchema,
  type MonitorSnapshot,
  MonitorSnapshotSchema,
  type ParsedMonitorOutput,
  parseMonitorOutput,
  type StationHealth,
  StationHealthSchema,
} from "./snapshot.ts";
export {
  DRIFT_DETECTORS,
  type DriftEpisode,
  driftEpisodes,
  DriftEpisodeSchema,
} from "./episodes.ts";
export { INPUT_FIELDS, keyOf, KEYS, MONITORED_HORIZONS, MONITORED_TARGETS } from "./targets.ts";
