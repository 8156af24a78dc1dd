/**
 * The forecaster's handler for one chunk of a partition's batch, without
 * Kafka: validate each raw message with the consumer's own rules (invalid
 * ones are skipped; the consumer dead-letters them), warm-start stations new
 * to this process from the store, feed the observers (alerts, monitoring)
 * and the engine, and return what the chunk's transaction must carry: one
 * forecast set per reading, the estimates, the alerts, and the same records
 * for the store.
 *
 * @module
 */
import { HOUR_MS } from "../features/mod.ts";
import type { Message } from "../kafka/mod.ts";
import { type QualityRules, validateMessage } from "../quality/mod.ts";
import type {
  Alert,
  CleanReading,
  EstimateRecord,
  ForecastRecord,
  SourcePosition,
} from "../records/mod.ts";
import type { ReadingStore } from "../storage/mod.ts";
import type { RealtimeForecaster } from "./engine.ts";
import { type SarimaSeed, sarimaSeed } from "./sarima_models.ts";
import { estimateJson, forecastSetJson } from "./serialize.ts";
import type { ForecastObserver } from "./observers.ts";
import type { Retrainer } from "./retrainer.ts";

export type { ForecastObserver };

/** What one chunk puts into its transaction, and into the store. */
export interface ChunkOutput {
  forecasts: Message[];
  estimates: Message[];
  alerts: Message[];
  stored: { forecasts: ForecastRecord[]; estimates: EstimateRecord[]; alerts: Alert[] };
  counts: {
    readings: number;
    invalid: number;
    forecasts: number;
    baseline_forecasts: number;
    warm_started_stations: number;
    warm_start_readings: number;
  };
}

/** A raw message of the chunk, as kafkajs hands it over. */
export interface RawMessage {
  offset: string;
  key: { toString(): string } | null;
  value: Uint8Array | null;
}

/**
 * Warm start: a station's forecasts still waiting for their actual value; its
 * history is the engine's `historyH` (the features' HISTORY_H hours, or
 * SARIMA's window when SARIMA is served).
 */
const WARM_FORECASTS_MS = 24 * HOUR_MS;
/** Stored readings read at a time when looking further back for SARIMA's fill (four weeks). */
const SEED_BLOCK_MS = 28 * 24 * HOUR_MS;

/** Turns chunks of raw messages into the records of their transaction. */
export class ChunkProcessor {
  readonly #engine: RealtimeForecaster;
  readonly #observers: readonly ForecastObserver[];
  readonly #store: ReadingStore | null;
  readonly #rules: QualityRules;
  readonly #retrainer: Retrainer | null;
  readonly #issued = new IssueClock();
  /** The partition each station's last valid reading came from (what a rebalance keeps). */
  readonly #partitionOf = new Map<string, number>();

  constructor(options: {
    engine: RealtimeForecaster;
    observers: readonly ForecastObserver[];
    store: ReadingStore | null;
    rules: QualityRules;
    /** Weekly refits (null or mode `off`: none). */
    retrainer?: Retrainer | null | undefined;
  }) {
    this.#engine = options.engine;
    this.#observers = options.observers;
    this.#store = options.store;
    this.#rules = options.rules;
    this.#retrainer = options.retrainer ?? null;
  }

  /** Forgets every station (after a failed transaction or a crash: batches are re-read). */
  reset(): void {
    this.#engine.reset();
    for (const o of this.#observers) o.reset();
    this.#partitionOf.clear();
  }

  /**
   * After a rebalance that left this process `partitions`: the engine forgets every station
   * (each warm-starts from the store at its next reading); observers that can keep stations
   * keep those of the partitions still here and forget the others, the rest are reset. Every
   * chunk processed before ended in a commit, or in an abort that reset everything.
   */
  rebalanced(partitions: readonly number[]): void {
    const here = new Set(partitions);
    const keep = (stationId: string) => here.has(this.#partitionOf.get(stationId) ?? -1);
    this.#engine.reset();
    for (const o of this.#observers) {
      if (o.retain === undefined) o.reset();
      else o.retain(keep);
    }
    for (const [stationId, partition] of this.#partitionOf) {
      if (!here.has(partition)) this.#partitionOf.delete(stationId);
    }
  }

  /**
   * The records of one chunk of `topic`/`partition`. `heartbeat` keeps the
   * group membership while the chunk waits for a refit (`--retrain wait`: a
   * refit takes longer than the session timeout). A chunk that fails half-way
   * has fed part of its readings in and will be read again: every station is
   * forgotten before it rejects.
   */
  async process(
    topic: string,
    partition: number,
    messages: readonly RawMessage[],
    heartbeat?: () => Promise<void>,
  ): Promise<ChunkOutput> {
    try {
      return await this.#process(topic, partition, messages, heartbeat);
    } catch (error) {
      this.reset();
      throw error;
    }
  }

  async #process(
    topic: string,
    partition: number,
    messages: readonly RawMessage[],
    heartbeat: (() => Promise<void>) | undefined,
  ): Promise<ChunkOutput> {
    const nowMs = Date.now();
    const out: ChunkOutput = {
      forecasts: [],
      estimates: [],
      alerts: [],
      stored: { forecasts: [], estimates: [], alerts: [] },
      counts: {
        readings: 0,
        invalid: 0,
        forecasts: 0,
        baseline_forecasts: 0,
        warm_started_stations: 0,
        warm_start_readings: 0,
      },
    };
    const valid = this.#validate(topic, partition, messages, nowMs, out);
    await this.#warmStart(valid, out);
    const retrainer = this.#retrainer;
    for (const { reading, source } of valid) {
      if (retrainer !== null) {
        if (retrainer.due(reading)) {
          const refit = retrainer.start(reading);
          // wait: the reading past the boundary is forecast by the refit's winner
          if (retrainer.mode === "wait") await waitBeating(refit, heartbeat);
        }
        // a finished refit is applied between two readings, its event in this chunk's transaction
        this.#raise(retrainer.apply(this.#engine, Date.now()), out);
      }
      this.#forecast(reading, source, nowMs, out);
    }
    return out;
  }

  #validate(
    topic: string,
    partition: number,
    messages: readonly RawMessage[],
    nowMs: number,
    out: ChunkOutput,
  ): { reading: CleanReading; source: SourcePosition }[] {
    const valid: { reading: CleanReading; source: SourcePosition }[] = [];
    for (const message of messages) {
      const source = { topic, partition, offset: message.offset };
      const key = message.key === null ? null : message.key.toString();
      let result;
      try {
        result = validateMessage(message.value, { source, key, now: nowMs }, this.#rules);
      } catch {
        result = null; // the consumer dead-letters it; the forecaster only skips it
      }
      if (result === null || !result.ok) out.counts.invalid++;
      else {
        valid.push({ reading: result.reading, source });
        this.#partitionOf.set(result.reading.station_id, partition);
      }
    }
    return valid;
  }

  /** Gives stations new to this process their stored history (before their first reading here). */
  async #warmStart(
    valid: readonly { reading: CleanReading }[],
    out: ChunkOutput,
  ): Promise<void> {
    const store = this.#store;
    if (store === null) return;
    const firstMs = new Map<string, number>();
    for (const { reading: r } of valid) {
      if (!firstMs.has(r.station_id)) firstMs.set(r.station_id, r.ts_utc_ms);
    }
    const engine = this.#engine;
    // the engine's span, or longer when an observer asks for more (the served warning's residuals)
    const observerH = Math.max(0, ...this.#observers.map((o) => o.warmHours ?? 0));
    const readingsH = Math.max(engine.historyH, observerH);
    // the interval calibrations replay the span's forecasts, the monitor the last day's
    const engineForecastsMs = engine.recalibrates ? engine.historyH * HOUR_MS : WARM_FORECASTS_MS;
    for (const [stationId, t] of firstMs) {
      if (engine.knows(stationId)) continue;
      const history = await store.readings({
        station_id: stationId,
        from_ms: t - readingsH * HOUR_MS,
        to_ms: t,
      });
      const span = await store.forecasts({
        station_id: stationId,
        from_ms: t - Math.max(engineForecastsMs, observerH * HOUR_MS),
        to_ms: t,
      });
      const since = (list: readonly ForecastRecord[], ms: number) =>
        list.filter((f) => Date.parse(f.ts) >= t - ms);
      const engineFrom = t - engine.historyH * HOUR_MS;
      const seed = await this.#sarimaSeed(store, stationId, engineFrom);
      const taken = engine.warm(
        stationId,
        readingsH === engine.historyH ? history : history.filter((r) => r.ts_utc_ms >= engineFrom),
        seed,
        {
          forecasts: observerH * HOUR_MS > engineForecastsMs
            ? since(span, engineForecastsMs)
            : span,
          nextMs: t,
        },
      );
      const past = since(span, WARM_FORECASTS_MS);
      for (const o of this.#observers) o.warm?.(stationId, history, past, span);
      if (taken > 0) {
        out.counts.warm_started_stations++;
        out.counts.warm_start_readings += taken;
      }
    }
  }

  /**
   * SARIMA's fill seed for a station whose warm-start history starts at `startMs`:
   * the stored readings before it, four weeks at a time further back until every
   * missing value of its last day has an observed value at the same hour of an
   * earlier day, or the store has no earlier reading (then all of them were read).
   */
  async #sarimaSeed(
    store: ReadingStore,
    stationId: string,
    startMs: number,
  ): Promise<SarimaSeed | undefined> {
    const fields = this.#engine.sarimaFields;
    if (fields.length === 0) return undefined;
    let readings: CleanReading[] = [];
    for (let from = startMs - SEED_BLOCK_MS;; from -= SEED_BLOCK_MS) {
      const block = await store.readings({
        station_id: stationId,
        from_ms: from,
        to_ms: from + SEED_BLOCK_MS,
      });
      readings = block.concat(readings);
      const { seed, rooted } = sarimaSeed(readings, fields, startMs);
      if (rooted) return seed ?? undefined;
      const earlier = await store.readings({ station_id: stationId, to_ms: from, limit: 1 });
      if (earlier.length === 0) return seed ?? undefined;
    }
  }

  #raise(list: readonly Alert[] | void, out: ChunkOutput): void {
    if (!list) return;
    for (const a of list) {
      out.stored.alerts.push(a);
      out.alerts.push({ key: a.station_id ?? "pipeline", value: JSON.stringify(a) });
    }
  }

  #forecast(reading: CleanReading, source: SourcePosition, nowMs: number, out: ChunkOutput): void {
    const raise = (list: readonly Alert[] | void) => this.#raise(list, out);
    out.counts.readings++;
    for (const o of this.#observers) raise(o.observe(reading, nowMs));
    const made = this.#engine.process(reading, source);
    for (const f of made.forecasts) if (f.baseline) out.counts.baseline_forecasts++;
    if (made.forecasts.length > 0) {
      // one record per reading: every target and horizon, issued now
      out.forecasts.push({
        key: reading.station_id,
        value: forecastSetJson(made.forecasts, this.#issued.now()),
      });
      out.counts.forecasts += made.forecasts.length;
    }
    for (const e of made.estimates) {
      out.estimates.push({ key: e.station_id, value: estimateJson(e) });
    }
    if (this.#store !== null) {
      out.stored.forecasts.push(...made.forecasts);
      out.stored.estimates.push(...made.estimates);
    }
    for (const o of this.#observers) raise(o.forecasts(made.forecasts, nowMs));
  }
}

/** Awaits `work`, calling `heartbeat` every second meanwhile. */
async function waitBeating(work: Promise<void>, heartbeat?: () => Promise<void>): Promise<void> {
  let done = false;
  const finished = work.finally(() => (done = true));
  while (!done) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([finished, new Promise((r) => (timer = setTimeout(r, HEARTBEAT_MS)))]);
    clearTimeout(timer);
    if (!done) await heartbeat?.();
  }
  await finished;
}

/** How often a chunk waiting for a refit heartbeats (the group's heartbeat interval is 1 s). */
const HEARTBEAT_MS = 1000;

/** The wall clock as ISO text, formatted once per millisecond. */
class IssueClock {
  #ms = NaN;
  #text = "";
  now(): string {
    const ms = Date.now();
    if (ms !== this.#ms) {
      this.#ms = ms;
      this.#text = new Date(ms).toISOString();
    }
    return this.#text;
  }
}
