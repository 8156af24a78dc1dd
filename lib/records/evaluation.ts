/**
 * The JSON `deno task evaluate --json PATH` writes (`var/evaluation.json`,
 * committed as `docs/reports/evaluation.json`): one zod schema, used by the
 * writer (evaluate checks its report before writing it) and by every reader
 * (the forecaster's interval widths, the parity bench, the final report), so
 * none restates the shape.
 *
 * Objects are strict: a field the writer adds must be added here, the one
 * place that says what the file holds, or writing it fails.
 *
 * @module
 */
import { z } from "zod";

/** The command that writes the file. */
export const EVALUATION_WRITER = "deno task evaluate --json PATH";

const ci95 = z.tuple([z.number(), z.number()]).nullable();

/** One row of `results`: one model at one target and horizon on the test window. */
export const ResultRowSchema = z.strictObject({
  target: z.string(),
  horizon_h: z.number().int(),
  model: z.string(),
  n: z.number().int(),
  mae: z.number(),
  rmse: z.number(),
  mase: z.number(),
  /** 1 - MAE / min(MAE persistence, MAE seasonal naive 24 h) on the same points. */
  skill: z.number(),
  skill_ci95: ci95,
  skill_vs_persistence: z.number(),
  skill_vs_persistence_ci95: ci95,
  skill_vs_seasonal_naive_24h: z.number(),
  skill_vs_seasonal_naive_24h_ci95: ci95,
  /** Share of observed targets inside the 90 % conformal interval. */
  interval_coverage: z.number(),
  interval_mean_width: z.number(),
  /**
   * Mean interval score of the 90 % conformal interval (Gneiting and Raftery 2007): width plus
   * 2/alpha times each miss, in the target's unit; lower is better.
   */
  interval_score: z.number(),
  /**
   * Diebold-Mariano of absolute errors against the better naive baseline (Newey-West variance,
   * `lags` lags), its p-value Holm-adjusted across the target-horizon pairs of the model; null
   * for baselines.
   */
  dm: z.strictObject({
    baseline: z.string(),
    statistic: z.number(),
    p_value: z.number(),
    p_value_holm: z.number().nullable(),
    lags: z.number().int(),
    method: z.string(),
  }).nullable(),
  /** What `best` is made of, e.g. `0.50 ridge + 0.50 gbt`. */
  detail: z.string().optional(),
  /**
   * For `best`, whose interval fields above score the served regime-aware rule
   * (`served_intervals`): the same fields of the earlier served rule (pooled rolling conformal on
   * absolute residuals, one group), for comparison.
   */
  pooled_interval: z.strictObject({
    coverage: z.number(),
    mean_width: z.number(),
    interval_score: z.number(),
  }).optional(),
});

/** One row of `results`. */
export type ResultRow = z.infer<typeof ResultRowSchema>;

/** One row of `nowcast` (the virtual sensor). */
export const NowcastRowSchema = z.strictObject({
  target: z.string(),
  n: z.number().int(),
  mae: z.number(),
  rmse: z.number(),
  ridge_mae: z.number(),
  gbt_mae: z.number(),
  detail: z.string(),
  /** The nowcast-only feature groups (`nowcast` in config/forecast.json). */
  features: z.array(z.string()),
  /** What the models fit: `level`, or `change` since the last observed value. */
  fits: z.string(),
  /** Days of the hour-of-day bias correction; null = none. */
  hour_bias_days: z.number().nullable(),
});

/** One row of `nowcast`. */
export type NowcastRow = z.infer<typeof NowcastRowSchema>;

/** Precision, recall and F1 of a warning rule and of persistence on the same scored hours. */
const warningScores = {
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  persistence_precision: z.number(),
  persistence_recall: z.number(),
  persistence_f1: z.number(),
  n: z.number().int(),
  events: z.number().int(),
};

/** One lead of `warning_no2_200.by_lead_h`, with the rule chosen for it on validation. */
export const WarningLeadRowSchema = z.strictObject({
  lead_h: z.number().int(),
  ...warningScores,
  probability_cutoff: z.number(),
  combination: z.string(),
  validation_f1: z.number(),
  validation_persistence_f1: z.number(),
});

/**
 * `warning_no2_200`: the early warning against persistence's; the top-level
 * scores are those of the 1 h lead of `by_lead_h`.
 */
export const WarningRowSchema = z.strictObject({
  ...warningScores,
  /** How a warning is issued, in words. */
  rule: z.string(),
  by_lead_h: z.array(WarningLeadRowSchema),
  /** Exceedance episodes of the test window and the lead time of their warnings. */
  episodes: z.strictObject({
    count: z.number().int(),
    warned: z.number().int(),
    median_lead_h: z.number().nullable(),
    persistence_warned: z.number().int(),
    persistence_median_lead_h: z.number().nullable(),
  }),
  /** The earlier rule, `best`'s 1 h point forecast above the threshold. */
  point_forecast_rule: z.strictObject({ lead_h: z.number().int(), ...warningScores }),
});

/** Coverage and interval score of `best`'s 90 % intervals in one regime. */
export const RegimeCoverageRowSchema = z.strictObject({
  target: z.string(),
  horizon_h: z.number().int(),
  /** `all`, `high_pollution`, `rush_hour`, `weekend` or `after_outage` (lib/offline/regimes.ts). */
  regime: z.string(),
  coverage: z.number(),
  n: z.number().int(),
  interval_score: z.number(),
  interval_mean_width: z.number(),
});

/**
 * How the served intervals group forecasts: by the target hour's clock, the forecast level, or
 * both (the rules: lib/scoring/interval_groups.ts, which takes the names from here).
 */
export const INTERVAL_GROUPINGS = ["none", "rush", "level", "rush_level", "day_level"] as const;
/** One of {@linkcode INTERVAL_GROUPINGS}. */
export type IntervalGrouping = typeof INTERVAL_GROUPINGS[number];

/**
 * How a group's interval is cut from its residuals: `symmetric`, the (1 - alpha) quantile of the
 * absolute residuals on both sides; `equal`, equal-tailed, the alpha / 2 and 1 - alpha / 2
 * quantiles of the signed residuals, each tail with its own adaptive miss rate.
 */
export const INTERVAL_TAILS = ["symmetric", "equal"] as const;
/** One of {@linkcode INTERVAL_TAILS}. */
export type IntervalTails = typeof INTERVAL_TAILS[number];

/**
 * The intervals the real-time forecaster serves around `best` (lib/realtime/served_intervals.ts):
 * the group rule (lib/scoring/interval_groups.ts) and, per target and horizon, its level bin edges
 * and each group's half-width after the test window's last hour, on `scale`.
 */
export const ServedIntervalsSchema = z.strictObject({
  rule: z.string(),
  scale: z.enum(["absolute", "log1p"]),
  grouping: z.enum(INTERVAL_GROUPINGS),
  /** Absent in files written before it: `symmetric`. */
  tails: z.enum(INTERVAL_TAILS).optional(),
  day_hours: z.tuple([z.number().int(), z.number().int()]),
  rush_hours: z.array(z.number().int()),
  /** The outage group: a run of `min_missing_h` missing target hours affects `within_h` hours. */
  outage: z.strictObject({ min_missing_h: z.number().int(), within_h: z.number().int() })
    .nullable(),
  /**
   * The rolling conformal settings of the rule (config/forecast.json `conformal`): the live
   * forecaster keeps each group's window of its own residuals with them, as evaluate does, and
   * serves `half_widths` only while a group has too few (lib/realtime/live_intervals.ts). Absent
   * in files written before it: the forecaster then serves `half_widths` unchanged.
   */
  calibration: z.strictObject({
    alpha: z.number().positive().lt(1),
    window: z.number().int().positive(),
    gamma: z.number().nonnegative(),
    min_residuals: z.number().int().positive(),
  }).optional(),
  groups: z.array(z.strictObject({
    target: z.string(),
    horizon_h: z.number().int(),
    level_edges: z.array(z.number()),
    /**
     * By group index, the interval's upper side (on `scale`, above the forecast); null: the group
     * had too few residuals (the forecaster falls back).
     */
    half_widths: z.array(z.number().nullable()),
    /**
     * By group index, its lower side (below the forecast) when the tails differ (`equal`);
     * absent: the same as `half_widths`.
     */
    lower_half_widths: z.array(z.number().nullable()).optional(),
  })),
});

/** `served_intervals`. */
export type ServedIntervals = z.infer<typeof ServedIntervalsSchema>;

/** `warning_no2_200`. */
export type WarningRow = z.infer<typeof WarningRowSchema>;

/** Everything `deno task evaluate --json PATH` writes. */
export const EvaluationReportSchema = z.strictObject({
  test_window: z.strictObject({ from: z.string(), to: z.string() }),
  protocol: z.strictObject({
    refit_every_h: z.number().int(),
    train_window_h: z.number().int().nullable(),
    refits: z.number().int(),
    mase_scale: z.string(),
  }),
  results: z.array(ResultRowSchema),
  /**
   * Coverage and interval score of `best`'s served 90 % intervals per target, horizon and regime
   * (the regime-aware rule when `conformal.conditional` is configured, else the pooled one).
   */
  coverage_by_regime: z.array(RegimeCoverageRowSchema),
  /**
   * The regime-aware intervals of `best` (issue 17; `conformal.conditional`, chosen on validation
   * with `deno task evaluate --select --intervals`), scored like `coverage_by_regime`.
   */
  coverage_by_regime_conditional: z.strictObject({
    rule: z.string(),
    /** True: the live forecaster serves these intervals, and `coverage_by_regime` scores them. */
    served_live: z.boolean(),
    rows: z.array(RegimeCoverageRowSchema),
  }).nullable().optional(),
  /** The earlier served rule (pooled rolling conformal, absolute residuals) by regime, to compare. */
  coverage_by_regime_pooled: z.strictObject({
    rule: z.string(),
    rows: z.array(RegimeCoverageRowSchema),
  }).nullable().optional(),
  /** What the live forecaster serves around `best`; null: the pooled rule's mean width. */
  served_intervals: ServedIntervalsSchema.nullable().optional(),
  /** The high-pollution thresholds (quantile of the values before the test window) per target. */
  regime_thresholds: z.record(z.string(), z.number()),
  nowcast: z.array(NowcastRowSchema),
  warning_no2_200: WarningRowSchema,
  /**
   * Wall time of the SARIMA walk-forward in this run (fits and forecasts, or reading them from the
   * cache), s; null when SARIMA did not run.
   */
  sarima_seconds: z.number().nullable(),
  /** What SARIMA ran, when it ran. */
  sarima: z.strictObject({
    order: z.string(),
    transform: z.string(),
    window_h: z.number().int(),
    fits: z.number().int(),
    failed_fits: z.number().int(),
    printed_lines: z.number().int(),
    /** True when the runs were read from `sarima.cacheDir`; `sarima_seconds` is then the read. */
    cached: z.boolean().optional(),
    /** Wall time of the run that computed the forecasts, s. */
    computed_seconds: z.number().optional(),
  }).nullable(),
  timings_ms: z.record(z.string(), z.number()),
});

/** Everything `deno task evaluate --json PATH` writes. */
export type EvaluationReport = z.infer<typeof EvaluationReportSchema>;
