/**
 * The model monitor's snapshot: what `ModelMonitor.snapshot()` returns,
 * `deno task monitor` prints as JSON and the store keeps. Its zod schema reads
 * it back (a stored snapshot, an HTTP body). docs/monitoring.md describes it.
 *
 * Numbers that do not exist yet (an MAE before any scored forecast, a PSI on
 * too few values) are `null`, never `NaN`, so the object survives
 * `JSON.stringify` unchanged. Times are the readings' own `ts` (station time
 * with its offset).
 *
 * @module
 */
import { z } from "zod";
import { AlertSchema } from "../records/alert.ts";
import { ModelRetrainedEventSchema } from "../records/mod.ts";
import { IsoTimestamp, MEASUREMENT_FIELDS } from "../records/reading.ts";
import { DriftEpisodeSchema } from "./episodes.ts";

/** Version of the snapshot format. */
export const MONITOR_SNAPSHOT_VERSION = 1;

const count = z.number().int().min(0);
const value = z.number().finite().nullable();
const level = z.enum(["ok", "warning", "critical"]);

/** Overall drift: the worst severity of the drift alerts firing now. */
export const DriftStateSchema = z.enum(["none", "warning", "critical"]);

/** Overall drift: `none`, `warning` or `critical`. */
export type DriftState = z.infer<typeof DriftStateSchema>;

/** First and last reading covered (by event time); null before any. */
export const EventRangeSchema = z.strictObject({
  from: IsoTimestamp.nullable(),
  to: IsoTimestamp.nullable(),
});

/** How one target at one horizon is doing at one station. */
export const ForecastHealthSchema = z.strictObject({
  target: z.enum(["CO(GT)", "NOx(GT)", "NO2(GT)", "C6H6(GT)"]),
  field: z.enum(["co_mg_m3", "nox_ppb", "no2_ug_m3", "c6h6_ug_m3"]),
  horizon_h: z.number().int().min(1),
  /** Model forecasts scored since the start (or the last reset). */
  n_scored: count,
  /** Model forecasts in the rolling window (at most `window_forecasts`). */
  live_n: count,
  /** MAE of the model over the rolling window. */
  live_mae: value,
  /** MAE of the model over every scored forecast. */
  mae_all: value,
  /** Offline MAE of the model (`var/evaluation.json`, `best`). */
  expected_mae: value,
  /** `live_mae / expected_mae`; the MAE-ratio alert judges it only on a full window. */
  ratio: value,
  /** True when the rolling window holds `window_forecasts` model forecasts. */
  window_full: z.boolean(),
  /** The same for baseline forecasts (persistence standing in for the model), kept apart. */
  baseline_n_scored: count,
  baseline_live_mae: value,
  baseline_mae_all: value,
  /** Offline MAE of the baseline (`persistence`). */
  baseline_expected_mae: value,
  baseline_ratio: value,
  /** The Page-Hinkley test on the model's normalized absolute errors. */
  page_hinkley: z.strictObject({
    /** Current statistic, in units of the offline MAE. */
    statistic: z.number().finite().min(0),
    /** `lambda`: the test fires above it. */
    threshold: z.number().finite(),
    /** A detection not yet followed by `resolveAfterScored` quiet forecasts. */
    drift: z.boolean(),
    /** Forecasts since the test last (re)started. */
    n: count,
    /** Detections since the start. */
    detections: count,
    /** Target time of the latest detection. */
    last_detection_ts: IsoTimestamp.nullable(),
  }),
  /** Worst drift alert firing for this target and horizon (Page-Hinkley or MAE ratio). */
  state: level,
});

/** How one target at one horizon is doing at one station. */
export type ForecastHealth = z.infer<typeof ForecastHealthSchema>;

/** Distribution shift of one input field at one station. */
export const InputHealthSchema = z.strictObject({
  /** PSI of the window's values against the training reference; null when not judged. */
  psi: value,
  /** Values of the field in the window. */
  n: count,
  /** `no_reference`: the training window had too few values (NMHC); `insufficient_data`: fewer than `minValues`. */
  state: z.enum(["ok", "warning", "critical", "insufficient_data", "no_reference"]),
});

/** Distribution shift of one input field. */
export type InputHealth = z.infer<typeof InputHealthSchema>;

/** Everything about one station. */
export const StationHealthSchema = z.strictObject({
  drift: DriftStateSchema,
  alerts_firing: count,
  readings: count,
  event_range: EventRangeSchema,
  /** One row per target and horizon (4 x 3), targets in forecaster order, then horizons. */
  forecasts: z.array(ForecastHealthSchema),
  inputs: z.record(z.enum(MEASUREMENT_FIELDS), InputHealthSchema),
  /** Hours the PSI window covers now. */
  input_window_h: count,
});

/** Everything about one station. */
export type StationHealth = z.infer<typeof StationHealthSchema>;

/** Schema of `ModelMonitor.snapshot()`. */
export const MonitorSnapshotSchema = z.strictObject({
  format: z.literal("airq-model-monitor"),
  version: z.literal(MONITOR_SNAPSHOT_VERSION),
  /** Worst severity of the drift alerts firing now, over every station. */
  drift: DriftStateSchema,
  alerts_firing: count,
  /** Earliest and latest reading over every station. */
  event_range: EventRangeSchema,
  /** The settings the numbers were judged by. */
  settings: z.strictObject({
    window_forecasts: count,
    mae_ratio_warning: z.number().finite(),
    mae_ratio_critical: z.number().finite(),
    page_hinkley: z.strictObject({ delta: z.number().finite(), lambda: z.number().finite() }),
    psi_window_h: count,
    psi_warning: z.number().finite(),
    /** `model` names of the evaluation rows giving the expectations. */
    expected_model: z.string(),
    expected_baseline: z.string(),
    /** The training window of the input reference; null without one. */
    reference_window: z.strictObject({ from: z.string(), to: z.string() }).nullable(),
  }),
  counts: z.strictObject({
    readings: count,
    /** Forecast records received (with or without a value). */
    forecasts: count,
    /** Records whose value was null: nothing to score. */
    forecasts_without_value: count,
    /** Records of a target or horizon the monitor does not watch, or with an unreadable `ts`. */
    forecasts_ignored: count,
    /** Records whose target hour was older than the buffer. */
    forecasts_stale: count,
    /** Records for a (target hour, target, horizon) already held or scored. */
    forecasts_duplicate: count,
    /** Forecasts that left the buffer unscored (their reading never came). */
    forecasts_expired: count,
    /** Readings older than the forecast buffer (their forecasts are gone). */
    readings_late: count,
    scored_model: count,
    scored_baseline: count,
    /** Forecasts whose actual value was missing: not scored. */
    unscored_missing_actual: count,
    page_hinkley_detections: count,
    /** Alert events emitted (firing, escalated and resolved). */
    alerts_emitted: count,
  }),
  stations: z.record(z.string(), StationHealthSchema),
  /**
   * Retraining (lib/realtime/retrainer.ts): the model version served and the
   * latest retraining events; absent from monitors that never retrain.
   */
  retraining: z.strictObject({
    serving: z.string().nullable(),
    events: z.array(ModelRetrainedEventSchema),
  }).optional(),
});

/**
 * A snapshot of the model monitor, JSON-serializable as it is:
 *
 * ```text
 * { format: "airq-model-monitor", version: 1, drift, alerts_firing, event_range: {from, to},
 *   settings: {...}, counts: {...},
 *   stations: { <id>: { drift, alerts_firing, readings, event_range, input_window_h,
 *     forecasts: [{ target, field, horizon_h, n_scored, live_n, live_mae, mae_all,
 *       expected_mae, ratio, window_full, baseline_*, page_hinkley: {statistic,
 *       threshold, drift, n, detections, last_detection_ts}, state }],
 *     inputs: { <field>: { psi, n, state } } } } }
 * ```
 */
export type MonitorSnapshot = z.infer<typeof MonitorSnapshotSchema>;

/** What `deno task monitor --db PATH` prints. */
export const MonitorOutputSchema = z.object({
  db: z.string(),
  updated_at: z.string(),
  age_s: z.number(),
  /** Null for a bare snapshot. */
  store: z.object({ forecasts: z.number(), estimates: z.number(), alerts: z.number() }).nullable(),
  monitor: MonitorSnapshotSchema,
  /**
   * The forecaster processes whose snapshots were merged into `monitor` (lib/monitoring/merge.ts),
   * oldest first, with the stations taken from each; absent from outputs written before.
   */
  members: z.array(z.strictObject({
    name: z.string(),
    updated_at: IsoTimestamp,
    stations: z.array(z.string()),
  })).optional(),
  recent_alerts: z.array(AlertSchema),
});

/** The output of `deno task monitor`. */
export type MonitorOutput = z.infer<typeof MonitorOutputSchema>;

/**
 * What `deno task monitor --db PATH --episodes` prints: the output above and
 * every drift episode the store holds (docs/reports/monitor-test-window.json).
 */
export const MonitorEpisodesOutputSchema = MonitorOutputSchema.extend({
  drift_episodes: z.array(DriftEpisodeSchema),
});

/** The output of `deno task monitor --episodes`. */
export type MonitorEpisodesOutput = z.infer<typeof MonitorEpisodesOutputSchema>;

/** What {@linkcode parseMonitorOutput} reads: the output, with its drift episodes when listed. */
export type ParsedMonitorOutput = MonitorOutput & {
  drift_episodes?: z.infer<typeof DriftEpisodeSchema>[];
};

/**
 * Reads the output of `deno task monitor` (with its `drift_episodes` when it
 * was run with `--episodes`), or a bare snapshot (`format:
 * "airq-model-monitor"`); throws a `TypeError` naming `path` when it is neither.
 */
export function parseMonitorOutput(
  json: unknown,
  path: string,
): ParsedMonitorOutput {
  const bare = MonitorSnapshotSchema.safeParse(json);
  if (bare.success) {
    return { db: "", updated_at: "", age_s: 0, store: null, monitor: bare.data, recent_alerts: [] };
  }
  const episodes = MonitorEpisodesOutputSchema.safeParse(json);
  if (episodes.success) return episodes.data;
  const out = MonitorOutputSchema.safeParse(json);
  if (!out.success) {
    throw new TypeError(
      `"${path}" is not the output of \`deno task monitor\`: ${z.prettifyError(out.error)}`,
    );
  }
  return out.data;
}
