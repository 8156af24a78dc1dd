/**
 * `config/forecast.json`: targets, horizons, the evaluation protocol and the
 * model settings chosen on validation data (before 2005-01-01).
 *
 * @module
 */
import { z } from "zod";

import {
  INTERVAL_GROUPINGS,
  INTERVAL_TAILS,
  type IntervalGrouping,
} from "../scoring/interval_groups.ts";
export { INTERVAL_GROUPINGS, type IntervalGrouping };
import { IsoTimestamp } from "../records/reading.ts";

/** Targets airq forecasts. NMHC(GT) is left out: 90 % missing and absent after May 2004. */
export const FORECAST_TARGETS = ["CO(GT)", "NOx(GT)", "NO2(GT)", "C6H6(GT)"] as const;

const window = z.strictObject({ from: IsoTimestamp, to: IsoTimestamp });
const fraction = z.number().positive().max(1);
const transform = z.enum(["none", "log1p"]);
/** Groups of nowcast-only features of the virtual sensor (`lib/offline/nowcast.ts`). */
export const NOWCAST_FEATURE_GROUPS = ["ratios", "weather", "age"] as const;
/** What the virtual sensor's models fit: the value, or its change since the last observed value. */
export const NOWCAST_TARGETS = ["level", "change"] as const;
/** The virtual sensor of one target: its extra features, what it fits, the hour-of-day bias correction. */
export const NowcastOptionsSchema = z.strictObject({
  features: z.array(z.enum(NOWCAST_FEATURE_GROUPS)),
  target: z.enum(NOWCAST_TARGETS),
  /** Days of same-hour errors the hour-of-day bias correction averages; null = no correction. */
  hourBiasDays: z.number().int().min(1).max(60).nullable(),
  /** Training window (hours, null = all history) and tree weight of this virtual sensor. */
  trainWindowH: z.number().int().min(168).nullable(),
  gbtWeight: z.number().min(0).max(1),
});
/** Weight of the boosted trees in the ridge/trees blend, per target and per horizon key. */
const weights = z.record(z.string(), z.record(z.string(), z.number().min(0).max(1)));

/** Schema of `config/forecast.json`. */
export const ForecastConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  targets: z.array(z.enum(FORECAST_TARGETS)).min(1),
  horizonsH: z.array(z.number().int().min(1).max(168)).min(1),
  /** Fixed offset of station time; the file has no daylight-saving jumps. */
  utcOffset: z.string().regex(/^[+-]\d{2}:\d{2}$/),
  testWindow: window,
  validationWindow: window,
  walkForward: z.strictObject({
    /** Hours between refits; at most a week. */
    refitEveryH: z.number().int().min(1).max(168),
    /** Hours of history each refit trains on; null = all history. */
    trainWindowH: z.number().int().min(168).nullable(),
    /** Training window of the virtual sensor per target (null = all history); default `trainWindowH`. */
    nowcastTrainWindowH: z.record(z.string(), z.number().int().min(168).nullable()).optional(),
    /**
     * The forecast trees' own training window (null = all history), row subsample and learning
     * rate, for the level and change trees at every horizon (not the virtual sensor's); absent:
     * `trainWindowH` and `gbt`'s. Chosen on validation by `deno task evaluate --select --trees`.
     */
    trees: z.strictObject({
      trainWindowH: z.number().int().min(168).nullable(),
      rowSubsample: fraction,
      /** The forecast trees' shrinkage; absent: `gbt.learningRate`. */
      learningRate: z.number().positive().max(1).optional(),
    }).optional(),
  }),
  ridge: z.strictObject({ lambda: z.number().min(0), transform }),
  gbt: z.strictObject({
    trees: z.number().int().min(1),
    learningRate: z.number().positive(),
    maxDepth: z.number().int().min(1).max(12),
    minSamplesLeaf: z.number().int().min(1),
    treeFeatureFraction: fraction,
    splitFeatureFraction: fraction,
    rowSubsample: fraction,
    maxBins: z.number().int().min(2).max(64),
    l2: z.number().min(0),
    seed: z.number().int(),
    transform,
  }),
  /** Chosen on validation by `deno task evaluate --select`; keys: target, then horizon or "nowcast". */
  gbtWeight: weights,
  /**
   * The change models (issue 17): ridge and trees fitted to log1p(y(t + h)) minus log1p of the
   * target's last value observed at t or in the `lookbackH` - 1 hours before (no such value: no
   * forecast). `gbtWeight`: the trees' weight in their blend; `weight`: that blend's weight u beside
   * the level blend, (1 - u) level + u change, before SARIMA; per target and horizon, chosen on
   * validation by `deno task evaluate --select --change`. Absent: level models only.
   */
  change: z.strictObject({
    lookbackH: z.number().int().min(1).max(168),
    gbtWeight: weights,
    weight: weights,
  }).optional(),
  /**
   * The virtual sensor per target, evaluated, trained and served, chosen on validation by
   * `deno task evaluate --select --nowcast`; a target left out uses the shared features, the
   * level, `nowcastTrainWindowH` and `gbtWeight.nowcast`.
   */
  nowcast: z.record(z.string(), NowcastOptionsSchema).optional(),
  /**
   * SARIMA (npm `arima`) per target, refit every `walkForward.refitEveryH` on the last `windowH`
   * hours. `enabled`: run it in `deno task evaluate` without `--sarima` (it is slow; its time is
   * reported separately). `blendWeight`: weight of SARIMA in `best`, per target and horizon,
   * chosen on validation (`deno task evaluate --select --sarima`); only applied when SARIMA runs.
   */
  sarima: z.strictObject({
    enabled: z.boolean(),
    order: z.strictObject({
      p: z.number().int().min(0).max(3),
      d: z.number().int().min(0).max(1),
      q: z.number().int().min(0).max(3),
      P: z.number().int().min(0).max(2),
      D: z.number().int().min(0).max(1),
      Q: z.number().int().min(0).max(2),
      s: z.number().int().min(0).max(168),
    }),
    transform,
    windowH: z.number().int().min(200),
    blendWeight: weights,
    /** Where `deno task evaluate` caches the walk-forward, keyed by its inputs; none: no cache. */
    cacheDir: z.string().min(1).optional(),
  }),
  conformal: z.strictObject({
    alpha: z.number().positive().max(0.5),
    window: z.number().int().min(10),
    gamma: z.number().min(0),
    minResiduals: z.number().int().min(1),
    /** Hours of walk-forward forecasts before the test window that calibrate the first intervals. */
    warmupH: z.number().int().min(0),
    /**
     * The regime-aware intervals of `best` (lib/offline/conditional_intervals.ts), scored in
     * `results` and `coverage_by_regime` and served live (`served_intervals`); chosen with
     * `deno task evaluate --select --intervals`.
     */
    conditional: z.strictObject({
      scale: z.enum(["absolute", "log1p"]),
      grouping: z.enum(INTERVAL_GROUPINGS),
      levelQuantiles: z.array(z.number().gt(0).lt(1)),
      dayHours: z.tuple([z.number().int().min(0).max(23), z.number().int().min(0).max(23)]),
      /**
       * A separate group for forecasts issued during an outage of the target or within
       * `regimes.afterOutageH` hours after one (`regimes.outageMinMissingH` missing hours).
       */
      outage: z.boolean().optional(),
      /**
       * `symmetric` (absent): the (1 - alpha) quantile of the absolute residuals on both sides;
       * `equal`: the alpha / 2 and 1 - alpha / 2 quantiles of the signed residuals.
       */
      tails: z.enum(INTERVAL_TAILS).optional(),
    }).optional(),
  }),
  bootstrap: z.strictObject({
    resamples: z.number().int().min(10),
    blockLengthH: z.number().int().min(1),
    seed: z.number().int(),
    level: z.number().positive().max(0.999),
  }),
  /**
   * The early warning. `horizonH`: the lead of the headline `warning_no2_200` numbers; `leadsH`:
   * every lead scored in `by_lead_h` (forecasts of `target` at each are made for the warning).
   * A warning is issued when P(exceedance) from the forecast and its latest `residualWindowH`
   * multiplicative errors reaches a cut-off chosen from `probabilityCutoffs` on the validation
   * window.
   */
  warning: z.strictObject({
    target: z.enum(FORECAST_TARGETS),
    threshold: z.number(),
    horizonH: z.number().int().min(1),
    leadsH: z.array(z.number().int().min(1).max(168)).min(1).default([1]),
    residualWindowH: z.number().int().min(10).default(720),
    minResiduals: z.number().int().min(1).default(50),
    probabilityCutoffs: z.array(z.number().gt(0).max(1)).min(1).default([0.5]),
    /**
     * The forecast behind P(exceedance) at leads that are main horizons when SARIMA runs: `best`
     * (ridge/trees then SARIMA), or `blend` (ridge/trees only, as at the other leads). Chosen on
     * the validation window (docs/forecasting.md).
     */
    forecast: z.enum(["blend", "best"]).default("blend"),
  }),
  /**
   * Regimes of `coverage_by_regime`: high pollution = above the `highQuantile` of the target's
   * values before the test window; rush hours = these local hours on weekdays; after an outage =
   * the first `afterOutageH` hours after at least `outageMinMissingH` missing hours of the target.
   */
  regimes: z.strictObject({
    highQuantile: z.number().gt(0).lt(1),
    rushHours: z.array(z.number().int().min(0).max(23)),
    outageMinMissingH: z.number().int().min(1),
    afterOutageH: z.number().int().min(1),
  }).default({
    highQuantile: 0.9,
    rushHours: [7, 8, 9, 17, 18, 19],
    outageMinMissingH: 3,
    afterOutageH: 6,
  }),
  /**
   * The GRU sequence model (issue 17; `lib/offline/sequence.ts`): fitted for `epochs` on the
   * `trainWindowH` hours before the first block, fine-tuned for `fineTuneEpochs` on the latest
   * `trainWindowH` hours every `fineTuneEveryH`. `enabled`: `deno task evaluate` adds its `gru`
   * rows (cached under `cacheDir`, keyed by a hash of its inputs and these settings), and
   * `best_gru` rows with `blendWeight`. It is not in `best` (the live forecaster does not serve it).
   */
  sequence: z.strictObject({
    enabled: z.boolean(),
    backend: z.enum(["wasm", "cpu"]),
    lookbackH: z.number().int().min(1).max(168),
    units: z.number().int().min(1).max(256),
    learningRate: z.number().positive(),
    batchSize: z.number().int().min(1),
    epochs: z.number().int().min(1),
    fineTuneEpochs: z.number().int().min(0),
    fineTuneEveryH: z.number().int().min(1),
    trainWindowH: z.number().int().min(168),
    seed: z.number().int(),
    cacheDir: z.string().min(1),
    /**
     * Weight g of the GRU per target and horizon in the `best_gru` rows, (1 - g) best + g GRU,
     * chosen on validation by `deno task sequence` (`validation_blend`); `best` itself is unchanged.
     */
    blendWeight: weights.default({}),
  }).optional(),
  /** Where `deno task train` writes artifacts (relative to the repository). */
  modelDir: z.string().min(1),
  /** Where `deno task evaluate` writes its Markdown summary. */
  reportPath: z.string().min(1),
});

/** Settings of the GRU sequence model. */
export type SequenceSettings = NonNullable<z.infer<typeof ForecastConfigSchema>["sequence"]>;

/** `config/forecast.json`. */
export type ForecastConfig = z.infer<typeof ForecastConfigSchema>;

/** Minutes east of UTC of an offset like `+01:00`. */
export function offsetMinutes(offset: string): number {
  const sign = offset.startsWith("-") ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
}

/** Training window of the virtual sensor of a target, hours (null = all history). */
export function nowcastTrainWindowOf(config: ForecastConfig, target: string): number | null {
  const w = config.walkForward.nowcastTrainWindowH?.[target];
  return w === undefined ? config.walkForward.trainWindowH : w;
}

/**
 * The forecast trees' training window (null = all history) and their parameters: `gbt` with
 * `walkForward.trees`' row subsample and learning rate; without `walkForward.trees`, ridge's window
 * and `gbt` itself.
 */
export function forecastTreesOf(
  config: ForecastConfig,
): { trainWindowH: number | null; gbt: ForecastConfig["gbt"] } {
  const trees = config.walkForward.trees;
  return trees === undefined
    ? { trainWindowH: config.walkForward.trainWindowH, gbt: config.gbt }
    : {
      trainWindowH: trees.trainWindowH,
      gbt: {
        ...config.gbt,
        rowSubsample: trees.rowSubsample,
        learningRate: trees.learningRate ?? config.gbt.learningRate,
      },
    };
}

/** The virtual sensor's options of a target; default the shared features, level, no correction. */
export function nowcastOptionsOf(
  config: ForecastConfig,
  target: string,
): z.infer<typeof NowcastOptionsSchema> {
  return config.nowcast?.[target] ?? {
    features: [],
    target: "level",
    hourBiasDays: null,
    trainWindowH: nowcastTrainWindowOf(config, target),
    gbtWeight: gbtWeightOf(config, target, "nowcast"),
  };
}

/** The weight u of the change blend beside the level blend for a target and horizon key; default 0. */
export function changeWeightOf(config: ForecastConfig, target: string, key: string): number {
  return config.change?.weight[target]?.[key] ?? 0;
}

/** The trees' weight in the change blend for a target and horizon key; default 0.5. */
export function changeGbtWeightOf(config: ForecastConfig, target: string, key: string): number {
  return config.change?.gbtWeight[target]?.[key] ?? 0.5;
}

/** The weight of SARIMA in `best` for a target and a horizon key; default 0. */
export function sarimaWeightOf(config: ForecastConfig, target: string, key: string): number {
  return config.sarima.blendWeight[target]?.[key] ?? 0;
}

/** The blend weight of the trees for a target and a horizon key (`"6"` or `"nowcast"`); default 0.5. */
export function gbtWeightOf(config: ForecastConfig, target: string, key: string): number {
  return config.gbtWeight[target]?.[key] ?? 0.5;
}
