/**
 * The validating consumer, a handler on the shared stream loop
 * (lib/kafka/stream.ts): a consumer group on the raw topic with manual
 * offsets. For every batch (one partition's messages): validate and clean each
 * message, write the clean readings and the dead letters to the store in one
 * transaction, publish the dead letters (original bytes + reason) to the
 * dead-letter topic, and only then commit the batch's offsets. A crash at any
 * point redelivers the uncommitted batch, and the store's idempotent upsert
 * (keyed by station and time) makes the replay harmless: every reading is
 * stored exactly once.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { ConsumerConfig, KafkaConfig, TopicConfig } from "../config/mod.ts";
import {
  batchHeartbeat,
  commitBatchOffset,
  createKafka,
  deadLetterMessage,
  type EachBatchPayload,
  idempotentProducer,
  ledgerOf,
  type Producer,
  runStream,
  sendComplete,
} from "../kafka/mod.ts";
import { QualityMonitor, type QualityRules, validateMessage } from "../quality/mod.ts";
import type { Alert, CleanReading, DeadLetter } from "../records/mod.ts";
import type { ReadingStore } from "../storage/mod.ts";
import { lapTimer, roundedTimes } from "../timing.ts";
import { type Metrics, processMetrics } from "../metrics/mod.ts";

const log = getLogger(["airq", "consumer"]);

/** Everything `runConsumer` needs. */
export interface ConsumeOptions {
  kafka: KafkaConfig;
  config: ConsumerConfig;
  groupId: string;
  rawTopic: string;
  deadLetterTopic: string;
  alertsTopic: string | null;
  /** Topics to create if missing (the raw, dead-letter and alerts topics). */
  topics: readonly TopicConfig[];
  store: ReadingStore;
  rules: QualityRules;
  /** Exit once this many ms pass without a new message (after joining the group). */
  exitWhenIdleMs?: number | undefined;
  /** Aborting stops the consumer after the batch in progress (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** Wall clock (injected for tests). */
  now?: () => number;
  /** Where the counters go (default: this process's, served on /metrics). */
  metrics?: Metrics | undefined;
}

// What a consumer run reports: its one schema is lib/records/summary.ts.
export type { ConsumeStats, ConsumeSummary } from "../records/summary.ts";
import type { ConsumeStats, ConsumeSummary } from "../records/summary.ts";

/** Consumes until aborted or idle (`exitWhenIdleMs`), replacing crashed group members; never leaves a connection open. */
export async function runConsumer(options: ConsumeOptions): Promise<ConsumeSummary> {
  const { config } = options;
  const kafka = createKafka(options.kafka, { clientId: `${options.kafka.clientId}-consumer` });
  const metrics = options.metrics ?? processMetrics;
  const run: ConsumerRun = {
    options,
    now: options.now ?? Date.now,
    // dead letters keep their key, which may be null: a retry must not move them (idempotent.ts)
    producer: idempotentProducer(kafka),
    monitor: new QualityMonitor(options.rules.config.thresholds),
    stats: newStats(),
    lagByPartition: new Map(),
    counters: metrics.consumer,
  };
  const { now, producer, monitor, stats } = run;
  const t0 = performance.now();
  let outcome: ConsumeSummary["outcome"] = "stopped";
  const publishAlerts = (alerts: Alert[]) => publishAlertsOf(run, alerts);
  const handleBatch = (payload: EachBatchPayload) => handleBatchOf(run, payload);

  const rate = () => Math.round(stats.consumed / Math.max(1e-9, (performance.now() - t0) / 1000));
  // one evaluation at a time: a send still retrying (a broker restart) is not joined by the
  // next tick's, so the alerts' partitions get one send at a time (lib/kafka/send_messages.ts)
  let evaluating: Promise<void> | null = null;
  const evaluate = () => {
    if (evaluating !== null) return;
    evaluating = publishAlerts(monitor.evaluate(now()))
      .catch((error) => log.error("Publishing alerts failed: {error}", { error: String(error) }))
      .finally(() => (evaluating = null));
  };
  try {
    await producer.connect();
    const run = await runStream({
      kafka,
      name: "consumer",
      topic: options.rawTopic,
      group: {
        groupId: options.groupId,
        sessionTimeoutMs: config.sessionTimeoutMs,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        maxBytesPerPartition: config.maxBytesPerPartition,
        maxWaitTimeMs: config.maxWaitTimeMs,
      },
      ensure: options.topics,
      partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
      eachBatch: handleBatch,
      exitWhenIdleMs: options.exitWhenIdleMs,
      statsIntervalMs: config.statsIntervalMs,
      onStats: () =>
        log.info(
          "consumed {consumed}, stored {stored}, duplicates {duplicates}, dead letters {dead_letters}, lag {lag}, {rate}/s",
          { ...stats, rate: rate() },
        ),
      timers: [{ everyMs: config.evaluateIntervalMs, run: evaluate }],
      signal: options.signal,
      metrics,
    });
    outcome = run.outcome;
  } finally {
    try {
      await evaluating;
      await publishAlerts(monitor.evaluate(now()));
    } catch (error) {
      log.error("Publishing the last alerts failed: {error}", { error: String(error) });
    }
    await producer.disconnect().catch(() => {});
  }
  const duration = (performance.now() - t0) / 1000;
  return {
    ...stats,
    time_ms: roundedTimes(stats.time_ms),
    duration_s: Math.round(duration * 1000) / 1000,
    rate_per_s: rate(),
    outcome,
  };
}

/** What one consumer run's batches share. */
interface ConsumerRun {
  options: ConsumeOptions;
  now: () => number;
  producer: Producer;
  monitor: QualityMonitor;
  stats: ConsumeStats;
  lagByPartition: Map<number, number>;
  counters: Metrics["consumer"];
}

/** Every count at zero. */
function newStats(): ConsumeStats {
  return {
    consumed: 0,
    stored: 0,
    duplicates: 0,
    dead_letters: 0,
    batches: 0,
    time_ms: { validate: 0, store: 0, dead_letter_publish: 0, commit: 0, monitor: 0 },
    commits: 0,
    alerts: 0,
    lag: null,
  };
}

/** Logs the data-quality alerts and publishes them to the alerts topic (if any). */
async function publishAlertsOf(run: ConsumerRun, alerts: Alert[]): Promise<void> {
  if (alerts.length === 0) return;
  run.stats.alerts += alerts.length;
  run.counters.alerts.inc({ source: "quality" }, alerts.length);
  for (const a of alerts) {
    const level = a.state === "resolved" || a.severity === "info" ? "info" : "warn";
    log[level]("alert {kind} {state} {station_id} {field}: {reason}", { ...a });
  }
  if (run.options.alertsTopic === null) return;
  // every partition checked for (lib/kafka/idempotent.ts says why)
  await sendComplete(run.producer, ledgerOf(run.producer), [{
    topic: run.options.alertsTopic,
    messages: alerts.map((a) => ({ key: a.station_id ?? "pipeline", value: JSON.stringify(a) })),
  }]);
}

/**
 * One fetched batch: validate, store (one transaction), dead-letter to their
 * topic, and only then commit the offsets of what is stored.
 */
async function handleBatchOf(run: ConsumerRun, payload: EachBatchPayload): Promise<void> {
  const { batch } = payload;
  if (batch.messages.length === 0) return;
  const nowMs = run.now();
  const lap = lapTimer(run.stats.time_ms);
  const { readings, deadLetters } = validateBatch(batch, nowMs, run.options.rules);
  lap("validate");
  // 1. durable write (one transaction)
  const written = await run.options.store.writeBatch({ readings, deadLetters });
  lap("store");
  // 2. dead letters to their topic, original bytes + reason in headers
  if (deadLetters.length > 0) {
    await sendComplete(run.producer, ledgerOf(run.producer), [
      { topic: run.options.deadLetterTopic, messages: deadLetters.map(deadLetterMessage) },
    ]);
  }
  lap("dead_letter_publish");
  // 3. only now: commit the offsets of what is stored
  const next = (BigInt(batch.lastOffset()) + 1n).toString();
  // once, to the coordinator of now: a dead one makes the member rejoin (lib/kafka/commit.ts)
  await commitBatchOffset(payload, next);
  payload.resolveOffset(batch.lastOffset());
  lap("commit");
  countBatch(run, batch, written, readings, deadLetters, lap);
  await batchHeartbeat(payload);
}

/** Each message validated: the clean readings, and the rest as dead letters (never a throw). */
function validateBatch(
  batch: EachBatchPayload["batch"],
  nowMs: number,
  rules: ConsumeOptions["rules"],
): { readings: CleanReading[]; deadLetters: DeadLetter[] } {
  const readings: CleanReading[] = [];
  const deadLetters: DeadLetter[] = [];
  const rejectedAt = new Date(nowMs).toISOString();
  for (const message of batch.messages) {
    const source = { topic: batch.topic, partition: batch.partition, offset: message.offset };
    const key = message.key === null ? null : message.key.toString();
    let result;
    try {
      result = validateMessage(message.value, { source, key, now: nowMs }, rules);
    } catch (error) {
      // validation must never take the consumer down: an unexpected failure is a dead letter too
      result = {
        ok: false as const,
        deadLetter: {
          source,
          key,
          reason: "internal_error" as const,
          detail: `validation threw: ${error instanceof Error ? error.message : String(error)}`,
          original: message.value,
        },
      };
    }
    if (result.ok) readings.push(result.reading);
    else deadLetters.push({ ...result.deadLetter, rejected_at: rejectedAt });
  }
  return { readings, deadLetters };
}

/** A stored batch's counts, on the summary, /metrics and the quality monitor. */
function countBatch(
  run: ConsumerRun,
  batch: EachBatchPayload["batch"],
  written: { inserted: number; duplicates: number },
  readings: CleanReading[],
  deadLetters: DeadLetter[],
  lap: (phase: keyof ConsumeStats["time_ms"]) => void,
): void {
  run.stats.commits++;
  run.stats.batches++;
  run.stats.consumed += batch.messages.length;
  run.stats.stored += written.inserted;
  run.stats.duplicates += written.duplicates;
  run.stats.dead_letters += deadLetters.length;
  run.counters.stored.inc(written.inserted);
  run.counters.duplicates.inc(written.duplicates);
  if (deadLetters.length > 0) {
    run.counters.deadLetters.inc(deadLetters.length);
    for (const d of deadLetters) run.counters.validationFailures.inc({ reason: d.reason });
  }
  for (const r of readings) run.monitor.observe(r);
  lap("monitor");
  for (const d of deadLetters) run.monitor.observeDeadLetter(d.reason);
  run.lagByPartition.set(batch.partition, Number(batch.offsetLag()));
  run.stats.lag = [...run.lagByPartition.values()].reduce((a, b) => a + b, 0);
  run.monitor.observeLag(run.stats.lag);
}
