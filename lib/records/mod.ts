/**
 * Records that travel between airq's processes: their zod schemas, inferred
 * types and versions.
 *
 * @module
 */
export {
  COLUMNS,
  type ColumnSpec,
  IsoTimestamp,
  matchesReadingShape,
  MEASUREMENT_FIELDS,
  type MeasurementField,
  type Measurements,
  MeasurementsSchema,
  type Reading,
  READING_SCHEMA_VERSION,
  ReadingSchema,
} from "./reading.ts";
export {
  CLEAN_SCHEMA_VERSION,
  type CleanReading,
  CleanReadingSchema,
  type DeadLetter,
  FIELD_FLAGS,
  type FieldFlag,
  type SourcePosition,
  SourcePositionSchema,
} from "./clean.ts";
export {
  type Alert,
  ALERT_KINDS,
  ALERT_SCHEMA_VERSION,
  ALERT_SEVERITIES,
  type AlertEvidence,
  AlertEvidenceSchema,
  type AlertKind,
  AlertSchema,
  type AlertSeverity,
  DATA_QUALITY_ALERT_KINDS,
} from "./alert.ts";
export {
  type EstimateRecord,
  EstimateRecordSchema,
  FALLBACK_REASONS,
  fieldOfTarget,
  FORECAST_SCHEMA_VERSION,
  FORECAST_SET_SCHEMA_VERSION,
  FORECAST_TARGETS,
  type ForecastField,
  ForecastFieldSchema,
  type ForecastRecord,
  ForecastRecordSchema,
  forecastRows,
  type ForecastSet,
  forecastSetOf,
  ForecastSetSchema,
  forecastSetSource,
  type ForecastTarget,
  ForecastTargetSchema,
  type Interval,
  INTERVAL_LEVEL,
  IntervalSchema,
  type SetForecast,
  SetForecastSchema,
} from "./forecast.ts";
export {
  type ChunkResult,
  ChunkResultSchema,
  type CpuUse,
  CpuUseSchema,
  type IngestResult,
  IngestResultSchema,
  type LauncherResult,
  LauncherResultSchema,
  type ParityResult,
  ParityResultSchema,
  type ParityRow,
  ParityRowSchema,
  type RealtimeResult,
  RealtimeResultSchema,
} from "./bench.ts";
export {
  EVALUATION_WRITER,
  type EvaluationReport,
  EvaluationReportSchema,
  INTERVAL_GROUPINGS,
  INTERVAL_TAILS,
  type IntervalGrouping,
  type IntervalTails,
  type NowcastRow,
  NowcastRowSchema,
  type ResultRow,
  ResultRowSchema,
  type ServedIntervals,
  ServedIntervalsSchema,
  type WarningRow,
  WarningRowSchema,
} from "./evaluation.ts";
export { DRILL_WRITER, type DrillReport, DrillReportSchema } from "./drill.ts";
export { parseFileAs, parseLastLine } from "./file.ts";
export { parseQualityOutput, type StoreSummary, StoreSummarySchema } from "./quality.ts";
export {
  type ConsumeStats,
  ConsumeStatsSchema,
  type ConsumeSummary,
  ConsumeSummarySchema,
  type ProduceSummary,
  ProduceSummarySchema,
} from "./summary.ts";
export {
  type ExpectedMae,
  ExpectedMaeSchema,
  MODEL_VERSIONS_SNAPSHOT,
  type ModelRetrainedEvent,
  ModelRetrainedEventSchema,
  type ModelVersionsSnapshot,
  ModelVersionsSnapshotSchema,
  RETRAIN_MODES,
  type RetrainMode,
  type RetrainScore,
  RetrainScoreSchema,
} from "./model_version.ts";
