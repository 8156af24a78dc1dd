/**
 * The analysis of the UCI file: statistics only (ACF/PACF, correlations with
 * corrected p-values, decomposition, anomalies, drift). Its figures, Markdown
 * and HTML pages are drawn by `lib/render`; the final report is assembled in
 * `lib/reports`.
 *
 * ```ts ignore
 * import { analyzeFrame, frameFromRows } from "./lib/analysis/mod.ts";
 * const analysis = analyzeFrame(frameFromRows(rows), config);
 * ```
 *
 * Pure: no `Deno.*`; the entry scripts `analyze.ts` and `report.ts` do the I/O.
 *
 * @module
 */
export {
  acf,
  crossCorrelation,
  type LaggedCorrelation,
  pacf,
  pacfFromAcf,
  whiteNoiseBound,
} from "./acf.ts";
export {
  type AnomalyRules,
  type Cause,
  type Episode,
  findEpisodes,
  groupFlags,
  type PairedSeries,
} from "./anomalies.ts";
export {
  ANALYSIS_CONFIG_FILE,
  type AnalysisConfig,
  AnalysisConfigSchema,
} from "./analysis_config.ts";
export { decompose, type DecomposeOptions, type Decomposition } from "./decompose.ts";
export { type Findings, findingsOf } from "./findings.ts";
export {
  type Calendar,
  calendarOf,
  frameFromRows,
  type HourlyFrame,
  outages,
  rollingMean,
} from "./frame.ts";
export { isolationForestScores, mulberry32 } from "./iforest.ts";
export { dayOfWeekEffects, hourlyProfile, monthlyLevels } from "./profiles.ts";
export { type CorrelationCell, correlationMatrix, monthlyCalibration } from "./relations.ts";
export {
  type Analysis,
  analyzeFrame,
  columnOf,
  countableLimits,
  type Exceedance,
  type LimitSpec,
} from "./run.ts";
export { benjaminiHochberg, holm, mad, pearson, robustZ, spearman, theilSen } from "./stats.ts";
