/**
 * The forecaster on Kafka: a consumer group (`airq-forecaster`) on the raw
 * topic with manual offsets, the consumer's own validation, and a
 * transactional producer. One Kafka transaction per fetched batch holds the
 * batch's forecasts, its estimates and the batch's consumed offsets
 * (`sendOffsets`), so after a crash (kill -9 included) a batch is either
 * entirely published and consumed, or not at all and re-read: with
 * read_committed readers, exactly one forecast per reading, target and horizon.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { ConsumerConfig, KafkaConfig, TopicConfig } from "../config/mod.ts";
import {
  createKafka,
  type EachBatchPayload,
  ensureTopics,
  type Message,
  SupervisedMember,
  withAdmin,
} from "../kafka/mod.ts";
import { type QualityRules, validateMessage } from "../quality/mod.ts";
import type { RealtimeForecaster } from "./engine.ts";

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
  rules: QualityRules;
  engine: RealtimeForecaster;
  exitWhenIdleMs?: number | undefined;
  signal: AbortSignal;
  /** Fault injection for the crash drill: called after the sends, before the commit. */
  beforeCommit?: (() => void) | undefined;
}

/** The final report of a forecaster run. */
export interface ForecasterSummary {
  consumed: number;
  readings: number;
  invalid: number;
  forecasts: number;
  baseline_forecasts: number;
  estimates: number;
  transactions: number;
  aborted_transactions: number;
  duration_s: number;
  forecasts_per_s: number;
  outcome: "idle" | "stopped";
}

/** Consumes until aborted or idle, replacing crashed group members; never leaves a connection open. */
export async function runForecaster(options: ForecasterOptions): Promise<ForecasterSummary> {
  const { config, engine } = options;
  const kafka = createKafka(options.kafka, { clientId: `${options.kafka.clientId}-forecaster` });
  const producer = kafka.producer({
    transactionalId: options.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 30_000,
  });
  const stats = {
    consumed: 0,
    readings: 0,
    invalid: 0,
    forecasts: 0,
    baseline_forecasts: 0,
    estimates: 0,
    transactions: 0,
    aborted_transactions: 0,
  };
  const t0 = performance.now();
  let lastActivity = performance.now();
  let joined = false;
  let finish!: (o: ForecasterSummary["outcome"]) => void;
  const finished = new Promise<ForecasterSummary["outcome"]>((resolve) => (finish = resolve));

  const handleBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    lastActivity = performance.now();
    const forecasts: Message[] = [];
    const estimates: Message[] = [];
    let readings = 0;
    let invalid = 0;
    let baseline = 0;
    const nowMs = Date.now();
    for (const message of batch.messages) {
      const source = { topic: batch.topic, partition: batch.partition, offset: message.offset };
      const key = message.key === null ? null : message.key.toString();
      let result;
      try {
        result = validateMessage(message.value, { source, key, now: nowMs }, options.rules);
      } catch {
        result = null; // the consumer dead-letters it; the forecaster only skips it
      }
      if (result === null || !result.ok) {
        invalid++;
        continue;
      }
      readings++;
      const out = engine.process(result.reading, source);
      for (const f of out.forecasts) {
        if (f.baseline) baseline++;
        forecasts.push({ key: f.station_id, value: JSON.stringify(f) });
      }
      for (const e of out.estimates) {
        estimates.push({ key: e.station_id, value: JSON.stringify(e) });
      }
    }
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    const transaction = await producer.transaction();
    try {
      if (forecasts.length > 0) {
        await transaction.send({ topic: options.forecastsTopic, messages: forecasts });
      }
      if (estimates.length > 0) {
        await transaction.send({ topic: options.estimatesTopic, messages: estimates });
      }
      await transaction.sendOffsets({
        consumerGroupId: options.groupId,
        topics: [{
          topic: batch.topic,
          partitions: [{ partition: batch.partition, offset: next }],
        }],
      });
      options.beforeCommit?.();
      await transaction.commit();
    } catch (error) {
      stats.aborted_transactions++;
      await transaction.abort().catch(() => {});
      // the batch will be read again: forget the history it already fed in
      engine.reset();
      throw error;
    }
    payload.resolveOffset(batch.lastOffset());
    stats.transactions++;
    stats.consumed += batch.messages.length;
    stats.readings += readings;
    stats.invalid += invalid;
    stats.forecasts += forecasts.length;
    stats.baseline_forecasts += baseline;
    stats.estimates += estimates.length;
    await payload.heartbeat();
  };

  const member = new SupervisedMember({
    kafka,
    name: "forecaster",
    topic: options.rawTopic,
    consumer: {
      groupId: options.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      maxBytesPerPartition: config.maxBytesPerPartition,
      maxWaitTimeInMs: config.maxWaitTimeMs,
      readUncommitted: false,
    },
    run: {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1, // one producer, one open transaction at a time
      eachBatch: handleBatch,
    },
    onJoin: (joinedGroup) => {
      joined = true;
      lastActivity = performance.now();
      log.info("Joined group {groupId}; partitions {assignment}", {
        groupId: joinedGroup.groupId,
        assignment: JSON.stringify(joinedGroup.memberAssignment),
      });
    },
    // a fresh member re-reads uncommitted batches: forget the history they fed in
    onRestart: () => engine.reset(),
  });

  const rate = () => Math.round(stats.forecasts / Math.max(1e-9, (performance.now() - t0) / 1000));
  const statsTimer = setInterval(() => {
    log.info(
      "readings {readings}, forecasts {forecasts} ({baseline_forecasts} baseline), estimates {estimates}, {rate} forecasts/s",
      { ...stats, rate: rate() },
    );
  }, config.statsIntervalMs);
  const idleTimer = setInterval(() => {
    if (
      options.exitWhenIdleMs !== undefined && joined &&
      performance.now() - lastActivity >= options.exitWhenIdleMs
    ) finish("idle");
  }, 100);
  const onAbort = () => finish("stopped");
  options.signal.addEventListener("abort", onAbort, { once: true });

  let outcome: ForecasterSummary["outcome"] = "stopped";
  try {
    await withAdmin(kafka, (admin) => ensureTopics(admin, options.topics));
    await producer.connect(); // initTransactions: fences and aborts a predecessor's open transaction
    await member.start();
    if (options.signal.aborted) finish("stopped");
    outcome = await finished;
  } finally {
    clearInterval(statsTimer);
    clearInterval(idleTimer);
    options.signal.removeEventListener("abort", onAbort);
    await member.stop();
    await producer.disconnect().catch(() => {});
  }
  return {
    ...stats,
    duration_s: Math.round(performance.now() - t0) / 1000,
    forecasts_per_s: rate(),
    outcome,
  };
}
