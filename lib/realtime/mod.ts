/**
 * The real-time forecaster: pure parts (`models.ts`, `engine.ts`: feature
 * state, forecast and estimate records) and the edges (`load.ts`: artifact
 * files; `run.ts`: Kafka with transactions). See docs/realtime.md.
 *
 * @module
 */
export {
  DEFAULT_SARIMA_MIN_HOURS,
  type EngineOptions,
  type EngineOutput,
  type EstimateRecord,
  FALLBACK_RELATIVE_HALF_WIDTH,
  FORECAST_SCHEMA_VERSION,
  type ForecastRecord,
  type Interval,
  RealtimeForecaster,
  type SourcePosition,
  stationTime,
} from "./engine.ts";
export {
  assembleModels,
  type Blend,
  type DeployedModels,
  type EvaluationSummary,
  type HalfWidth,
  modelKey,
  predictBlend,
  REALTIME_HORIZONS,
  REALTIME_TARGETS,
  type RealtimeTarget,
} from "./models.ts";
export {
  EVALUATION_PATHS,
  type EvaluationRead,
  loadDeployedModels,
  type LoadedModels,
  readEvaluation,
  servedEvaluationPath,
  servedWarningOf,
  tryReadEvaluation,
} from "./load.ts";
export {
  blendWithSarima,
  type CompiledSarima,
  type CompiledSarimaTarget,
  compileSarima,
  type SarimaSeed,
  sarimaSeed,
  StationSarima,
} from "./sarima_models.ts";
export { loadSarimaModels } from "./sarima_load.ts";
export {
  type ForecasterOptions,
  type ForecasterSummary,
  type ForecastObserver,
  runForecaster,
} from "./run.ts";
export {
  CHUNK_SAMPLES,
  CHUNK_STAGES,
  type ChunkStage,
  ChunkStages,
  type ChunkStagesSummary,
} from "./run_stats.ts";
export {
  alerterObserver,
  MONITOR_SNAPSHOT,
  monitorObserver,
  monitorSnapshotName,
} from "./observers.ts";
