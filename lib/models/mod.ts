/**
 * Forecasting models: naive baselines, closed-form ridge regression and
 * histogram gradient-boosted trees, SARIMA (npm `arima`, and a state-space filter
 * of a fit for the live path), with JSON artifacts. All pure and seeded.
 *
 * @module
 */
export {
  changeForecast,
  changeOffsetAt,
  lastObserved,
  persistenceForecast,
  seasonalNaiveForecast,
} from "./baselines.ts";
export { type DesignMatrix, forward, inverse, takeRows, type TargetTransform } from "./matrix.ts";
export { fitRidge, predictRidge, type RidgeModel, type RidgeParams } from "./ridge.ts";
export { applyBins, type BinCuts, binOf, fitBinCuts } from "./binning.ts";
export {
  binMatrix,
  type BinnedMatrix,
  fitGbt,
  fitGbtBinned,
  type FlatTree,
  type GbtModel,
  type GbtParams,
  predictGbt,
} from "./gbt.ts";
export { mulberry32 } from "../random.ts";
export {
  ARTIFACT_VERSION,
  type FittedModel,
  type ModelArtifact,
  ModelArtifactSchema,
  type ModelManifest,
  ModelManifestSchema,
  parseModelArtifact,
  predictModel,
} from "./artifact.ts";
export {
  fillForState,
  loadSarima,
  type SarimaCoefficients,
  type SarimaEngine,
  SarimaModel,
  type SarimaOrder,
  type SarimaParams,
} from "./sarima.ts";
export { SarimaFilter, type SarimaFilterOptions, type SarimaFilterSpec } from "./sarima_filter.ts";
export {
  parseSarimaArtifact,
  SARIMA_ARTIFACT_VERSION,
  type SarimaArtifact,
  SarimaArtifactSchema,
  sarimaFilterSpec,
  type SarimaTargetModel,
  SarimaTargetSchema,
} from "./sarima_artifact.ts";
