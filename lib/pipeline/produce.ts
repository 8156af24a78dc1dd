/**
 * The replay producer: streams the dataset through the replay (virtual
 * stations, faults), paces it in event time, and publishes each reading to the
 * raw topic keyed by station id, through the idempotent, batching publisher.
 * Stops cleanly on an abort signal: what was handed to Kafka is flushed, and
 * the summary says what was not sent.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { KafkaConfig, ProducerConfig, TopicConfig } from "../config/mod.ts";
import { readUciFile } from "../dataset/mod.ts";
import {
  BatchPublisher,
  createKafka,
  ensureTopics,
  idempotentProducer,
  withAdmin,
} from "../kafka/mod.ts";
import { type FaultOptions, Pacer, replay, type Speed, virtualStations } from "../replay/mod.ts";

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
  /** Aborting stops the replay gracefully (SIGINT/SIGTERM). */
  signal: AbortSignal;
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

/** The final report of a replay. */
export interface ProduceSummary {
  topic: string;
  stations: number;
  /** Readings taken from the replay (duplicate sends not counted). */
  readings: number;
  /** Messages acknowledged by Kafka (including duplicate sends). */
  sent: number;
  duplicates_sent: number;
  late_sent: number;
  /** Messages whose send failed after retries. */
  failed: number;
  /** Messages built but never handed to Kafka (interrupted). */
  not_sent: number;
  duration_s: number;
  rate_per_s: number;
  outcome: "completed" | "interrupted" | "failed";
}

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

/** Replays the dataset into Kafka. Resolves with the summary; never leaves a connection open. */
export async function runProducer(options: ProduceOptions): Promise<ProduceSummary> {
  const stations = virtualStations(options.stations, options.seed);
  const rows = options.loop
    ? null
    : await countRows(options.datasetPath, options.utcOffset, options.fromMs, options.toMs);
  const total = rows === null ? null : Math.min(rows * stations.length, options.limit ?? Infinity);

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
  const pacer = new Pacer(options.speed, () => performance.now(), abortableSleep(options.signal));
  const t0 = performance.now();
  let readings = 0;
  let duplicates = 0;
  let late = 0;
  let built = 0;
  let outcome: ProduceSummary["outcome"] = "completed";

  const progress = (): Progress => {
    const elapsed = (performance.now() - t0) / 1000;
    const sent = publisher.stats.sent;
    const rate = elapsed > 0 ? sent / elapsed : 0;
    return {
      sent,
      total,
      elapsed_s: Math.round(elapsed * 10) / 10,
      rate_per_s: Math.round(rate),
      eta_s: total !== null && rate > 0 ? Math.max(0, Math.round((total - readings) / rate)) : null,
    };
  };
  const ticker = setInterval(() => options.onProgress?.(progress()), options.progressIntervalMs);

  await withAdmin(kafka, (admin) => ensureTopics(admin, options.topics));
  await producer.connect();
  try {
    const events = replay(
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
    for await (const event of events) {
      if (options.signal.aborted) {
        outcome = "interrupted";
        break;
      }
      await pacer.wait(event.sendAtMs, event.jitterMs);
      if (options.signal.aborted) {
        outcome = "interrupted";
        break;
      }
      const reading = { ...event.reading, produced_at: new Date().toISOString() };
      built++;
      if (event.kind === "duplicate") duplicates++;
      else {
        readings++;
        if (event.kind === "late") late++;
      }
      await publisher.publish({ key: reading.station_id, value: JSON.stringify(reading) });
    }
  } catch (error) {
    outcome = "failed";
    log.error("Replay stopped: {error}", {
      error: error instanceof Error ? error.message : String(error),
    });
  } finally {
    try {
      await publisher.flush();
    } catch {
      outcome = "failed";
    }
    clearInterval(ticker);
    await producer.disconnect();
  }
  options.onProgress?.(progress());
  const duration = (performance.now() - t0) / 1000;
  const { sent, failed } = publisher.stats;
  return {
    topic: options.topic,
    stations: stations.length,
    readings,
    sent,
    duplicates_sent: duplicates,
    late_sent: late,
    failed,
    not_sent: built - sent - failed,
    duration_s: Math.round(duration * 1000) / 1000,
    rate_per_s: Math.round(sent / Math.max(duration, 1e-9)),
    outcome,
  };
}
