/**
 * The forecaster's counts: the summary a run ends with, and a committed
 * chunk's counts added to it and to the process's /metrics counters.
 *
 * @module
 */
import type { ForecasterMetrics } from "../metrics/mod.ts";
import type { ChunkOutput } from "./chunk.ts";

/** The final report of a forecaster run. */
export interface ForecasterSummary {
  consumed: number;
  readings: number;
  invalid: number;
  /** Records on the forecasts topic: one set per reading. */
  forecast_sets: number;
  /** Forecasts inside those sets (targets x horizons each). */
  forecasts: number;
  baseline_forecasts: number;
  estimates: number;
  alerts: number;
  /** Stations warm-started from the store, and the stored readings they took. */
  warm_started_stations: number;
  warm_start_readings: number;
  transactions: number;
  aborted_transactions: number;
  /**
   * Messages not forecast again because a committed transaction had already
   * consumed them (the consumer's position lagged the group's offset after a
   * join or a lost commit answer); 0 in a run without faults.
   */
  skipped_committed: number;
  /**
   * Where the time went, ms summed over the run: validating, warm starts and
   * forecasting (`process`); then per transaction the store write (while the
   * first request is on the wire), the rest of sending the records,
   * `sendOffsets` and the commit.
   */
  time_ms: { process: number; store: number; send: number; offsets: number; commit: number };
  duration_s: number;
  forecasts_per_s: number;
  outcome: "idle" | "stopped";
  /**
   * Weekly refits applied during the run (`--retrain`), how many were
   * promoted, and the refits' own time summed, s (off the hot path in
   * `background` mode). Absent without a retrainer.
   */
  retraining?: { mode: string; refits: number; promoted: number; refit_seconds: number };
}

/** The summary's counts, added to as chunks commit. */
export type Stats = Omit<
  ForecasterSummary,
  "time_ms" | "duration_s" | "forecasts_per_s" | "outcome" | "retraining"
>;

/** All counts at zero. */
export function newStats(): Stats {
  return {
    consumed: 0,
    readings: 0,
    invalid: 0,
    forecast_sets: 0,
    forecasts: 0,
    baseline_forecasts: 0,
    estimates: 0,
    alerts: 0,
    warm_started_stations: 0,
    warm_start_readings: 0,
    transactions: 0,
    aborted_transactions: 0,
    skipped_committed: 0,
  };
}

/** Adds a committed chunk's counts. */
export function addCounts(stats: Stats, out: ChunkOutput, consumed: number): void {
  stats.consumed += consumed;
  stats.readings += out.counts.readings;
  stats.invalid += out.counts.invalid;
  stats.forecast_sets += out.forecasts.length;
  stats.forecasts += out.counts.forecasts;
  stats.baseline_forecasts += out.counts.baseline_forecasts;
  stats.estimates += out.estimates.length;
  stats.alerts += out.alerts.length;
  stats.warm_started_stations += out.counts.warm_started_stations;
  stats.warm_start_readings += out.counts.warm_start_readings;
}

/** A committed chunk's counts, on /metrics. */
export function countCommitted(counters: ForecasterMetrics, out: ChunkOutput): void {
  counters.readings.inc(out.counts.readings);
  counters.invalid.inc(out.counts.invalid);
  counters.forecastSets.inc(out.forecasts.length);
  counters.forecasts.inc(out.counts.forecasts);
  counters.baselineForecasts.inc(out.counts.baseline_forecasts);
  counters.estimates.inc(out.estimates.length);
  if (out.alerts.length > 0) counters.alerts.inc({ source: "forecaster" }, out.alerts.length);
}
