/**
 * The replay producer: streams the dataset through the replay (virtual
 * stations, faults), paces it in event time, and publishes each reading to the
 * raw topic keyed by station id, through the idempotent, batching publisher.
 * Each record's timestamp is the reading's event time (`ts`, CreateTime), not
 * the moment it was sent; the send time travels in the reading's
 * `produced_at`. Stops cleanly on an abort signal: what was handed to Kafka
 * gets a short grace period to be acknowledged, and the summary says what was
 * unconfirmed or not sent, even when the broker went away mid-replay.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { KafkaConfig, ProducerConfig, TopicConfig } from "../config/mod.ts";
import { readUciFile } from "../dataset/mod.ts";
import {
  type Abandoned,
  BatchPublisher,
  createKafka,
  ensureTopics,
  idempotentProducer,
  type Kafka,
  PRODUCED_AT_HEADER,
  type Producer,
  withAdmin,
} from "../kafka/mod.ts";
import { untilAborted } from "../stop.ts";
import {
  type FaultOptions,
  Pacer,
  replay,
  type ReplayEvent,
  type Speed,
  virtualStations,
} from "../replay/mod.ts";

const log = getLogger(["airq", "producer"]);

/** Everything `runProducer` needs. */
export interface ProduceOptions {
  kafka: KafkaConfig;
  topic: string;
  /** Topics to create if missing (at least the target topic's definition). */
  topics: readonly TopicConfig[];
  datasetPath: string;
  utcOffset: string;
  speed: Speed;
  stations: number;
  seed: number;
  limit?: number | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
  loop: boolean;
  faults: FaultOptions;
  batchSize: number;
  lingerMs: number;
  compression: ProducerConfig["compression"];
  retry: ProducerConfig["retry"];
  progressIntervalMs: number;
  /**
   * Aborting stops the replay (SIGINT/SIGTERM): nothing more is built, what
   * was handed over gets `flushGraceMs` to be acknowledged, the rest is
   * reported as unconfirmed or not sent. Waits blocked in kafkajs's retries
   * (topic creation, connecting, back-pressure) are abandoned at once.
   */
  signal: AbortSignal;
  /** After a stop signal, how long to wait for acknowledgements, ms (default 2000). */
  flushGraceMs?: number;
  /** Called every `progressIntervalMs` and once at the end. */
  onProgress?: (progress: Progress) => void;
}

/** Progress of a replay. */
export interface Progress {
  sent: number;
  /** Readings the replay will produce (duplicates not counted); null for --loop. */
  total: number | null;
  elapsed_s: number;
  rate_per_s: number;
  eta_s: number | null;
}

/** The final report of a replay (its one schema: lib/records/summary.ts). */
export type { ProduceSummary } from "../records/summary.ts";
import type { ProduceSummary } from "../records/summary.ts";

/** Counts the rows a replay will read (for progress and ETA). */
export async function countRows(
  path: string,
  utcOffset: string,
  fromMs?: number,
  toMs?: number,
): Promise<number> {
  let n = 0;
  for await (const row of readUciFile(path, { utcOffset })) {
    if (fromMs !== undefined && row.epochMs < fromMs) continue;
    if (toMs !== undefined && row.epochMs >= toMs) continue;
    n++;
  }
  return n;
}

/** A signal that aborts `ms` after `signal` does; `dispose` clears its timer. */
function graceAfter(signal: AbortSignal, ms: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    timer = setTimeout(() => controller.abort(new Error(`no answer ${ms} ms after the stop`)), ms);
  };
  if (signal.aborted) arm();
  else signal.addEventListener("abort", arm, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      signal.removeEventListener("abort", arm);
      clearTimeout(timer);
    },
  };
}

function abortableSleep(signal: AbortSignal): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
}

/**
 * Creates the missing topics, again and again with the replay's backoff when
 * the broker goes away meanwhile (a restart in the middle of the admin calls
 * can make kafkajs 2.2.4 fail `listTopics` with a TypeError on empty
 * metadata, which its own retries do not cover), until `signal` aborts.
 */
async function setUpTopics(
  kafka: ReturnType<typeof createKafka>,
  options: ProduceOptions,
  signal: AbortSignal,
): Promise<void> {
  const sleep = abortableSleep(signal);
  for (let attempt = 0;; attempt++) {
    try {
      await untilAborted(withAdmin(kafka, (admin) => ensureTopics(admin, options.topics)), signal);
      return;
    } catch (error) {
      if (signal.aborted) throw error;
      const waitMs = Math.min(
        options.retry.maxRetryTimeMs,
        options.retry.initialRetryTimeMs * options.retry.multiplier ** attempt,
      );
      log.warn("Creating the topics failed ({error}); trying again in {waitMs} ms", {
        error: error instanceof Error ? error.message : String(error),
        waitMs,
      });
      await sleep(waitMs);
    }
  }
}

/** Replays the dataset into Kafka. Resolves with the summary; never leaves a connection open. */
export async function runProducer(options: ProduceOptions): Promise<ProduceSummary> {
  const stations = virtualStations(options.stations, options.seed);
  const rows = options.loop
    ? null
    : await countRows(options.datasetPath, options.utcOffset, options.fromMs, options.toMs);
  const total = rows === null ? null : Math.min(rows * stations.length, options.limit ?? Infinity);

  const { kafka, producer, publisher } = producerClient(options);
  const pacer = new Pacer(options.speed, () => performance.now(), abortableSleep(options.signal));
  const t0 = performance.now();
  const counts: Counts = { readings: 0, duplicates: 0, late: 0, built: 0 };
  let outcome: ProduceSummary["outcome"] = "completed";

  const progress = progressOf(t0, publisher, total, counts);
  const ticker = setInterval(() => options.onProgress?.(progress()), options.progressIntervalMs);
  const signal = options.signal;
  let left: Abandoned = { unconfirmed: 0, notSent: 0 };
  let replayed = false;
  try {
    // each wait below can block in kafkajs's retries (the broker went away): abandon it on a signal
    await setUpTopics(kafka, options, signal);
    await untilAborted(producer.connect(), signal);
    await publishAll(eventsOf(options, stations), pacer, publisher, counts, signal);
    replayed = !signal.aborted;
  } catch (error) {
    if (!signal.aborted) {
      outcome = "failed";
      log.error("Replay stopped: {error}", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  } finally {
    const flushed = await flushOrAbandon(publisher, signal, options.flushGraceMs ?? 2000);
    left = flushed.left;
    if (flushed.failed) outcome = "failed";
    clearInterval(ticker);
    const disconnect = graceAfter(AbortSignal.abort(), 1000);
    await untilAborted(producer.disconnect(), disconnect.signal).catch(() => {});
    disconnect.dispose();
  }
  if (outcome === "completed" && (!replayed || left.unconfirmed + left.notSent > 0)) {
    outcome = "interrupted";
  }
  options.onProgress?.(progress());
  const duration = (performance.now() - t0) / 1000;
  const { sent, failed } = publisher.stats;
  const unconfirmed = left.unconfirmed;
  return {
    topic: options.topic,
    stations: stations.length,
    readings: counts.readings,
    sent,
    duplicates_sent: counts.duplicates,
    late_sent: counts.late,
    failed,
    unconfirmed,
    not_sent: counts.built - sent - failed - unconfirmed,
    duration_s: Math.round(duration * 1000) / 1000,
    rate_per_s: Math.round(sent / Math.max(duration, 1e-9)),
    outcome,
  };
}

/** The progress report so far: sent, rate, and the time left when the total is known. */
function progressOf(
  t0: number,
  publisher: BatchPublisher,
  total: number | null,
  counts: Counts,
): () => Progress {
  return () => {
    const elapsed = (performance.now() - t0) / 1000;
    const sent = publisher.stats.sent;
    const rate = elapsed > 0 ? sent / elapsed : 0;
    return {
      sent,
      total,
      elapsed_s: Math.round(elapsed * 10) / 10,
      rate_per_s: Math.round(rate),
      eta_s: total !== null && rate > 0
        ? Math.max(0, Math.round((total - counts.readings) / rate))
        : null,
    };
  };
}

/** The replay of the file as the options ask: stations, window, limit, loop, faults. */
function eventsOf(
  options: ProduceOptions,
  stations: ReturnType<typeof virtualStations>,
): AsyncIterable<ReplayEvent> {
  return replay(
    () => readUciFile(options.datasetPath, { utcOffset: options.utcOffset }),
    {
      stations,
      seed: options.seed,
      fromMs: options.fromMs,
      toMs: options.toMs,
      limit: options.limit,
      loop: options.loop,
      faults: options.faults,
    },
  );
}

/** What the replay built and counted, by kind. */
interface Counts {
  readings: number;
  duplicates: number;
  late: number;
  built: number;
}

/** The Kafka client, its idempotent producer and the batching publisher. */
function producerClient(
  options: ProduceOptions,
): { kafka: Kafka; producer: Producer; publisher: BatchPublisher } {
  const kafka = createKafka(options.kafka, {
    clientId: `${options.kafka.clientId}-producer`,
    retry: {
      initialRetryTime: options.retry.initialRetryTimeMs,
      maxRetryTime: options.retry.maxRetryTimeMs,
      multiplier: options.retry.multiplier,
      factor: options.retry.factor,
      retries: Number.MAX_SAFE_INTEGER,
    },
  });
  const producer = idempotentProducer(kafka);
  const publisher = new BatchPublisher(producer, {
    topic: options.topic,
    batchSize: options.batchSize,
    lingerMs: options.lingerMs,
    compression: options.compression,
  });
  return { kafka, producer, publisher };
}

/** Paces and publishes every event, counting them, until the events end or a stop signal. */
async function publishAll(
  events: AsyncIterable<ReplayEvent>,
  pacer: Pacer,
  publisher: BatchPublisher,
  counts: Counts,
  signal: AbortSignal,
): Promise<void> {
  // the send time as text, made once a millisecond (at full speed dozens of readings share one)
  let producedMs = NaN;
  let producedAt = "";
  for await (const event of events) {
    if (signal.aborted) break;
    const due = pacer.wait(event.sendAtMs, event.jitterMs);
    if (due !== undefined) {
      await due;
      if (signal.aborted) break;
    }
    const now = Date.now();
    if (now !== producedMs) {
      producedMs = now;
      producedAt = new Date(now).toISOString();
    }
    const reading = { ...event.reading, produced_at: producedAt };
    counts.built++;
    if (event.kind === "duplicate") counts.duplicates++;
    else {
      counts.readings++;
      if (event.kind === "late") counts.late++;
    }
    // the record's timestamp (CreateTime) is the reading's event time, not the send time:
    // Kafka tools and offsets-for-times then work on event time (docs/architecture.md)
    const full = publisher.publish({
      key: reading.station_id,
      value: JSON.stringify(reading),
      timestamp: String(Date.parse(reading.ts)),
      // the send time, for the consumers' end-to-end latency metric (lib/kafka/stream.ts)
      headers: { [PRODUCED_AT_HEADER]: String(producedMs) },
    });
    if (full !== undefined) await untilAborted(full, signal);
  }
}

/**
 * Flushes the publisher; after a stop signal, what is still unacknowledged
 * `flushGraceMs` later is abandoned and reported. Disconnects nothing.
 */
async function flushOrAbandon(
  publisher: BatchPublisher,
  signal: AbortSignal,
  flushGraceMs: number,
): Promise<{ left: Abandoned; failed: boolean }> {
  let left: Abandoned = { unconfirmed: 0, notSent: 0 };
  let failed = false;
  // what was handed over gets flushGraceMs after a stop signal to be acknowledged, then is
  // abandoned and reported (unconfirmed: may or may not be in the topic; not_sent: never handed over)
  const grace = graceAfter(signal, flushGraceMs);
  try {
    await untilAborted(publisher.flush(), grace.signal);
  } catch {
    if (grace.signal.aborted) {
      left = publisher.abandon();
      log.warn(
        "Gave up waiting for Kafka after the stop signal: {unconfirmed} readings unconfirmed, " +
          "{notSent} not sent",
        { ...left },
      );
    } else failed = true;
  } finally {
    grace.dispose();
  }
  return { left, failed };
}
