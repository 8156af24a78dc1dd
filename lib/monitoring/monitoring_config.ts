/**
 * `config/monitoring.json`: the windows, detector settings, thresholds and
 * cool-down of the model monitor. Every setting carries its reason (`why`).
 *
 * @module
 */
import { z } from "zod";

/** Name of the monitoring config file in `config/`. */
export const MONITORING_CONFIG_FILE = "monitoring.json";

const why = z.string().min(1);
const positive = z.number().finite().positive();

/** Schema of `config/monitoring.json`; unknown keys are errors. */
export const MonitoringConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  errors: z.strictObject({
    /** Scored forecasts per (station, target, horizon) in the rolling live MAE. */
    windowForecasts: z.number().int().min(10).max(10_000),
    /**
     * Hours of target time the forecast buffer holds: a forecast and the reading
     * at its target time still meet when they arrive this far apart. More than
     * the longest horizon (24 h).
     */
    bufferHours: z.number().int().min(25).max(1024),
    why,
  }),
  expected: z.strictObject({
    /** `model` of the `var/evaluation.json` rows that give the model's expected MAE. */
    model: z.string().min(1),
    /** `model` of the rows that give the baseline's expected MAE. */
    baseline: z.string().min(1),
    why,
  }),
  maeRatio: z.strictObject({
    /** Live MAE / offline MAE over a full window at or above which a warning fires. */
    warning: positive.min(1),
    /** … and at or above which it escalates to critical. */
    critical: positive,
    /** A firing alert resolves when the ratio falls below this. */
    resolve: positive,
    why,
  }).refine((r) => r.resolve <= r.warning && r.warning <= r.critical, {
    message: "needs resolve <= warning <= critical",
  }),
  pageHinkley: z.strictObject({
    /** Tolerated increase of the normalized absolute error before it counts as change. */
    delta: z.number().finite().min(0),
    /** Detection threshold of the cumulative statistic (the `lambda` of the test). */
    lambda: positive,
    /** Normalized absolute errors are clipped at this (one outlier cannot fire). */
    clip: positive,
    /** Scored forecasts after a (re)start before the test may fire. */
    minScored: z.number().int().min(1),
    /** A detection resolves after this many scored forecasts without another one. */
    resolveAfterScored: z.number().int().min(1),
    why,
  }),
  psi: z.strictObject({
    /** Rolling window of readings per station, hours of event time. */
    windowH: z.number().int().min(24).max(24 * 366),
    /** Values of a field the window needs before its PSI is judged. */
    minValues: z.number().int().min(10),
    /** PSI at or above which a warning fires. */
    warning: positive,
    /** PSI at or above which it escalates to critical; null: never critical. */
    critical: positive.nullable(),
    /** A firing alert resolves when the PSI falls below this. */
    resolve: z.number().finite().min(0),
    /** Empty bins count as this proportion (the logarithm of 0 is not finite). */
    epsilon: positive.max(0.01),
    why,
  }).refine((p) => p.resolve <= p.warning && (p.critical === null || p.warning <= p.critical), {
    message: "needs resolve <= warning <= critical",
  }),
  cooldown: z.strictObject({
    /** After an alert fires, the same station, detector and key stays quiet this long (by the monitor's clock). */
    ms: z.number().int().min(0),
    why,
  }),
});

/** `config/monitoring.json`. */
export type MonitoringConfig = z.infer<typeof MonitoringConfigSchema>;
