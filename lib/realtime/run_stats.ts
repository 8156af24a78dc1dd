/**
 * The forecaster's counts: the summary a run ends with, and a committed
 * chunk's counts added to it and to the process's /metrics counters.
 *
 * @module
 */
import type { ForecasterMetrics } from "../metrics/mod.ts";
import { nearestRankSorted } from "../scoring/mod.ts";
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
  /**
   * Where a reading's latency goes, per committed chunk (the latest
   * {@linkcode CHUNK_SAMPLES} of the run): the median and the 99th
   * percentile of each stage, ms. See {@linkcode CHUNK_STAGES}.
   */
  chunk_ms: ChunkStagesSummary;
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
  "time_ms" | "chunk_ms" | "duration_s" | "forecasts_per_s" | "outcome" | "retraining"
>;

/**
 * The stages of one chunk, in order:
 * - `fetch`: from the `airq.produced_at` header of the chunk's first (oldest)
 *   message to its batch reaching the forecaster's handler (the producer's
 *   linger, the broker, the fetch); the producer's clock against this
 *   process's, so on separate machines it includes their clock offset;
 * - `queue`: from there to the chunk's processing (the partition's previous
 *   batch still committing, earlier chunks of the batch, the in-flight bound);
 * - `process`, `store`, `send`, `offsets`, `commit`: as in `time_ms`;
 * - `total`: from the first message's `produced_at` to the end of the commit.
 *   After it, a read_committed reader still waits for the commit markers and
 *   its own fetch.
 */
export const CHUNK_STAGES = [
  "fetch",
  "queue",
  "process",
  "store",
  "send",
  "offsets",
  "commit",
  "total",
] as const;

/** A stage of {@linkcode CHUNK_STAGES}. */
export type ChunkStage = typeof CHUNK_STAGES[number];

/** How many of the latest chunks the stage quantiles are taken from. */
export const CHUNK_SAMPLES = 20_000;

/** `chunk_ms` of the summary: quantiles of each stage over the chunks kept. */
export interface ChunkStagesSummary {
  /** Chunks the quantiles are taken from (the latest, at most {@linkcode CHUNK_SAMPLES}). */
  chunks: number;
  p50: Record<ChunkStage, number | null>;
  p99: Record<ChunkStage, number | null>;
}

/**
 * The latest chunks' stage durations, in a ring of {@linkcode CHUNK_SAMPLES}
 * per stage (NaN: not measured for that chunk, e.g. no `produced_at` header).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkStages } from "./run_stats.ts";
 * const stages = new ChunkStages(4);
 * for (const ms of [1, 2, 3, 4, 5, 100]) stages.add({ process: ms });
 * const s = stages.summary();
 * assert.equal(s.chunks, 4); // the latest 4: 3, 4, 5, 100
 * assert.equal(s.p50.process, 4);
 * assert.equal(s.p99.process, 100);
 * assert.equal(s.p50.fetch, null); // never measured
 * ```
 */
export class ChunkStages {
  readonly #size: number;
  readonly #rings = new Map<ChunkStage, Float64Array>();
  #count = 0;

  constructor(size = CHUNK_SAMPLES) {
    this.#size = size;
    for (const stage of CHUNK_STAGES) this.#rings.set(stage, new Float64Array(size).fill(NaN));
  }

  /** One chunk's stages (a missing stage is not measured for it). */
  add(ms: Partial<Record<ChunkStage, number>>): void {
    const at = this.#count % this.#size;
    for (const stage of CHUNK_STAGES) this.#rings.get(stage)![at] = ms[stage] ?? NaN;
    this.#count++;
  }

  /** Median and 99th percentile (nearest rank) of each stage, ms to 0.1; null when never measured. */
  summary(): ChunkStagesSummary {
    const n = Math.min(this.#count, this.#size);
    const p50 = {} as Record<ChunkStage, number | null>;
    const p99 = {} as Record<ChunkStage, number | null>;
    for (const stage of CHUNK_STAGES) {
      const values = Array.from(this.#rings.get(stage)!.subarray(0, n))
        .filter((v) => !Number.isNaN(v))
        .sort((a, b) => a - b);
      p50[stage] = nearestRank(values, 0.5);
      p99[stage] = nearestRank(values, 0.99);
    }
    return { chunks: n, p50, p99 };
  }
}

/** Nearest-rank quantile (as the bench's latency figures), ms to 0.1; null when empty. */
function nearestRank(sorted: readonly number[], q: number): number | null {
  return sorted.length === 0 ? null : Math.round(nearestRankSorted(sorted, q) * 10) / 10;
}

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
