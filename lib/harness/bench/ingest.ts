/**
 * The ingest benchmark: a max-speed replay of the year as N virtual stations
 * through producer.ts, the broker, consumer.ts and SQLite, with offsets
 * committed, measured end to end on a private broker; beside it, the broker's
 * own Java perf tools (ProducerPerformance, ConsumerPerformance) on the same
 * machine, in the same run.
 *
 * @module
 */
import {
  ConsumeSummarySchema,
  type IngestResult,
  parseLastLine,
  parseQualityOutput,
  ProduceSummarySchema,
} from "../../records/mod.ts";
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { type KafkaJars, resolveKafkaJars, startPrivateBroker } from "../broker/mod.ts";
import { CONFIG_DIR, type KafkaConfig, loadTopicsConfig, topicByRole } from "../../config/mod.ts";
import { createKafka, ensureTopics, groupLag, type Kafka, withAdmin } from "../../kafka/mod.ts";
import { fileURLToPath } from "node:url";
import { spawnTask, trackChild } from "../tasks.ts";
import { watchCpu, watchRss } from "./_process.ts";

const PRODUCE = "deno task produce --json";
const CONSUME = "deno task consume --json";

const log = getLogger(["airq", "bench"]);

async function java(jars: KafkaJars, args: string[]): Promise<string> {
  const out = await trackChild(
    new Deno.Command("java", {
      args: ["-Xmx512m", "-cp", jars.classpath, ...args],
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  ).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${args[0]} failed: ${new TextDecoder().decode(out.stderr).slice(-1500)}`);
  }
  return text;
}

/** Runs Kafka's ProducerPerformance then ConsumerPerformance on a fresh topic; records/s of each. */
export async function brokerPerf(
  config: KafkaConfig,
  jars: KafkaJars,
  records: number,
  recordSize: number,
): Promise<{ producer: number; consumer: number }> {
  const topic = `airq.bench.perf.${crypto.randomUUID().slice(0, 8)}`;
  const kafka = createKafka(config, { clientId: "airq-bench-perf" });
  await withAdmin(
    kafka,
    (admin) =>
      ensureTopics(admin, [{
        name: topic,
        role: "raw",
        partitions: 6,
        replicationFactor: 1,
        configs: {},
        why: "bench",
      }]),
  );
  const bootstrap = config.brokers.join(",");
  const prod = await java(jars, [
    "org.apache.kafka.tools.ProducerPerformance",
    "--topic",
    topic,
    "--num-records",
    String(records),
    "--record-size",
    String(recordSize),
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${bootstrap}`,
    "acks=all",
    "enable.idempotence=true",
    "compression.type=none",
  ]);
  // "1000000 records sent, 312402.4 records/sec (119.17 MB/sec), ..."
  const p = prod.match(/records sent, ([\d.]+) records\/sec/);
  const cons = await java(jars, [
    "org.apache.kafka.tools.ConsumerPerformance",
    "--bootstrap-server",
    bootstrap,
    "--topic",
    topic,
    "--messages",
    String(records),
  ]);
  // header "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ..."
  const consumer = parsePerfCsv(cons);
  return { producer: p ? Number(p[1]) : NaN, consumer };
}

/** Pulls nMsg.sec out of ConsumerPerformance's output (summary or detailed). */
export function parsePerfCsv(text: string): number {
  const lines = text.trim().split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const headerIndex = lines.findIndex((l) => l.includes("nMsg.sec"));
  if (headerIndex < 0) return NaN;
  const header = lines[headerIndex]!.split(",").map((s) => s.trim());
  const col = header.indexOf("nMsg.sec");
  const rows = lines.slice(headerIndex + 1).filter((l) => /^\d/.test(l));
  const last = rows.at(-1)?.split(",").map((s) => s.trim());
  return last && col >= 0 ? Number(last[col]) : NaN;
}

/** Options of the ingest benchmark. */
export interface IngestOptions {
  stations: number;
  input: string;
  home: string;
  cacheDir: string;
  kafkaHome?: string | undefined;
  perfRecords: number;
}

/** Runs the whole benchmark on a private broker and stops it afterwards. */
export async function benchIngest(o: IngestOptions): Promise<IngestResult> {
  const priv = await startPrivateBroker({
    prefix: "airq-bench-",
    cacheDir: o.cacheDir,
    kafkaHome: o.kafkaHome,
  });
  const { config, brokers, stateDir, up } = priv;
  try {
    const jars = await resolveKafkaJars({
      pomPath: fileURLToPath(new URL("kafka/pom.xml", CONFIG_DIR)),
      cacheDir: o.cacheDir,
      kafkaHome: o.kafkaHome,
    });
    const prefix = `bench${crypto.randomUUID().slice(0, 6)}.`;
    const topics =
      (await loadTopicsConfig((k) => (k === "AIRQ_TOPIC_PREFIX" ? prefix : undefined))).topics;
    const raw = topicByRole(topics, "raw").name;
    const kafka = createKafka(config, { clientId: "airq-bench" });
    await withAdmin(kafka, (admin) => ensureTopics(admin, topics));
    const env = taskEnv(o, brokers, prefix);
    const db = join(stateDir, "bench.db");
    const expected = o.stations * 9357;
    const group = "airq-bench";
    log.info("Ingest: {expected} readings ({stations} stations) at max speed", {
      expected,
      stations: o.stations,
    });

    const run = await endToEnd(o, kafka, env, { db, group, raw, brokerPid: up.pid });
    const { consumerSummary, peaks, p, stored, seconds, cpuUse } = run;
    log.info("Ingest done in {seconds} s; now each side alone", { seconds });
    const consumerOnly = await consumerAlone(stateDir, env);
    const producerOnly = await producerAlone(o, { ...env, AIRQ_TOPIC_PREFIX: `${prefix}alone.` });
    log.info("Now the broker's own perf tools");
    const perf = await brokerPerf(config, jars, o.perfRecords, 400);
    const readingsPerS = expected / seconds;
    return {
      readings: expected,
      seconds: Math.round(seconds * 1000) / 1000,
      readings_per_s: Math.round(readingsPerS),
      peak_rss_mb: Math.round(Math.max(peaks["producer"]!, peaks["consumer"]!)),
      broker_producer_perf_per_s: Math.round(perf.producer),
      kafka_producer_perf_per_s: Math.round(perf.producer),
      ratio_to_kafka_producer_perf: Math.round((readingsPerS / perf.producer) * 1000) / 1000,
      broker_consumer_perf_per_s: Math.round(perf.consumer),
      producer_peak_rss_mb: Math.round(peaks["producer"]!),
      consumer_peak_rss_mb: Math.round(peaks["consumer"]!),
      producer_seconds: p.duration_s,
      consumer_only_per_s: Math.round(consumerOnly),
      consumer_time_ms: consumerSummary.time_ms,
      consumer_batches: consumerSummary.batches,
      consumer_seconds: consumerSummary.duration_s,
      producer_only_per_s: producerOnly,
      cpu: cpuUse,
      stored_readings: stored,
      stations: o.stations,
      kafka_version: up.version ?? "unknown",
      machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
    };
  } finally {
    await priv.stop();
  }
}

/** The end-to-end run: producer and consumer at once, until the group has caught up. */
async function endToEnd(
  o: IngestOptions,
  kafka: Kafka,
  env: Record<string, string>,
  where: { db: string; group: string; raw: string; brokerPid: number | null },
) {
  const { db, group, raw, brokerPid } = where;
  const t0 = performance.now();
  const consumer = await spawnTask("consume", ["--db", db, "--group", group, "--json"], env);
  const producer = await spawnTask(
    "produce",
    ["--input", o.input, "--speed", "max", "--stations", String(o.stations), "--json"],
    env,
  );
  const rss = watchRss({ producer: producer.pid, consumer: consumer.pid });
  const cpu = await watchCpu({ broker: brokerPid, consumer: consumer.pid, bench: Deno.pid });
  const producerDone = producer.output().then((out) => ({ out, at: performance.now() }));
  const consumerDone = consumer.output();
  // done = the group's committed offsets reach the end of every partition, all readings produced
  const tEnd = await ingested(kafka, group, raw, producerDone);
  const cpuUse = await cpu.stop();
  consumer.kill("SIGTERM");
  const consumerOut = await consumerDone;
  const consumerSummary = parseLastLine(ConsumeSummarySchema, consumerOut.stdout, CONSUME);
  const peaks = await rss.stop();
  const p = parseLastLine(ProduceSummarySchema, (await producerDone).out.stdout, PRODUCE);
  const quality = await spawnTask("quality", ["--db", db, "--json"], env).then((c) => c.output());
  const stored = parseQualityOutput(new TextDecoder().decode(quality.stdout)).stored_readings;
  const seconds = (tEnd - t0) / 1000;
  return { consumerSummary, peaks, p, stored, seconds, cpuUse };
}

/** The tasks' environment: the private broker, the run's topic prefix, JSON logs at warning. */
function taskEnv(o: IngestOptions, brokers: string, prefix: string): Record<string, string> {
  return {
    HOME: o.home,
    AIRQ_KAFKA_BROKERS: brokers,
    AIRQ_TOPIC_PREFIX: prefix,
    AIRQ_LOG_FORMAT: "json",
    AIRQ_LOG_LEVEL: "warning",
  };
}

/**
 * When the ingest is done: the producer has finished (successfully) and the
 * group's committed offsets reach the end of every partition. Polls every 100 ms.
 */
async function ingested(
  kafka: Kafka,
  group: string,
  raw: string,
  producerDone: Promise<{ out: { success: boolean }; at: number }>,
): Promise<number> {
  let producedAt = 0;
  let producerOk = false;
  producerDone.then((p) => {
    producedAt = p.at;
    producerOk = p.out.success;
  });
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    if (producedAt === 0) continue;
    if (!producerOk) throw new Error("the producer failed");
    const lag = await groupLag(kafka, group, raw);
    if (lag === 0) return performance.now();
  }
}

/** The consumer alone: a new group re-reads the same topic into a new database; readings/s. */
async function consumerAlone(stateDir: string, env: Record<string, string>): Promise<number> {
  const c0 = performance.now();
  const alone = await (await spawnTask(
    "consume",
    [
      "--db",
      join(stateDir, "alone.db"),
      "--group",
      "airq-bench-alone",
      "--exit-when-idle",
      "2",
      "--json",
    ],
    env,
  )).output();
  const aloneSummary = parseLastLine(ConsumeSummarySchema, alone.stdout, CONSUME);
  return aloneSummary.consumed / Math.max(1e-9, (performance.now() - c0) / 1000 - 2);
}

/** The producer alone, into the fresh topics of `env`'s prefix; its readings/s. */
async function producerAlone(o: IngestOptions, env: Record<string, string>): Promise<number> {
  const p2 = await (await spawnTask(
    "produce",
    ["--input", o.input, "--speed", "max", "--stations", String(o.stations), "--json"],
    env,
  )).output();
  return parseLastLine(ProduceSummarySchema, p2.stdout, PRODUCE).rate_per_s;
}
