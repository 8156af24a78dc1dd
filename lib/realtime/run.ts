/**
 * The forecaster on Kafka: a handler on the shared stream loop
 * (lib/kafka/stream.ts) in its own consumer group (`airq-forecaster`) on the
 * raw topic, with one transactional producer per raw partition
 * (lib/kafka/transactions.ts); a chunk's records come from
 * {@linkcode ChunkProcessor} (./chunk.ts).
 *
 * One Kafka transaction per chunk of a partition's batch holds the chunk's
 * forecast sets (one record per reading with every target and horizon:
 * lib/records/forecast.ts), its estimates, its alerts and the partition's
 * consumed offset (`sendOffsets`), so after a crash (kill -9 included) a
 * chunk is either entirely published and consumed, or not at all and re-read:
 * with read_committed readers, exactly one forecast set per reading. Several
 * forecasters may share the group: a partition's new owner fences the old
 * one's producer.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { ConsumerConfig, KafkaConfig, TopicConfig } from "../config/mod.ts";
import {
  batchHeartbeat,
  createKafka,
  type EachBatchPayload,
  type Message,
  runStream,
  Slots,
  type Transaction,
  TransactionalProducers,
} from "../kafka/mod.ts";
import type { QualityRules } from "../quality/mod.ts";
import type { ReadingStore, Snapshot } from "../storage/mod.ts";
import type { RealtimeForecaster } from "./engine.ts";
import { type ChunkOutput, ChunkProcessor, type ForecastObserver } from "./chunk.ts";
import { roundedTimes } from "../timing.ts";
import { type ForecasterMetrics, type Metrics, processMetrics } from "../metrics/mod.ts";
import type { Retrainer } from "./retrainer.ts";

export type { ForecastObserver };

const log = getLogger(["airq", "forecaster"]);

/** Everything `runForecaster` needs. */
export interface ForecasterOptions {
  kafka: KafkaConfig;
  /** Fetch and session settings (the consumer's `config/consumer.json`). */
  config: ConsumerConfig;
  groupId: string;
  /** Stable across restarts: a restarted forecaster fences and aborts its predecessor's transaction. */
  transactionalId: string;
  rawTopic: string;
  forecastsTopic: string;
  estimatesTopic: string;
  /** Topics to create if missing. */
  topics: readonly TopicConfig[];
  /** Where alerts go (pollution exceedances, early warnings, drift); null = none published. */
  alertsTopic: string | null;
  rules: QualityRules;
  engine: RealtimeForecaster;
  /** Weekly refits at evaluate's boundaries (null: none). */
  retrainer?: Retrainer | null | undefined;
  /** Pollution alerts and model monitoring, fed every reading and its forecasts. */
  observers?: readonly ForecastObserver[] | undefined;
  /**
   * The store: warm start (a station's stored readings and forecasts before
   * its first reading in this process) and where forecasts, estimates, alerts
   * and the monitoring snapshot are written, before the Kafka commit.
   */
  store?: ReadingStore | null | undefined;
  /**
   * Most bytes of message values per produce request inside a transaction: a
   * partition's record batch must stay under the broker's `max.message.bytes`
   * (1 MiB by default). Default 800,000.
   */
  maxBytesPerSend?: number | undefined;
  /** Fetch size per partition (default: the consumer config's). */
  maxBytesPerPartition?: number | undefined;
  /** Fetch wait on a quiet topic (default: the consumer config's). */
  maxWaitTimeMs?: number | undefined;
  /** Most raw messages of one partition per transaction: bounds memory (default 500). */
  maxReadingsPerTransaction?: number | undefined;
  /**
   * Full chunks' worth of readings in flight at once, from processing to
   * commit (times `maxReadingsPerTransaction`): bounds memory while the
   * partitions' transactions overlap; smaller chunks share it (default 2).
   */
  maxConcurrentTransactions?: number | undefined;
  /** How often the monitoring snapshot is stored, at most (default 1000 ms). */
  snapshotEveryMs?: number | undefined;
  exitWhenIdleMs?: number | undefined;
  signal: AbortSignal;
  /** Retries of the transactional producers (first wait ms, count); default kafkajs's. */
  transactionRetry?: { initialRetryTime: number; retries: number } | undefined;
  /** Fault injection for the crash drill: called after the sends, before the commit. */
  beforeCommit?: (() => void) | undefined;
  /** Where the counters go (default: this process's, served on /metrics). */
  metrics?: Metrics | undefined;
}

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
   * Where the time went, ms summed over the run: validating, warm starts and
   * forecasting (`process`); then per transaction the store write (while the
   * first request is on the wire), the rest of sending the records,
   * `sendOffsets` and the commit.
   */
  time_ms: { process: number; store: number; send: number; offsets: number; commit: number };
  duration_s: number;
  forecasts_per_s: number;
  outcome: "idle" | "stopped";
}

/** Consumes until aborted or idle, replacing crashed group members; never leaves a connection open. */
export async function runForecaster(options: ForecasterOptions): Promise<ForecasterSummary> {
  const { config } = options;
  const kafka = createKafka(options.kafka, { clientId: `${options.kafka.clientId}-forecaster` });
  const producers = new TransactionalProducers({
    kafka,
    transactionalIdPrefix: options.transactionalId,
    groupId: options.groupId,
    topic: options.rawTopic,
    retry: options.transactionRetry,
  });
  const observers = options.observers ?? [];
  const store = options.store ?? null;
  const metrics = options.metrics ?? processMetrics;
  const counters = metrics.forecaster;
  const chunks = new ChunkProcessor({
    engine: options.engine,
    observers,
    store,
    rules: options.rules,
    retrainer: options.retrainer,
  });
  const stats = newStats();
  const time_ms: ForecasterSummary["time_ms"] = {
    process: 0,
    store: 0,
    send: 0,
    offsets: 0,
    commit: 0,
  };
  const maxBytesPerSend = options.maxBytesPerSend ?? 800_000;
  const maxReadingsPerTransaction = options.maxReadingsPerTransaction ?? 500;
  // memory is bounded by the readings in flight (processed, not yet committed), not by the number
  // of transactions: at a low rate the partitions' small chunks all commit at once (latency), in
  // a backlog `maxConcurrentTransactions` full chunks do
  const slots = new Slots(maxReadingsPerTransaction * (options.maxConcurrentTransactions ?? 2));
  const writer = new StoreWriter(store, observers, options.snapshotEveryMs ?? 1000);

  /**
   * One transaction per chunk, on the producer of the chunk's partition: the
   * records, the store write (while the first request is on the wire; both
   * are done before the commit, and a crash in between re-makes and replaces
   * the same stored ids) and the partition's next offset. A failure aborts
   * it, drops that producer, resets the state and fails the batch: its offset
   * was never resolved, so kafkajs (or a fresh member) reads it again.
   */
  const commit = async (partition: number, next: string, out: ChunkOutput) => {
    const sendAndStore = async (transaction: Transaction) => {
      const t0 = performance.now();
      const sending = sendAll(transaction, [
        { topic: options.forecastsTopic, messages: out.forecasts },
        { topic: options.estimatesTopic, messages: out.estimates },
        ...(options.alertsTopic === null
          ? []
          : [{ topic: options.alertsTopic, messages: out.alerts }]),
      ], maxBytesPerSend);
      sending.catch(() => {}); // awaited below; a store failure must not leave it unobserved
      const t1 = performance.now();
      await writer.write(out.stored);
      const t2 = performance.now();
      await sending;
      time_ms.send += (t1 - t0) + (performance.now() - t2);
      time_ms.store += t2 - t1;
    };
    try {
      const times = await producers.commit(partition, next, sendAndStore, options.beforeCommit);
      time_ms.offsets += times.offsets;
      time_ms.commit += times.commit;
      stats.transactions++;
      counters.transactions.inc({ outcome: "committed" });
    } catch (error) {
      stats.aborted_transactions++;
      counters.transactions.inc({ outcome: "aborted" });
      // every uncommitted batch will be read again: forget the history they fed in
      chunks.reset();
      throw error;
    }
  };

  /**
   * A fetched batch in chunks of at most `maxReadingsPerTransaction`: each
   * chunk is committed (and its offset resolved) before the next is
   * processed, which bounds the records held in memory by one transaction;
   * at most `maxConcurrentTransactions` full chunks' worth of readings are in
   * flight (more partitions at once when their chunks are small).
   */
  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    for (let i = 0; i < batch.messages.length; i += maxReadingsPerTransaction) {
      const messages = batch.messages.slice(i, i + maxReadingsPerTransaction);
      const taken = await slots.acquire(messages.length);
      try {
        if (!payload.isRunning() || payload.isStale()) return;
        const last = messages[messages.length - 1]!.offset;
        const t0 = performance.now();
        const out = await chunks.process(
          batch.topic,
          batch.partition,
          messages,
          () => batchHeartbeat(payload),
        );
        time_ms.process += performance.now() - t0;
        await commit(batch.partition, (BigInt(last) + 1n).toString(), out);
        payload.resolveOffset(last);
        addCounts(stats, out, messages.length);
        countCommitted(counters, out);
        await batchHeartbeat(payload);
      } finally {
        slots.release(taken);
      }
    }
  };

  const t0 = performance.now();
  const rate = () => Math.round(stats.forecasts / Math.max(1e-9, (performance.now() - t0) / 1000));
  let outcome: ForecasterSummary["outcome"] = "stopped";
  try {
    const run = await runStream({
      kafka,
      name: "forecaster",
      topic: options.rawTopic,
      group: {
        groupId: options.groupId,
        sessionTimeoutMs: config.sessionTimeoutMs,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        maxBytesPerPartition: options.maxBytesPerPartition ?? config.maxBytesPerPartition,
        maxWaitTimeMs: options.maxWaitTimeMs ?? config.maxWaitTimeMs,
        readCommitted: true,
      },
      ensure: options.topics,
      // every partition of a fetch at once, each committing on its own producer
      partitionsConsumedConcurrently: 64,
      eachBatch,
      // a rebalance: partitions may have moved to or from another forecaster. Forget every
      // station (the next batch of each warm-starts from the store), close the producers of
      // partitions given away, and open the others' now: that fences their previous owner
      onAssign: (partitions) => {
        chunks.reset();
        producers.assign(partitions);
      },
      // a fresh member re-reads uncommitted batches: forget the history they fed in
      onRestart: () => chunks.reset(),
      exitWhenIdleMs: options.exitWhenIdleMs,
      statsIntervalMs: config.statsIntervalMs,
      onStats: () =>
        log.info(
          "readings {readings}, forecasts {forecasts} ({baseline_forecasts} baseline), estimates {estimates}, {rate} forecasts/s",
          { ...stats, rate: rate() },
        ),
      signal: options.signal,
      metrics,
    });
    outcome = run.outcome;
  } finally {
    if (stats.transactions > 0) await writer.lastSnapshot();
    await producers.closeAll();
    await options.retrainer?.close();
  }
  return {
    ...stats,
    time_ms: roundedTimes(time_ms),
    duration_s: Math.round(performance.now() - t0) / 1000,
    forecasts_per_s: rate(),
    outcome,
  };
}

type Stats = Omit<ForecasterSummary, "time_ms" | "duration_s" | "forecasts_per_s" | "outcome">;

function newStats(): Stats {
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
  };
}

/** Adds a committed chunk's counts. */
function addCounts(stats: Stats, out: ChunkOutput, consumed: number): void {
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
function countCommitted(counters: ForecasterMetrics, out: ChunkOutput): void {
  counters.readings.inc(out.counts.readings);
  counters.invalid.inc(out.counts.invalid);
  counters.forecastSets.inc(out.forecasts.length);
  counters.forecasts.inc(out.counts.forecasts);
  counters.baselineForecasts.inc(out.counts.baseline_forecasts);
  counters.estimates.inc(out.estimates.length);
  if (out.alerts.length > 0) counters.alerts.inc({ source: "forecaster" }, out.alerts.length);
}

/** Sends every topic's messages in requests of at most `maxBytes` bytes of values. */
async function sendAll(
  transaction: Transaction,
  byTopic: readonly { topic: string; messages: readonly Message[] }[],
  maxBytes: number,
): Promise<void> {
  let request: { topic: string; messages: Message[] }[] = [];
  let bytes = 0;
  for (const { topic, messages } of byTopic) {
    let current: Message[] = [];
    for (const m of messages) {
      const size = 64 + (m.value?.length ?? 0); // chars ~ bytes: values are mostly ASCII JSON
      if (bytes + size > maxBytes && bytes > 0) {
        if (current.length > 0) request.push({ topic, messages: current });
        await transaction.sendBatch({ topicMessages: request });
        request = [];
        current = [];
        bytes = 0;
      }
      current.push(m);
      bytes += size;
    }
    if (current.length > 0) request.push({ topic, messages: current });
  }
  if (request.length > 0) await transaction.sendBatch({ topicMessages: request });
}

/**
 * The store side of the forecaster: one write at a time (the partitions'
 * transactions run concurrently), each with the observers' snapshots at most
 * every `snapshotEveryMs`; and the last snapshot at the end of the run.
 */
class StoreWriter {
  readonly #store: ReadingStore | null;
  readonly #observers: readonly ForecastObserver[];
  readonly #everyMs: number;
  #queue: Promise<unknown> = Promise.resolve();
  #lastSnapshotMs = 0;

  constructor(store: ReadingStore | null, observers: readonly ForecastObserver[], everyMs: number) {
    this.#store = store;
    this.#observers = observers;
    this.#everyMs = everyMs;
  }

  write(stored: ChunkOutput["stored"]): Promise<void> {
    const next = this.#queue.then(() => this.#writeNow(stored));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #writeNow(stored: ChunkOutput["stored"]): Promise<void> {
    if (this.#store === null) return;
    const nowMs = Date.now();
    let snapshots: Snapshot[] = [];
    if (nowMs - this.#lastSnapshotMs >= this.#everyMs) {
      this.#lastSnapshotMs = nowMs;
      snapshots = this.#snapshots(nowMs);
    }
    await this.#store.writeBatch({ readings: [], deadLetters: [], ...stored, snapshots });
  }

  /** The last word of the monitors (the periodic snapshot may be up to a second old). */
  async lastSnapshot(): Promise<void> {
    const snapshots = this.#snapshots(Date.now());
    if (this.#store === null || snapshots.length === 0) return;
    await this.#store.writeBatch({ readings: [], deadLetters: [], snapshots }).catch((error) =>
      log.error("Storing the last monitoring snapshot failed: {error}", { error: String(error) })
    );
  }

  #snapshots(nowMs: number): Snapshot[] {
    return this.#observers.flatMap((o) =>
      o.snapshot && o.snapshotName
        ? [{ name: o.snapshotName, value: o.snapshot(), updated_at_ms: nowMs }]
        : []
    );
  }
}
