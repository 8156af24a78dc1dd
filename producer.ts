/**
 * `deno task produce`: replays the UCI Air Quality file (or any file in its
 * format) into the raw readings topic, in event-time order, keyed by station.
 *
 * ```
 * deno task produce [--input PATH] [--speed max|realtime|N] [--stations N] [--limit N]
 *                   [--from TIME] [--to TIME] [--loop] [--seed N] [--topic NAME]
 *                   [--fault-late P] [--fault-duplicate P] [--fault-outage P] [--jitter-ms MS]
 *                   [--batch-size N] [--linger-ms MS] [--compression none|gzip] [--json]
 * ```
 *
 * Logs are JSON lines on stderr (text on a terminal), one progress line per
 * interval; the final summary goes to stdout (JSON with `--json`). With no
 * broker answering within `clusterWaitMs` (config/kafka.json) it exits 1 with
 * one line saying what it tried and what to do. SIGINT or SIGTERM stops the
 * replay within 5 s, connected or not: what was handed to Kafka gets 2 s to be
 * acknowledged, and the summary reports what was unconfirmed or not sent.
 * Each record's Kafka timestamp is the reading's event time (`ts`).
 *
 * Permissions (the `produce` task; see docs/setup.md):
 * `--allow-read=..,$HOME,/tmp` (config, the dataset: ../shared/data, the cache or --input),
 * `--allow-write=$HOME/.cache/airq` (the verified dataset download),
 * `--allow-env=AIRQ_*,HOME,NODE_ENV,KAFKAJS_*` (settings; kafkajs reads NODE_ENV),
 * `--allow-net=127.0.0.1,localhost,archive.ics.uci.edu` (the broker, the dataset download).
 *
 * @module
 */
import { ProduceSummarySchema } from "./lib/records/mod.ts";
import { parseArgs } from "node:util";
import {
  CONFIG_DIR,
  findTopicByRole,
  loadConfig,
  loadKafkaConfig,
  loadTopicsConfig,
  ProducerConfigSchema,
} from "./lib/config/mod.ts";
import { resolveDatasetPath } from "./lib/dataset/mod.ts";
import { type Progress, runProducer } from "./lib/pipeline/produce.ts";
import { parseLocalTime, parseSpeed } from "./lib/replay/mod.ts";
import { env, eprintln, println, runMain } from "./lib/cli/io.ts";
import { configureLogging, getLogger } from "./lib/log.ts";
import { awaitCluster } from "./lib/kafka/mod.ts";
import { stopOnSignals } from "./lib/stop.ts";

const HELP = `Replay sensor readings into Kafka.

  --input PATH           dataset (default: ../shared/data/AirQualityUCI.csv, else a verified download)
  --speed S              max | realtime | factor (3600 = one hour of data per second)
  --stations N           replay the year as N virtual stations (station-001 is the real one)
  --limit N              stop after N readings
  --from TIME --to TIME  only this time range (YYYY-MM-DD[THH:MM], station time)
  --loop                 start again at the end, with time moving on
  --seed N               seed of virtual stations and faults
  --fault-late P         probability a reading arrives late (out of order)
  --fault-duplicate P    probability a reading is sent twice
  --fault-outage P       probability a sensor outage (1-12 h) starts
  --jitter-ms MS         random extra send delay (paced replays)
  --topic NAME           target topic (default: the raw topic of config/topics.json)
  --batch-size N --linger-ms MS --compression none|gzip
  --json                 print the summary as JSON`;

function number(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) {
    throw new Error(`--${name} must be a non-negative number, got "${text}"`);
  }
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      input: { type: "string" },
      speed: { type: "string" },
      stations: { type: "string" },
      limit: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      loop: { type: "boolean", default: false },
      seed: { type: "string" },
      topic: { type: "string" },
      "fault-late": { type: "string" },
      "fault-duplicate": { type: "string" },
      "fault-outage": { type: "string" },
      "jitter-ms": { type: "string" },
      "batch-size": { type: "string" },
      "linger-ms": { type: "string" },
      compression: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    println(HELP);
    return 0;
  }
  const interactive = Deno.stderr.isTerminal();
  await configureLogging({ format: interactive ? "text" : "json" });
  const log = getLogger(["airq", "producer"]);
  const stops = stopOnSignals({
    onSignal: (signal) =>
      log.info("{signal}: stopping the replay, flushing what was handed to Kafka", { signal }),
  });
  const config = await loadConfig(new URL("producer.json", CONFIG_DIR), ProducerConfigSchema);
  const kafka = await loadKafkaConfig(env);
  const topics = (await loadTopicsConfig(env)).topics;
  const topic = values.topic ?? findTopicByRole(topics, "raw")?.name;
  if (!topic) throw new Error('config/topics.json has no topic with role "raw"');

  const compression = values.compression ?? config.compression;
  if (compression !== "none" && compression !== "gzip") {
    throw new Error(`--compression must be none or gzip, got "${compression}"`);
  }
  const stations = number("stations", values.stations, config.stations);
  if (!Number.isInteger(stations) || stations < 1) {
    throw new Error("--stations must be a positive integer");
  }
  const limit = values.limit === undefined ? undefined : number("limit", values.limit, 0);
  const dataset = await resolveDatasetPath({
    explicitPath: values.input ?? config.input ?? undefined,
  });
  await awaitCluster(kafka, { signal: stops.signal });
  log.info("Replaying {path} into {topic} ({stations} stations, speed {speed})", {
    path: dataset.path,
    topic,
    stations,
    speed: values.speed ?? config.speed,
  });
  const render = (p: Progress) => {
    if (interactive) {
      const pct = p.total ? ` of ${p.total} (${Math.floor((100 * p.sent) / p.total)} %)` : "";
      const eta = p.eta_s !== null ? `, ETA ${p.eta_s} s` : "";
      Deno.stderr.writeSync(
        new TextEncoder().encode(`\r\x1b[2Ksent ${p.sent}${pct}, ${p.rate_per_s}/s${eta}`),
      );
    } else log.info("progress {sent}/{total} at {rate_per_s}/s", { ...p });
  };
  const summary = await runProducer({
    kafka,
    topic,
    topics,
    datasetPath: dataset.path,
    utcOffset: config.utcOffset,
    speed: parseSpeed(values.speed ?? config.speed),
    stations,
    seed: number("seed", values.seed, config.seed),
    limit,
    fromMs: values.from ? parseLocalTime(values.from, config.utcOffset) : undefined,
    toMs: values.to ? parseLocalTime(values.to, config.utcOffset) : undefined,
    loop: values.loop,
    faults: {
      late: number("fault-late", values["fault-late"], config.faults.late),
      duplicate: number("fault-duplicate", values["fault-duplicate"], config.faults.duplicate),
      outage: number("fault-outage", values["fault-outage"], config.faults.outage),
      jitterMs: number("jitter-ms", values["jitter-ms"], config.faults.jitterMs),
    },
    batchSize: number("batch-size", values["batch-size"], config.batchSize),
    lingerMs: number("linger-ms", values["linger-ms"], config.lingerMs),
    compression,
    retry: config.retry,
    progressIntervalMs: config.progressIntervalMs,
    signal: stops.signal,
    onProgress: render,
  });
  if (interactive) eprintln("");
  log.info(
    "Replay {outcome}: {sent} sent, {failed} failed, {unconfirmed} unconfirmed, {not_sent} not sent, " +
      "{rate_per_s}/s",
    { ...summary },
  );
  println(
    values.json
      ? JSON.stringify(ProduceSummarySchema.parse(summary)) // its one schema, as its readers parse it
      : `${summary.outcome}: sent ${summary.sent} readings to ${summary.topic} ` +
        `(${summary.duplicates_sent} duplicate sends, ${summary.late_sent} late), ${summary.failed} failed, ` +
        `${summary.unconfirmed} unconfirmed, ${summary.not_sent} not sent, in ${summary.duration_s} s (${summary.rate_per_s}/s)`,
  );
  return summary.outcome === "failed" ? 1 : summary.outcome === "interrupted" ? 130 : 0;
}

if (import.meta.main) await runMain(main);
