/**
 * Evaluation: point metrics, block-bootstrap intervals, the Diebold-Mariano
 * test, conformal prediction intervals. Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
export {
  type ClassificationScores,
  classify,
  mae,
  naiveScale,
  rmse,
  skillScore,
} from "./metrics.ts";
export {
  blockResample,
  bootstrapInterval,
  type BootstrapOptions,
  quantileSorted,
  skillInterval,
} from "./bootstrap.ts";
export { nearestRankSorted } from "./quantile.ts";
export {
  dieboldMariano,
  type DieboldMarianoResult,
  holmAdjust,
  neweyWestLags,
  neweyWestVariance,
} from "./diebold_mariano.ts";
export {
  type ConformalIntervals,
  conformalIntervals,
  type ConformalOptions,
  intervalScore,
  intervalScores,
} from "./conformal.ts";
export {
  conditionalConformalIntervals,
  type ConditionalConformalOptions,
  type ConditionalConformalResult,
  GroupCalibration,
  type Outcome,
  type ResidualScale,
} from "./conditional_conformal.ts";
export {
  applyFactors,
  baseGroupCount,
  boundFactors,
  clockOf,
  groupCount,
  groupIndex,
  type HourClock,
  INTERVAL_GROUPINGS,
  INTERVAL_TAILS,
  type IntervalGrouping,
  type IntervalGroupRule,
  type IntervalTails,
  type OutageRule,
  recentOutage,
} from "./interval_groups.ts";
