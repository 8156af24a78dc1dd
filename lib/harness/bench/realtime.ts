/**
 * The real-time benchmark (`deno task bench realtime`), on a private broker,
 * through the `produce` and `forecast` tasks with their own permissions:
 *
 * 1. Throughput: the year of N virtual stations is produced into the raw
 *    topic first; then the forecaster (with `--db`, so it stores what it
 *    makes) works the backlog off. Readings per second are counted from its
 *    first committed transaction to the moment its group's committed offsets
 *    reach the end of every partition; its resident memory is sampled all the
 *    way (peak, and the median of the first and of the last quarter of the
 *    run, to show whether it stays flat).
 * 2. Latency: a fresh forecaster on fresh topics, then the producer paced at
 *    a steady rate (default 1,000 readings/s). A read_committed reader of the
 *    raw and the forecasts topics takes, for each reading, the time from its
 *    `produced_at` (set when the producer hands it to kafkajs; the record's
 *    Kafka timestamp is the reading's event time, in 2004)
 *    to the moment its first forecast is readable (a reading's 12 forecasts
 *    commit together); a forecast names its raw message in `source`. The
 *    first seconds (JIT, group join) are left out.
 *
 * @module
 */
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { resolveKafkaJars, startPrivateBroker } from "../broker/mod.ts";
import { CONFIG_DIR, type KafkaConfig, topicByRole } from "../../config/mod.ts";
import { createKafka, ensureTopics, groupLag, type Kafka, withAdmin } from "../../kafka/mod.ts";
import { parseLastLine, ProduceSummarySchema, type RealtimeResult } from "../../records/mod.ts";
import { fileURLToPath } from "node:url";
import { brokerPerf } from "./ingest.ts";
import {
  latencyPhase,
  prefixedTopics,
  producedAtMs,
  quantile,
  type RealtimeOptions,
  round,
} from "./realtime_latency.ts";

export { producedAtMs, quantile, type RealtimeOptions };
import { spawnTask } from "../tasks.ts";
import { lastJsonLine, relayLog, sampleRss, watchCpu } from "./_process.ts";

const log = getLogger(["airq", "bench"]);
/** Records Kafka's ProducerPerformance sends, of the forecast set's mean size, in the same run. */
const PERF_RECORDS = 100_000;

function median(values: readonly number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

async function throughputPhase(
  o: RealtimeOptions,
  config: KafkaConfig,
  baseEnv: Record<string, string>,
  stateDir: string,
  brokerPid: number | null,
): Promise<RealtimeResult["throughput"]> {
  const prefix = `rt${crypto.randomUUID().slice(0, 6)}.`;
  const members = o.members ?? 1;
  // several members need partitions to share: the raw topic gets `rawPartitions` of them
  const topics = (await prefixedTopics(prefix)).map((t) =>
    t.role === "raw" && o.rawPartitions !== undefined ? { ...t, partitions: o.rawPartitions } : t
  );
  const raw = topicByRole(topics, "raw");
  const kafka = createKafka(config, { clientId: "airq-bench-realtime" });
  await withAdmin(kafka, (admin) => ensureTopics(admin, topics));
  const env = { ...baseEnv, AIRQ_TOPIC_PREFIX: prefix };
  log.info("Realtime throughput: producing {stations} station-years first", {
    stations: o.stations,
  });
  const produced = await (await spawnTask(
    "produce",
    ["--input", o.input, "--speed", "max", "--stations", String(o.stations), "--json"],
    env,
  )).output();
  if (!produced.success) throw new Error("the producer failed");
  const readings =
    parseLastLine(ProduceSummarySchema, produced.stdout, "deno task produce --json").sent;
  const group = "airq-bench-forecaster";
  const t0 = performance.now();
  // one store per member: SQLite takes one writer at a time, and each member stores its own
  const forecasters = await Promise.all(
    Array.from({ length: members }, (_, i) =>
      spawnTask(
        "forecast",
        ["--db", join(stateDir, `realtime-${i}.db`), "--group", group, "--json"],
        env,
      )),
  );
  const memberPids = Object.fromEntries(forecasters.map((f, i) => [`m${i}`, f.pid]));
  const rss = sampleRss(memberPids);
  const cpu = await watchCpu({ broker: brokerPid, ...memberPids, bench: Deno.pid });
  const done = forecasters.map((f) => f.output());
  const { tFirst, tEnd } = await catchUp(kafka, group, raw.name, readings, done);
  const cpuUse = await cpu.stop();
  for (const f of forecasters) f.kill("SIGTERM");
  const outputs = await Promise.all(done);
  outputs.forEach((d, i) => relayLog(`forecaster m${i} (throughput)`, d));
  const summaries = outputs.map((d) => lastJsonLine(d.stdout));
  const samples = await rss.stop();
  // the members' resident memory summed at each sample: what the group needs on one machine
  const total = sumSeries(Object.values(samples));
  const quarter = Math.max(1, Math.floor(total.length / 4));
  const seconds = (tEnd - tFirst) / 1000;
  const forecasts = summaries.reduce((s, m) => s + Number(m["forecasts"]), 0);
  const made = summaries.reduce((s, m) => s + Number(m["readings"]), 0);
  const perReading = forecasts / Math.max(1, made);
  return {
    readings,
    stations: o.stations,
    members,
    raw_partitions: raw.partitions,
    forecasts_per_reading: round(perReading, 3),
    seconds: round(seconds, 3),
    seconds_with_startup: round((tEnd - t0) / 1000, 3),
    forecasts_per_s: Math.round((readings * perReading) / seconds),
    rss_mb_first_quarter: round(median(total.slice(0, quarter))),
    rss_mb_last_quarter: round(median(total.slice(-quarter))),
    forecaster_summary: {
      ...summaries[0],
      peak_rss_mb: round(Math.max(0, ...(samples["m0"] ?? []))),
    },
    ...(members > 1 ? { member_summaries: summaries } : {}),
    peak_rss_mb_all_members: round(Math.max(0, ...total)),
    cpu: cpuUse,
  };
}

/**
 * Polls the group's lag every 100 ms: when it first dropped below the
 * backlog (the first commit) and when it reached 0. Fails if a member exits first.
 */
async function catchUp(
  kafka: Kafka,
  group: string,
  topic: string,
  readings: number,
  done: readonly Promise<unknown>[],
): Promise<{ tFirst: number; tEnd: number }> {
  let tFirst = 0;
  let exited = false;
  for (const d of done) d.then(() => (exited = true));
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    if (exited) throw new Error("a forecaster exited before the group caught up");
    // the group coordinator may still be loading: "not the correct coordinator" is retried
    const lag = await groupLag(kafka, group, topic).catch(() => null);
    if (lag === null) continue;
    if (tFirst === 0 && lag < readings) tFirst = performance.now();
    if (lag === 0) return { tFirst, tEnd: performance.now() };
  }
}

/** Element-wise sums of series of different lengths (missing samples count 0). */
function sumSeries(series: readonly number[][]): number[] {
  const n = Math.max(0, ...series.map((s) => s.length));
  return Array.from({ length: n }, (_, i) => series.reduce((s, x) => s + (x[i] ?? 0), 0));
}

/** Runs both phases on a private broker and stops it afterwards. */
export async function benchRealtime(o: RealtimeOptions): Promise<RealtimeResult> {
  const priv = await startPrivateBroker({
    prefix: "airq-bench-rt-",
    cacheDir: o.cacheDir,
    kafkaHome: o.kafkaHome,
  });
  const { config, brokers, stateDir, up } = priv;
  try {
    const env = {
      HOME: o.home,
      AIRQ_KAFKA_BROKERS: brokers,
      AIRQ_LOG_FORMAT: "json",
      AIRQ_LOG_LEVEL: "warning",
    };
    const throughput = await throughputPhase(o, config, env, stateDir, up.pid);
    const latency = await latencyPhase(o, config, env, stateDir, up.pid);
    const peak = throughput.peak_rss_mb_all_members;
    log.info("Now Kafka's own producer perf tool");
    const jars = await resolveKafkaJars({
      pomPath: fileURLToPath(new URL("kafka/pom.xml", CONFIG_DIR)),
      cacheDir: o.cacheDir,
      kafkaHome: o.kafkaHome,
    });
    const setBytes = Math.round(latency.setBytes);
    const perf = await brokerPerf(config, jars, PERF_RECORDS, setBytes);
    const readingsPerS = Math.round(throughput.readings / throughput.seconds);
    return {
      readings_per_s: readingsPerS,
      latency_ms_p50: quantile(latency.sorted, 0.5),
      latency_ms_p99: quantile(latency.sorted, 0.99),
      peak_rss_mb: Math.max(peak, latency.result.peak_rss_mb),
      kafka_producer_perf_per_s: Math.round(perf.producer),
      ratio_to_kafka_producer_perf: round(readingsPerS / perf.producer, 3),
      forecast_set_bytes: setBytes,
      throughput,
      latency: latency.result,
      kafka_version: up.version ?? "unknown",
      machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
    };
  } finally {
    await priv.stop();
  }
}
