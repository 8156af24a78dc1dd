/**
 * The forecaster on Kafka: a consumer group (`airq-forecaster`) on the raw
 * topic with manual offsets, the consumer's own validation, and one
 * transactional producer per raw partition (its transactional id names the
 * partition). One Kafka transaction per chunk of a partition's batch holds
 * the chunk's forecast sets (one record per reading with every target and
 * horizon: lib/records/forecast.ts), its estimates and the partition's
 * consumed offset (`sendOffsets`), so after a crash (kill -9 included) a
 * chunk is either entirely published and consumed, or not at all and re-read:
 * with read_committed readers, exactly one forecast set per reading. Several forecasters may share the group: the new owner of a
 * partition fences the old one's producer.
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
  Partitioners,
  type Producer,
  SupervisedMember,
  type Transaction,
  withAdmin,
} from "../kafka/mod.ts";
import { type QualityRules, validateMessage } from "../quality/mod.ts";
import type {
  Alert,
  CleanReading,
  EstimateRecord,
  ForecastRecord,
  SourcePosition,
} from "../records/mod.ts";
import type { ReadingStore, Snapshot } from "../storage/mod.ts";
import { HISTORY_H, HOUR_MS } from "../features/mod.ts";
import type { RealtimeForecaster } from "./engine.ts";
import { estimateJson, forecastSetJson } from "./serialize.ts";
import { lapTimer, roundedTimes } from "../timing.ts";

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
   * Most partitions' chunks in flight at once, from processing to commit:
   * bounds memory while the partitions' transactions overlap (default 2).
   */
  maxConcurrentTransactions?: number | undefined;
  /** How often the monitoring snapshot is stored, at most (default 1000 ms). */
  snapshotEveryMs?: number | undefined;
  exitWhenIdleMs?: number | undefined;
  signal: AbortSignal;
  /** Fault injection for the crash drill: called after the sends, before the commit. */
  beforeCommit?: (() => void) | undefined;
}

/** Something that watches readings and the forecasts made for them, and may raise alerts. */
export interface ForecastObserver {
  /** A reading, before its own forecasts are made (matured forecasts can be scored). */
  observe(reading: CleanReading, nowMs: number): readonly Alert[];
  /** The forecasts just made for a reading. */
  forecasts(records: readonly ForecastRecord[], nowMs: number): readonly Alert[] | void;
  /** Warm start of one station from the store, before its first reading in this process. */
  warm?(
    stationId: string,
    history: readonly CleanReading[],
    forecasts: readonly ForecastRecord[],
  ): void;
  /** Forgets all state (the uncommitted batch will be read again). */
  reset(): void;
  /** A JSON-serializable state, stored as the named snapshot `snapshotName`. */
  snapshot?(): unknown;
  /** Name of the stored snapshot. */
  readonly snapshotName?: string;
}

/** Warm start: the feature history of a station, and its forecasts still waiting for their actual value. */
const WARM_HISTORY_MS = HISTORY_H * HOUR_MS;
const WARM_FORECASTS_MS = 24 * HOUR_MS;

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

/** Consumes until aborted or idle, replacing crashed group members; never leaves a connection open. */
export async function runForecaster(options: ForecasterOptions): Promise<ForecasterSummary> {
  const { config, engine } = options;
  const kafka = createKafka(options.kafka, { clientId: `${options.kafka.clientId}-forecaster` });
  /**
   * One transactional producer per raw partition, with a transactional id
   * derived from the partition (`<transactionalId>.<partition>`): whichever
   * group member owns the partition, after a restart or a rebalance, uses the
   * same id, so its `initTransactions` aborts the previous owner's open
   * transaction and fences that producer. This is what lets several
   * forecasters share a group (kafkajs 2.2.4's `sendOffsets` does not send the
   * group generation, so a per-process id would not fence a zombie).
   */
  const producers = new Map<number, Promise<Producer>>();
  const producerFor = (partition: number): Promise<Producer> => {
    let ready = producers.get(partition);
    if (ready === undefined) {
      const producer = kafka.producer({
        transactionalId: `${options.transactionalId}.${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: 30_000,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      // connect = initTransactions: fences and aborts a predecessor's open transaction
      ready = producer.connect().then(() => producer);
      ready.catch(() => producers.delete(partition));
      producers.set(partition, ready);
    }
    return ready;
  };
  const closeProducer = (partition: number): Promise<void> => {
    const ready = producers.get(partition);
    producers.delete(partition);
    return ready === undefined
      ? Promise.resolve()
      : ready.then((p) => p.disconnect()).catch(() => {});
  };
  const stats = {
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
  const time_ms: ForecasterSummary["time_ms"] = {
    process: 0,
    store: 0,
    send: 0,
    offsets: 0,
    commit: 0,
  };
  const observers = options.observers ?? [];
  const store = options.store ?? null;
  const maxBytesPerSend = options.maxBytesPerSend ?? 800_000;
  const snapshotEveryMs = options.snapshotEveryMs ?? 1000;
  const maxReadingsPerTransaction = options.maxReadingsPerTransaction ?? 500;
  const slots = new Slots(options.maxConcurrentTransactions ?? 2);
  const issuedAt = new IssueClock();
  let lastSnapshotMs = 0;
  const resetAll = () => {
    engine.reset();
    for (const o of observers) o.reset();
  };
  /** Gives stations new to this process their stored history (before `firstMs`). */
  const warmStart = async (firstMs: Map<string, number>) => {
    if (store === null) return;
    for (const [stationId, t] of firstMs) {
      if (engine.knows(stationId)) continue;
      const history = await store.readings({
        station_id: stationId,
        from_ms: t - WARM_HISTORY_MS,
        to_ms: t,
      });
      const past = await store.forecasts({
        station_id: stationId,
        from_ms: t - WARM_FORECASTS_MS,
        to_ms: t,
      });
      const taken = engine.warm(stationId, history);
      for (const o of observers) o.warm?.(stationId, history, past);
      if (taken > 0) {
        stats.warm_started_stations++;
        stats.warm_start_readings += taken;
      }
    }
  };
  /** Sends every topic's messages in requests of at most `maxBytesPerSend` bytes of values. */
  const sendAll = async (
    transaction: Transaction,
    byTopic: readonly { topic: string; messages: readonly Message[] }[],
  ) => {
    let request: { topic: string; messages: Message[] }[] = [];
    let bytes = 0;
    for (const { topic, messages } of byTopic) {
      let current: Message[] = [];
      for (const m of messages) {
        const size = 64 + (m.value?.length ?? 0); // chars ~ bytes: values are mostly ASCII JSON
        if (bytes + size > maxBytesPerSend && bytes > 0) {
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
  };
  const t0 = performance.now();
  let lastActivity = performance.now();
  let joined = false;
  let finish!: (o: ForecasterSummary["outcome"]) => void;
  const finished = new Promise<ForecasterSummary["outcome"]>((resolve) => (finish = resolve));

  let storeQueue: Promise<unknown> = Promise.resolve();
  /** One store write at a time (the partitions' transactions run concurrently). */
  const writeStore = (work: Work): Promise<void> => {
    const next = storeQueue.then(() => writeStoreNow(work));
    storeQueue = next.catch(() => {});
    return next;
  };
  const writeStoreNow = async (work: Work) => {
    if (store === null) return;
    const nowMs = Date.now();
    const snapshots: Snapshot[] = [];
    if (nowMs - lastSnapshotMs >= snapshotEveryMs) {
      lastSnapshotMs = nowMs;
      for (const o of observers) {
        if (o.snapshot && o.snapshotName) {
          snapshots.push({ name: o.snapshotName, value: o.snapshot(), updated_at_ms: nowMs });
        }
      }
    }
    await store.writeBatch({
      readings: [],
      deadLetters: [],
      ...work.stored,
      snapshots,
    });
  };
  /** What one partition's chunk puts into its transaction. */
  interface Work {
    topic: string;
    partition: number;
    next: string;
    forecasts: Message[];
    estimates: Message[];
    alerts: Message[];
    stored: { forecasts: ForecastRecord[]; estimates: EstimateRecord[]; alerts: Alert[] };
  }
  /**
   * One transaction per chunk, on the producer of the chunk's partition: the
   * records, the store write and the partition's next offset. The partitions
   * of a fetch commit concurrently, each on its own producer. A failure aborts
   * the transaction, drops that producer (a fenced one cannot be used again),
   * resets the state and fails the batch: its offset was never resolved, so
   * kafkajs (or a fresh member) reads it again from the committed offset.
   */
  const commit = async (work: Work) => {
    let transaction: Transaction | null = null;
    try {
      const producer = await producerFor(work.partition);
      transaction = await producer.transaction();
      const lap = lapTimer(time_ms);
      const sending = sendAll(transaction, [
        { topic: options.forecastsTopic, messages: work.forecasts },
        { topic: options.estimatesTopic, messages: work.estimates },
        ...(options.alertsTopic === null
          ? []
          : [{ topic: options.alertsTopic, messages: work.alerts }]),
      ]);
      sending.catch(() => {}); // awaited below; a store failure must not leave it unobserved
      // the (synchronous) SQLite write runs while the first request is on the wire; both are
      // done before the commit: a crash in between re-makes and replaces the same stored ids
      lap("send"); // encoding the first request
      await writeStore(work);
      lap("store");
      await sending;
      lap("send");
      await transaction.sendOffsets({
        consumerGroupId: options.groupId,
        topics: [{
          topic: work.topic,
          partitions: [{ partition: work.partition, offset: work.next }],
        }],
      });
      lap("offsets");
      options.beforeCommit?.();
      await transaction.commit();
      lap("commit");
      stats.transactions++;
    } catch (error) {
      stats.aborted_transactions++;
      await transaction?.abort().catch(() => {});
      await closeProducer(work.partition);
      // every uncommitted batch will be read again: forget the history they fed in
      resetAll();
      throw error;
    }
  };

  const handleChunk = async (
    payload: EachBatchPayload,
    messages: EachBatchPayload["batch"]["messages"],
  ) => {
    const { batch } = payload;
    if (messages.length === 0) return;
    const last = messages[messages.length - 1]!.offset;
    const started = lastActivity = performance.now();
    const forecasts: Message[] = [];
    const estimates: Message[] = [];
    const alerts: Message[] = [];
    const stored: { forecasts: ForecastRecord[]; estimates: EstimateRecord[]; alerts: Alert[] } = {
      forecasts: [],
      estimates: [],
      alerts: [],
    };
    let readings = 0;
    let invalid = 0;
    let baseline = 0;
    let setForecasts = 0;
    const nowMs = Date.now();
    const valid: { reading: CleanReading; source: SourcePosition }[] = [];
    const firstMs = new Map<string, number>();
    for (const message of messages) {
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
      const r = result.reading;
      if (!firstMs.has(r.station_id)) firstMs.set(r.station_id, r.ts_utc_ms);
      valid.push({ reading: r, source });
    }
    await warmStart(firstMs);
    const raise = (list: readonly Alert[] | void) => {
      if (!list) return;
      for (const a of list) {
        stored.alerts.push(a);
        alerts.push({ key: a.station_id ?? "pipeline", value: JSON.stringify(a) });
      }
    };
    for (const { reading, source } of valid) {
      readings++;
      for (const o of observers) raise(o.observe(reading, nowMs));
      const out = engine.process(reading, source);
      for (const f of out.forecasts) if (f.baseline) baseline++;
      if (out.forecasts.length > 0) {
        // one record per reading: every target and horizon, issued now
        forecasts.push({
          key: reading.station_id,
          value: forecastSetJson(out.forecasts, issuedAt.now()),
        });
        setForecasts += out.forecasts.length;
      }
      for (const e of out.estimates) {
        estimates.push({ key: e.station_id, value: estimateJson(e) });
      }
      if (store !== null) {
        stored.forecasts.push(...out.forecasts);
        stored.estimates.push(...out.estimates);
      }
      for (const o of observers) raise(o.forecasts(out.forecasts, nowMs));
    }
    time_ms.process += performance.now() - started;
    await commit({
      topic: batch.topic,
      partition: batch.partition,
      next: (BigInt(last) + 1n).toString(),
      forecasts,
      estimates,
      alerts,
      stored,
    });
    payload.resolveOffset(last);
    stats.consumed += messages.length;
    stats.readings += readings;
    stats.invalid += invalid;
    stats.forecast_sets += forecasts.length;
    stats.forecasts += setForecasts;
    stats.baseline_forecasts += baseline;
    stats.estimates += estimates.length;
    stats.alerts += alerts.length;
    await payload.heartbeat();
  };

  /**
   * A fetched batch in chunks of at most `maxReadingsPerTransaction`: each
   * chunk is committed (and its offset resolved) before the next is processed,
   * which bounds the records held in memory by one transaction.
   */
  const handleBatch = async (payload: EachBatchPayload) => {
    const { messages } = payload.batch;
    for (let i = 0; i < messages.length; i += maxReadingsPerTransaction) {
      await slots.acquire();
      try {
        if (!payload.isRunning() || payload.isStale()) return;
        await handleChunk(payload, messages.slice(i, i + maxReadingsPerTransaction));
      } finally {
        slots.release();
      }
    }
  };

  const member = new SupervisedMember({
    kafka,
    name: "forecaster",
    topic: options.rawTopic,
    consumer: {
      groupId: options.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      maxBytesPerPartition: options.maxBytesPerPartition ?? config.maxBytesPerPartition,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? config.maxWaitTimeMs,
      readUncommitted: false,
    },
    run: {
      autoCommit: false,
      eachBatchAutoResolve: false,
      // every partition of a fetch at once, each committing on its own producer
      partitionsConsumedConcurrently: 64,
      eachBatch: handleBatch,
    },
    onJoin: (joinedGroup) => {
      joined = true;
      lastActivity = performance.now();
      log.info("Joined group {groupId}; partitions {assignment}", {
        groupId: joinedGroup.groupId,
        assignment: JSON.stringify(joinedGroup.memberAssignment),
      });
      // a rebalance: partitions may have moved to or from another forecaster. Forget every
      // station (the next batch of each warm-starts from the store), close the producers of
      // partitions given away, and open the others' now: that fences their previous owner
      const assigned = new Set(assignedPartitions(joinedGroup.memberAssignment, options.rawTopic));
      resetAll();
      for (const partition of [...producers.keys()]) {
        if (!assigned.has(partition)) void closeProducer(partition);
      }
      for (const partition of assigned) producerFor(partition).catch(() => {});
    },
    // a fresh member re-reads uncommitted batches: forget the history they fed in
    onRestart: resetAll,
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
    await member.start();
    if (options.signal.aborted) finish("stopped");
    outcome = await finished;
  } finally {
    clearInterval(statsTimer);
    clearInterval(idleTimer);
    options.signal.removeEventListener("abort", onAbort);
    await member.stop();
    // the last word of the monitors (the periodic snapshot may be up to a second old)
    const snapshots: Snapshot[] = observers.flatMap((o) =>
      o.snapshot && o.snapshotName
        ? [{ name: o.snapshotName, value: o.snapshot(), updated_at_ms: Date.now() }]
        : []
    );
    if (store !== null && snapshots.length > 0 && stats.transactions > 0) {
      await store.writeBatch({ readings: [], deadLetters: [], snapshots }).catch((error) =>
        log.error("Storing the last monitoring snapshot failed: {error}", { error: String(error) })
      );
    }
    await Promise.all([...producers.keys()].map(closeProducer));
  }
  return {
    ...stats,
    time_ms: roundedTimes(time_ms),
    duration_s: Math.round(performance.now() - t0) / 1000,
    forecasts_per_s: rate(),
    outcome,
  };
}

/** The partitions of `topic` in a kafkajs GROUP_JOIN member assignment (`{ topic: [partitions] }`). */
function assignedPartitions(memberAssignment: unknown, topic: string): number[] {
  if (typeof memberAssignment !== "object" || memberAssignment === null) return [];
  const partitions = (memberAssignment as Record<string, unknown>)[topic];
  return Array.isArray(partitions) ? partitions.filter((p) => Number.isInteger(p)) : [];
}

/** A counting semaphore: at most `size` holders at once, the others wait in order. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free++;
  }
}
