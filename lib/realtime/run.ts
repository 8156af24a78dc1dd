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
import { createKafka, type EachBatchPayload, ensureTopics, withAdmin } from "../kafka/mod.ts";
import { type QualityRules, validateMessage } from "../quality/mod.ts";
import type { Message } from "../kafka/mod.ts";
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
  outcome: "idle" | "stopped" | "crashed";
}

/** Consumes until aborted, idle or crashed; never leaves a connection open. */
export async function runForecaster(options: ForecasterOptions): Promise<ForecasterSummary> {
  const { config, engine } = options;
  const kafka = createKafka(options.kafka, { clientId: `${options.kafka.clientId}-forecaster` });
  const newConsumer = () =>
    kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      maxBytesPerPartition: config.maxBytesPerPartition,
      maxWaitTimeInMs: config.maxWaitTimeMs,
      readUncommitted: false,
      retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10 },
    });
  let consumer = newConsumer();
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
  let crashed = false;
  let stopping = false;
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

  const watch = (c: typeof consumer) => {
    c.on(c.events.GROUP_JOIN, (e) => {
      joined = true;
      lastActivity = performance.now();
      log.info("Joined group {groupId}; partitions {assignment}", {
        groupId: e.payload.groupId,
        assignment: JSON.stringify(e.payload.memberAssignment),
      });
    });
    c.on(c.events.CRASH, (e) => {
      log.error("Forecaster consumer crashed: {error} (restart: {restart})", {
        error: String(e.payload.error),
        restart: e.payload.restart,
      });
      if (!e.payload.restart && !stopping) crashed = true;
    });
  };
  watch(consumer);

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
    const startMember = async () => {
      await consumer.connect();
      await consumer.subscribe({ topic: options.rawTopic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1, // one producer, one open transaction at a time
        eachBatch: handleBatch,
      });
    };
    await startMember();
    let backoff = 1000;
    let restartTimer: ReturnType<typeof setTimeout> | null = null;
    const supervisor = setInterval(() => {
      if (!crashed || stopping) return;
      crashed = false;
      const old = consumer;
      log.warn("Starting a new group member in {backoff} ms after a crash", { backoff });
      restartTimer = setTimeout(async () => {
        restartTimer = null;
        if (stopping) return;
        await old.disconnect().catch(() => {});
        engine.reset();
        consumer = newConsumer();
        watch(consumer);
        try {
          await startMember();
          backoff = 1000;
        } catch (error) {
          log.error("Restarting the forecaster consumer failed: {error}", { error: String(error) });
          backoff = Math.min(30_000, backoff * 2);
          crashed = true;
        }
      }, backoff);
    }, 250);
    finished.finally(() => {
      clearInterval(supervisor);
      if (restartTimer !== null) clearTimeout(restartTimer);
    });
    if (options.signal.aborted) finish("stopped");
    outcome = await finished;
  } finally {
    stopping = true;
    clearInterval(statsTimer);
    clearInterval(idleTimer);
    options.signal.removeEventListener("abort", onAbort);
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
  }
  return {
    ...stats,
    duration_s: Math.round(performance.now() - t0) / 1000,
    forecasts_per_s: rate(),
    outcome,
  };
}
