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
  producedAtHeaderMs,
  runStream,
  Slots,
  TransactionalProducers,
  type TransactionFaults,
} from "../kafka/mod.ts";
import type { QualityRules } from "../quality/mod.ts";
import type { ReadingStore } from "../storage/mod.ts";
import type { RealtimeForecaster } from "./engine.ts";
import { ChunkProcessor, type ForecastObserver } from "./chunk.ts";
import { roundedTimes } from "../timing.ts";
import { type ForecasterMetrics, type Metrics, processMetrics } from "../metrics/mod.ts";
import type { Retrainer } from "./retrainer.ts";
import { commitChunk, type Committer, StoreWriter } from "./commit.ts";
import {
  addCounts,
  type ChunkStage,
  ChunkStages,
  countCommitted,
  type ForecasterSummary,
  newStats,
} from "./run_stats.ts";

export type { ForecasterSummary, ForecastObserver };

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
  /** Bytes a fetch waits for, at most `maxWaitTimeMs` (default 1: none). */
  minBytes?: number | undefined;
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
  /** Fault injection for the drills and tests: a crash before a commit, a lost answer after it. */
  faults?: TransactionFaults | undefined;
  /** Where the counters go (default: this process's, served on /metrics). */
  metrics?: Metrics | undefined;
}

/** Consumes until aborted or idle, replacing crashed group members; never leaves a connection open. */
export async function runForecaster(options: ForecasterOptions): Promise<ForecasterSummary> {
  const kafka = createKafka(options.kafka, { clientId: `${options.kafka.clientId}-forecaster` });
  const producers = new TransactionalProducers({
    kafka,
    transactionalIdPrefix: options.transactionalId,
    groupId: options.groupId,
    topic: options.rawTopic,
    retry: options.transactionRetry,
  });
  const metrics = options.metrics ?? processMetrics;
  const committer = newCommitter(options, producers, metrics.forecaster);
  const { stats, chunks } = committer;
  const t0 = performance.now();
  const rate = () => Math.round(stats.forecasts / Math.max(1e-9, (performance.now() - t0) / 1000));
  let outcome: ForecasterSummary["outcome"] = "stopped";
  try {
    const run = await runStream({
      kafka,
      name: "forecaster",
      topic: options.rawTopic,
      group: groupOptions(options),
      ensure: options.topics,
      // every partition of a fetch at once, each committing on its own producer
      partitionsConsumedConcurrently: 64,
      eachBatch: batchHandler(options, committer),
      // a rebalance: partitions may have moved to or from another forecaster. The engine
      // forgets every station (the next batch of each warm-starts from the store), the monitor
      // those of partitions given away; close the producers of partitions given away, and open
      // the others' now: that fences their previous owner
      onAssign: (partitions) => {
        chunks.rebalanced(partitions);
        producers.assign(partitions);
      },
      // a fresh member re-reads uncommitted batches: forget the history they fed in
      onRestart: () => chunks.reset(),
      exitWhenIdleMs: options.exitWhenIdleMs,
      statsIntervalMs: options.config.statsIntervalMs,
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
    if (stats.transactions > 0) await committer.writer.lastSnapshot();
    await producers.closeAll();
    await options.retrainer?.close();
  }
  return {
    ...stats,
    time_ms: roundedTimes(committer.timeMs),
    chunk_ms: committer.stages.summary(),
    duration_s: Math.round(performance.now() - t0) / 1000,
    forecasts_per_s: rate(),
    outcome,
    ...(options.retrainer
      ? { retraining: { mode: options.retrainer.mode, ...options.retrainer.counts } }
      : {}),
  };
}

/** The run's chunk processor, store writer, counts and timings, around its producers. */
function newCommitter(
  options: ForecasterOptions,
  producers: TransactionalProducers,
  counters: ForecasterMetrics,
): Committer {
  const observers = options.observers ?? [];
  const store = options.store ?? null;
  return {
    producers,
    writer: new StoreWriter(store, observers, options.snapshotEveryMs ?? 1000),
    forecastsTopic: options.forecastsTopic,
    estimatesTopic: options.estimatesTopic,
    alertsTopic: options.alertsTopic,
    maxBytesPerSend: options.maxBytesPerSend ?? 800_000,
    faults: options.faults ?? {},
    chunks: new ChunkProcessor({
      engine: options.engine,
      observers,
      store,
      rules: options.rules,
      retrainer: options.retrainer,
    }),
    stats: newStats(),
    timeMs: { process: 0, store: 0, send: 0, offsets: 0, commit: 0 },
    stages: new ChunkStages(),
    counters,
  };
}

/** The consumer group's settings: the consumer config's, unless the options override them. */
function groupOptions(options: ForecasterOptions) {
  const { config } = options;
  return {
    groupId: options.groupId,
    sessionTimeoutMs: config.sessionTimeoutMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    maxBytesPerPartition: options.maxBytesPerPartition ?? config.maxBytesPerPartition,
    maxWaitTimeMs: options.maxWaitTimeMs ?? config.maxWaitTimeMs,
    minBytes: options.minBytes,
    readCommitted: true,
  };
}

/**
 * A fetched batch in chunks of at most `maxReadingsPerTransaction`: each
 * chunk is committed (and its offset resolved) before the next is
 * processed, which bounds the records held in memory by one transaction;
 * at most `maxConcurrentTransactions` full chunks' worth of readings are in
 * flight (more partitions at once when their chunks are small).
 */
function batchHandler(
  options: ForecasterOptions,
  committer: Committer,
): (payload: EachBatchPayload) => Promise<void> {
  const { chunks, stats, timeMs, counters } = committer;
  const maxReadingsPerTransaction = options.maxReadingsPerTransaction ?? 500;
  // memory is bounded by the readings in flight (processed, not yet committed), not by the number
  // of transactions: at a low rate the partitions' small chunks all commit at once (latency), in
  // a backlog `maxConcurrentTransactions` full chunks do
  const slots = new Slots(maxReadingsPerTransaction * (options.maxConcurrentTransactions ?? 2));
  // one batch of a partition at a time, even across a rejoin (a stale batch may still be committing)
  const running = new Map<number, Promise<unknown>>();
  return async (payload) => {
    const { partition } = payload.batch;
    const arrived = performance.now();
    const arrivedMs = Date.now();
    const previous = running.get(partition) ?? Promise.resolve();
    const mine = previous.catch(() => {}).then(() => handle(payload, arrived, arrivedMs));
    running.set(partition, mine);
    try {
      await mine;
    } finally {
      if (running.get(partition) === mine) running.delete(partition);
    }
  };

  async function handle(
    payload: EachBatchPayload,
    arrived: number,
    arrivedMs: number,
  ): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
    const start = await skipCommitted(
      payload,
      await committer.producers.committedOffset(batch.partition),
    );
    stats.skipped_committed += start;
    for (let i = start; i < batch.messages.length; i += maxReadingsPerTransaction) {
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
        const t1 = performance.now();
        timeMs.process += t1 - t0;
        const steps = await commitChunk(
          committer,
          batch.partition,
          (BigInt(last) + 1n).toString(),
          out,
        );
        const fetch = arrivedMs - producedAtHeaderMs(messages[0]!);
        recordStages(committer, {
          fetch,
          queue: t0 - arrived,
          process: t1 - t0,
          ...steps,
          total: fetch + (performance.now() - arrived),
        });
        payload.resolveOffset(last);
        addCounts(stats, out, messages.length);
        countCommitted(counters, out);
        await batchHeartbeat(payload);
      } finally {
        slots.release(taken);
      }
    }
  }
}

/** A committed chunk's stages: into the summary's `chunk_ms` and onto /metrics. */
function recordStages(committer: Committer, chunkMs: Record<ChunkStage, number>): void {
  committer.stages.add(chunkMs);
  for (const [stage, ms] of Object.entries(chunkMs)) {
    if (Number.isFinite(ms)) committer.counters.chunkStageSeconds.observe({ stage }, ms / 1000);
  }
}

/**
 * How many of the batch's first messages a committed transaction already
 * consumed (offsets below the group's `committed` one, settled after a
 * fresh `initTransactions`: lib/kafka/transactions.ts). They are resolved,
 * not forecast again. The consumer's position can lag the group's offset
 * after a join (kafkajs reads offsets without `require_stable`) or after a
 * commit whose answer was lost.
 */
async function skipCommitted(payload: EachBatchPayload, committed: bigint | null): Promise<number> {
  const { batch } = payload;
  if (committed === null) return 0;
  let n = 0;
  while (n < batch.messages.length && BigInt(batch.messages[n]!.offset) < committed) n++;
  if (n > 0) {
    log.warn(
      "Partition {partition}: offsets {first}-{last} were already consumed by a committed transaction; not forecast again",
      {
        partition: batch.partition,
        first: batch.messages[0]!.offset,
        last: batch.messages[n - 1]!.offset,
      },
    );
    payload.resolveOffset(batch.messages[n - 1]!.offset);
    await batchHeartbeat(payload);
  } else if (BigInt(batch.messages[0]!.offset) > committed) {
    log.warn(
      "Partition {partition}: the batch starts at offset {first}, after the group's committed {committed}",
      {
        partition: batch.partition,
        first: batch.messages[0]!.offset,
        committed: String(committed),
      },
    );
  }
  return n;
}
