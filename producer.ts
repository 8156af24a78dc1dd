/**
 * `deno task produce`: replays the UCI Air Quality file (or any file in its
 * format) into the raw readings topic, in event-time order, keyed by station.
 *
 * ```
 * deno task produce [--input PATH] [--speed max|realtime|N] [--stations N] [--limit N]
 *                   [--from TIME] [--to TIME] [--loop] [--seed N] [--topic NAME]
 *                   [--fault-late P] [--fault-duplicate P] [--fault-outage P] [--jitter-ms MS]
 *                   [--batch-size N] [--linger-ms MS] [--compression none|gzip] [--json [PATH]]
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
 * `--allow-env=AIRQ_*,HOME,INIT_CWD,NODE_ENV,KAFKAJS_*` (settings; INIT_CWD: relative paths are the
 * caller's; kafkajs reads NODE_ENV),
 * `--allow-net=127.0.0.1,localhost,archive.ics.uci.edu` (the broker, the dataset download).
 *
 * @module
 */
import { ProduceSummarySchema } from "./lib/records/mod.ts";
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
import { env, eprintln, println } from "./lib/cli/io.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "./lib/cli/command.ts";
import { configureLogging, getLogger } from "./lib/log.ts";
import { awaitCluster } from "./lib/kafka/mod.ts";
import { stopOnSignals } from "./lib/stop.ts";

const FROM_CONFIG = "config/producer.json";
const probability = (help: string) =>
  opt.number(help, { value: "P", min: 0, max: 1, default: undefined });

const CLI = defineCommand({
  task: "produce",
  description: "Replay sensor readings (the UCI file, or any file in its format) into the raw " +
    "Kafka topic, in event-time order, keyed by station.",
  options: {
    input: opt.path("dataset", {
      input: true,
      default: "AIRQ_DATASET, ../shared/data/AirQualityUCI.csv, else a verified download",
    }),
    speed: opt.custom("max | realtime | factor (3600 = one hour of data per second)", {
      value: "S",
      expected: "max, realtime or a number > 0",
      check: parseSpeed,
    }),
    stations: opt.int("replay the year as N virtual stations (station-001 is the real one)", {
      min: 1,
    }),
    limit: opt.int("stop after N readings", { min: 0 }),
    from: opt.custom("only from this time (station time)", {
      value: "TIME",
      expected: "YYYY-MM-DD or YYYY-MM-DDTHH:MM",
      check: (text) => parseLocalTime(text, "Z"),
    }),
    to: opt.custom("only up to this time (station time)", {
      value: "TIME",
      expected: "YYYY-MM-DD or YYYY-MM-DDTHH:MM",
      check: (text) => parseLocalTime(text, "Z"),
    }),
    loop: opt.flag("start again at the end, with time moving on"),
    seed: opt.int("seed of virtual stations and faults", { min: 0 }),
    topic: opt.string("target topic (default: the raw topic of config/topics.json)", {
      value: "NAME",
    }),
    "fault-late": probability("probability a reading arrives late (out of order)"),
    "fault-duplicate": probability("probability a reading is sent twice"),
    "fault-outage": probability("probability a sensor outage (1-12 h) starts"),
    "jitter-ms": opt.number("random extra send delay (paced replays)", { value: "MS", min: 0 }),
    "batch-size": opt.int("readings per send", { min: 1 }),
    "linger-ms": opt.number("wait this long to fill a batch", { value: "MS", min: 0 }),
    compression: opt.choice("compression of the batches", ["none", "gzip"] as const),
    json: opt.json("print the summary as JSON; with PATH, write it to that file"),
  },
  notes: `Defaults not shown come from ${FROM_CONFIG}.`,
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  const interactive = Deno.stderr.isTerminal();
  await configureLogging();
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
    throw new Error(`${FROM_CONFIG}: compression must be none or gzip, got "${compression}"`);
  }
  const stations = values.stations ?? config.stations;
  const dataset = await resolveDatasetPath({
    explicitPath: values.input,
    configuredPath: config.input,
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
    seed: values.seed ?? config.seed,
    limit: values.limit,
    fromMs: values.from ? parseLocalTime(values.from, config.utcOffset) : undefined,
    toMs: values.to ? parseLocalTime(values.to, config.utcOffset) : undefined,
    loop: values.loop,
    faults: {
      late: values["fault-late"] ?? config.faults.late,
      duplicate: values["fault-duplicate"] ?? config.faults.duplicate,
      outage: values["fault-outage"] ?? config.faults.outage,
      jitterMs: values["jitter-ms"] ?? config.faults.jitterMs,
    },
    batchSize: values["batch-size"] ?? config.batchSize,
    lingerMs: values["linger-ms"] ?? config.lingerMs,
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
  if (values.json !== undefined) await writeJson(values.json, ProduceSummarySchema.parse(summary)); // its one schema
  else {
    println(
      `${summary.outcome}: sent ${summary.sent} readings to ${summary.topic} ` +
        `(${summary.duplicates_sent} duplicate sends, ${summary.late_sent} late), ${summary.failed} failed, ` +
        `${summary.unconfirmed} unconfirmed, ${summary.not_sent} not sent, in ${summary.duration_s} s (${summary.rate_per_s}/s)`,
    );
  }
  return summary.outcome === "failed" ? 1 : summary.outcome === "interrupted" ? 130 : 0;
}

if (import.meta.main) await runCommand(CLI, main);
