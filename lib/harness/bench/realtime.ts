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
import {
  CONFIG_DIR,
  type KafkaConfig,
  loadTopicsConfig,
  topicByRole,
  type TopicConfig,
} from "../../config/mod.ts";
import { createKafka, ensureTopics, groupLag, withAdmin } from "../../kafka/mod.ts";
import {
  forecastSetSource,
  parseLastLine,
  ProduceSummarySchema,
  type RealtimeResult,
} from "../../records/mod.ts";
import { fileURLToPath } from "node:url";
import { brokerPerf } from "./ingest.ts";
import { spawnTask } from "../tasks.ts";
import { lastJsonLine, sampleRss } from "./_process.ts";

const log = getLogger(["airq", "bench"]);
const SOURCE_MEMBER = new TextEncoder().encode('"source":');
const PRODUCED_AT_MEMBER = new TextEncoder().encode('"produced_at":"');

/**
 * The `produced_at` of a raw reading (ms since the epoch), read from its
 * bytes without parsing the whole JSON: the producer writes it last, as a
 * 24-character `toISOString()`. NaN when it is not there.
 */
export function producedAtMs(value: Uint8Array): number {
  const at = lastIndexOf(value, PRODUCED_AT_MEMBER);
  if (at < 0) return NaN;
  const start = at + PRODUCED_AT_MEMBER.length;
  let text = "";
  for (let i = start; i < value.length && value[i] !== 0x22 && i < start + 40; i++) {
    text += String.fromCharCode(value[i]!);
  }
  return Date.parse(text);
}

function lastIndexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = haystack.length - needle.length; i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Records Kafka's ProducerPerformance sends, of the forecast set's mean size, in the same run. */
const PERF_RECORDS = 100_000;

/** Options of the real-time benchmark. */
export interface RealtimeOptions {
  input: string;
  home: string;
  cacheDir: string;
  kafkaHome?: string | undefined;
  /** Virtual stations of the throughput phase (each is a year: 9,357 readings). */
  stations: number;
  /** Readings per second of the latency phase. */
  rate: number;
  /** Length of the latency phase, seconds. */
  latencySeconds: number;
  /** Left out at the start of the latency phase, seconds. */
  warmupSeconds: number;
  /** Forecaster processes in one group in the throughput phase (default 1). */
  members?: number | undefined;
  /** Partitions of the raw topic in the throughput phase (default: config/topics.json's). */
  rawPartitions?: number | undefined;
}

/** The value at quantile `q` (0..1) of sorted `values`, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

function median(values: readonly number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

async function prefixedTopics(prefix: string): Promise<TopicConfig[]> {
  return (await loadTopicsConfig((k) => (k === "AIRQ_TOPIC_PREFIX" ? prefix : undefined))).topics;
}

async function throughputPhase(
  o: RealtimeOptions,
  config: KafkaConfig,
  baseEnv: Record<string, string>,
  stateDir: string,
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
  const rss = sampleRss(Object.fromEntries(forecasters.map((f, i) => [`m${i}`, f.pid])));
  const done = forecasters.map((f) => f.output());
  let tFirst = 0;
  let tEnd = 0;
  let exited = false;
  for (const d of done) d.then(() => (exited = true));
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    if (exited) throw new Error("a forecaster exited before the group caught up");
    // the group coordinator may still be loading: "not the correct coordinator" is retried
    const lag = await groupLag(kafka, group, raw.name).catch(() => null);
    if (lag === null) continue;
    if (tFirst === 0 && lag < readings) tFirst = performance.now();
    if (lag === 0) {
      tEnd = performance.now();
      break;
    }
  }
  for (const f of forecasters) f.kill("SIGTERM");
  const summaries = (await Promise.all(done)).map((d) => lastJsonLine(d.stdout));
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
  };
}

/** Element-wise sums of series of different lengths (missing samples count 0). */
function sumSeries(series: readonly number[][]): number[] {
  const n = Math.max(0, ...series.map((s) => s.length));
  return Array.from({ length: n }, (_, i) => series.reduce((s, x) => s + (x[i] ?? 0), 0));
}

async function latencyPhase(
  o: RealtimeOptions,
  config: KafkaConfig,
  baseEnv: Record<string, string>,
  stateDir: string,
): Promise<{ result: RealtimeResult["latency"]; sorted: number[]; setBytes: number }> {
  const prefix = `rl${crypto.randomUUID().slice(0, 6)}.`;
  const topics = await prefixedTopics(prefix);
  const forecastsTopic = topicByRole(topics, "forecasts").name;
  const kafka = createKafka(config, { clientId: "airq-bench-latency" });
  await withAdmin(kafka, (admin) => ensureTopics(admin, topics));
  const env = { ...baseEnv, AIRQ_TOPIC_PREFIX: prefix };
  const group = "airq-bench-latency";
  const forecaster = await spawnTask(
    "forecast",
    ["--db", join(stateDir, "latency.db"), "--group", group, "--json"],
    env,
  );
  const rss = sampleRss({ forecaster: forecaster.pid });
  const done = forecaster.output();
  // the reader: raw timestamps by position, and the first readable forecast of each reading
  const rawTopic = topicByRole(topics, "raw").name;
  // position -> produced_at and when the reader saw the raw record
  const rawTs = new Map<string, { produced: number; seen: number }>();
  const pending = new Map<string, number>(); // forecast seen before its raw message: position -> seen at
  const seen = new Set<string>();
  const latencies: { rawTs: number; ms: number; produceMs: number }[] = [];
  let setBytes = 0;
  let sets = 0;
  const settle = (raw: { produced: number; seen: number }, at: number) =>
    latencies.push({
      rawTs: raw.produced,
      ms: at - raw.produced,
      produceMs: raw.seen - raw.produced,
    });
  const reader = kafka.consumer({
    groupId: `airq-bench-reader-${crypto.randomUUID().slice(0, 6)}`,
    readUncommitted: false,
    maxWaitTimeInMs: 5,
  });
  await reader.connect();
  try {
    await reader.subscribe({ topics: [rawTopic, forecastsTopic], fromBeginning: true });
    await reader.run({
      partitionsConsumedConcurrently: 12,
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          if (batch.topic === rawTopic) {
            const position = `${batch.partition}|${m.offset}`;
            // the record's timestamp is the reading's event time: take the send time it carries
            const ts = producedAtMs(m.value!);
            if (Number.isNaN(ts)) continue; // not written by airq's producer
            const raw = { produced: ts, seen: now };
            rawTs.set(position, raw);
            const at = pending.get(position);
            if (at !== undefined) {
              pending.delete(position);
              settle(raw, at);
            }
            continue;
          }
          // the reader shares the 2 cores with what it measures: decode and parse only the
          // set's last member, `"source":{...}`, not all of its JSON
          const value = m.value!;
          setBytes += value.length;
          sets++;
          const source = forecastSetSource(
            value.subarray(Math.max(0, value.lastIndexOf(SOURCE_MEMBER))).toString(),
          );
          if (source === null) continue;
          const position = `${source.partition}|${source.offset}`;
          if (seen.has(position)) continue;
          seen.add(position);
          const ts = rawTs.get(position);
          if (ts === undefined) pending.set(position, now);
          else settle(ts, now);
        }
        await Promise.resolve();
      },
    });
    // wait until the forecaster has joined its group before producing
    const deadline = performance.now() + 60_000;
    for (;;) {
      const state = await withAdmin(kafka, (admin) => admin.describeGroups([group])).catch(() =>
        null
      );
      if (state?.groups[0]?.state === "Stable") break;
      if (performance.now() > deadline) throw new Error("the forecaster did not join its group");
      await new Promise((r) => setTimeout(r, 200));
    }
    // the producer paced: N stations, each reporting at its own minute of the hour
    const stations = 60;
    const speed = (o.rate * 3600) / stations;
    const limit = Math.round(o.rate * o.latencySeconds);
    log.info("Realtime latency: {rate} readings/s for {seconds} s", {
      rate: o.rate,
      seconds: o.latencySeconds,
    });
    const p0 = Date.now();
    const produced = await (await spawnTask(
      "produce",
      [
        "--input",
        o.input,
        "--speed",
        String(speed),
        "--stations",
        String(stations),
        "--limit",
        String(limit),
        "--json",
      ],
      env,
    )).output();
    if (!produced.success) throw new Error("the paced producer failed");
    const p1 = Date.now();
    const sent =
      parseLastLine(ProduceSummarySchema, produced.stdout, "deno task produce --json").sent;
    // let the last forecasts arrive
    const settleBy = performance.now() + 10_000;
    while (seen.size < sent && performance.now() < settleBy) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const measured = latencies.filter((l) => l.rawTs >= p0 + o.warmupSeconds * 1000);
    const sorted = measured.map((l) => l.ms).sort((a, b) => a - b);
    const produceLeg = measured.map((l) => l.produceMs).sort((a, b) => a - b);
    const forecastLeg = measured.map((l) => l.ms - l.produceMs).sort((a, b) => a - b);
    if (seen.size < sent) {
      log.warn("Latency: {seen} of {sent} readings got forecasts in time", {
        seen: seen.size,
        sent,
      });
    }
    forecaster.kill("SIGTERM");
    const summary = lastJsonLine((await done).stdout);
    const samples = (await rss.stop()).forecaster!;
    return {
      sorted,
      setBytes: sets === 0 ? NaN : setBytes / sets,
      result: {
        target_readings_per_s: o.rate,
        achieved_readings_per_s: Math.round(sent / ((p1 - p0) / 1000)),
        seconds: round((p1 - p0) / 1000, 3),
        warmup_s: o.warmupSeconds,
        measured_readings: sorted.length,
        latency_ms_mean: round(sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length)),
        latency_ms_max: sorted.at(-1) ?? NaN,
        legs_ms: {
          produce_p50: quantile(produceLeg, 0.5),
          produce_p99: quantile(produceLeg, 0.99),
          forecast_p50: quantile(forecastLeg, 0.5),
          forecast_p99: quantile(forecastLeg, 0.99),
        },
        peak_rss_mb: round(Math.max(0, ...samples)),
        forecaster_summary: summary,
      },
    };
  } finally {
    await reader.disconnect();
  }
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
    const throughput = await throughputPhase(o, config, env, stateDir);
    const latency = await latencyPhase(o, config, env, stateDir);
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
