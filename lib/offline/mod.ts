/**
 * The forecasting pipeline: configuration, walk-forward evaluation, the
 * validation search, final training and the Markdown report. Pure: the entry
 * scripts `train.ts` and `evaluate.ts` do the reading and writing.
 *
 * @module
 */
export {
  changeGbtWeightOf,
  changeWeightOf,
  FORECAST_TARGETS,
  type ForecastConfig,
  ForecastConfigSchema,
  forecastTreesOf,
  gbtWeightOf,
  offsetMinutes,
  sarimaWeightOf,
} from "./forecast_config.ts";
export {
  type SarimaRuns,
  sarimaWalkForward,
  type SarimaWalkForwardOptions,
  type SarimaWalkForwardResult,
} from "./sarima_runs.ts";
export {
  bestOf,
  computeSarimaRuns,
  evaluateForecasts,
  type EvaluateOptions,
  type EvaluationReport,
  evaluationSteps,
  type EvaluationWindow,
  evaluationWindow,
  type NowcastRow,
  sarimaRunsOf,
  sarimaWindow,
  seriesIndex,
  walkForwardSettings,
  type WarningRow,
} from "./evaluate.ts";
export {
  DM_METHOD,
  type DmField,
  holmAcrossPairs,
  type ResultRow,
  scoreForecasts,
  type ScoreOptions,
} from "./score.ts";
export { walkForward, type WalkForwardOptions, type WalkForwardResult } from "./walk_forward.ts";
export { type SelectionReport, selectOnValidation } from "./select.ts";
export { type SarimaSelectionReport, selectSarimaOnValidation } from "./select_sarima.ts";
export { evaluateNowcasts } from "./nowcast.ts";
export { type NowcastSelection, NowcastSelectionSchema, selectNowcast } from "./nowcast_select.ts";
export { artifactFileName, trainingSteps, trainModels } from "./train.ts";
export { type SarimaTraining, trainSarima } from "./train_sarima.ts";
export { GOALS, renderReport, renderSummary, replaceResultsBlock } from "./report.ts";
