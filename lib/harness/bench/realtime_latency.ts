/**
 * The latency phase of the real-time benchmark (./realtime.ts): a fresh
 * forecaster on fresh topics, the producer paced at a steady rate, and a
 * read_committed reader of the raw and the forecasts topics that takes, for
 * each reading, the time from its `produced_at` to the moment its first
 * forecast is readable; and the helpers both phases share.
 *
 * @module
 */
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import {
  type KafkaConfig,
  loadTopicsConfig,
  topicByRole,
  type TopicConfig,
} from "../../config/mod.ts";
import { createKafka, ensureTopics, type Kafka, withAdmin } from "../../kafka/mod.ts";
import {
  forecastSetSource,
  parseLastLine,
  ProduceSummarySchema,
  type RealtimeResult,
} from "../../records/mod.ts";
import { nearestRankSorted } from "../../scoring/mod.ts";
import { spawnTask } from "../tasks.ts";
import { lastJsonLine, relayLog, sampleRss, watchCpu } from "./_process.ts";

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

/** The value at quantile `q` (0..1) of sorted `values`, nearest rank (lib/scoring's). */
export const quantile: (sorted: readonly number[], q: number) => number = nearestRankSorted;

/** `x` rounded to `digits` decimals. */
export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** The topics of config/topics.json under `prefix`. */
export async function prefixedTopics(prefix: string): Promise<TopicConfig[]> {
  return (await loadTopicsConfig((k) => (k === "AIRQ_TOPIC_PREFIX" ? prefix : undefined))).topics;
}

/** One reading's latency: its `produced_at`, the time to its first readable forecast, and the produce leg. */
interface Latency {
  rawTs: number;
  ms: number;
  produceMs: number;
}

/**
 * The reader: raw timestamps by position, and the first readable forecast of
 * each reading, matched by the position its `source` names.
 */
class LatencyReader {
  /** position -> produced_at and when the reader saw the raw record */
  readonly #rawTs = new Map<string, { produced: number; seen: number }>();
  /** forecast seen before its raw message: position -> seen at */
  readonly #pending = new Map<string, number>();
  readonly seen = new Set<string>();
  readonly latencies: Latency[] = [];
  setBytes = 0;
  sets = 0;
  readonly #rawTopic: string;

  constructor(rawTopic: string) {
    this.#rawTopic = rawTopic;
  }

  #settle(raw: { produced: number; seen: number }, at: number): void {
    this.latencies.push({
      rawTs: raw.produced,
      ms: at - raw.produced,
      produceMs: raw.seen - raw.produced,
    });
  }

  /** Takes one fetched message of either topic, seen at `now`. */
  take(
    topic: string,
    partition: number,
    m: { offset: string; value: Buffer | null },
    now: number,
  ): void {
    if (topic === this.#rawTopic) {
      const position = `${partition}|${m.offset}`;
      // the record's timestamp is the reading's event time: take the send time it carries
      const ts = producedAtMs(m.value!);
      if (Number.isNaN(ts)) return; // not written by airq's producer
      const raw = { produced: ts, seen: now };
      this.#rawTs.set(position, raw);
      const at = this.#pending.get(position);
      if (at !== undefined) {
        this.#pending.delete(position);
        this.#settle(raw, at);
      }
      return;
    }
    // the reader shares the 2 cores with what it measures: decode and parse only the
    // set's last member, `"source":{...}`, not all of its JSON
    const value = m.value!;
    this.setBytes += value.length;
    this.sets++;
    const source = forecastSetSource(
      value.subarray(Math.max(0, value.lastIndexOf(SOURCE_MEMBER))).toString(),
    );
    if (source === null) return;
    const position = `${source.partition}|${source.offset}`;
    if (this.seen.has(position)) return;
    this.seen.add(position);
    const ts = this.#rawTs.get(position);
    if (ts === undefined) this.#pending.set(position, now);
    else this.#settle(ts, now);
  }
}

/** Waits (at most a minute) until `group` is Stable: the forecaster has joined. */
async function waitUntilStable(kafka: Kafka, group: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const state = await withAdmin(kafka, (admin) => admin.describeGroups([group])).catch(() =>
      null
    );
    if (state?.groups[0]?.state === "Stable") return;
    if (performance.now() > deadline) throw new Error("the forecaster did not join its group");
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The producer paced: 60 stations, each reporting at its own minute of the hour. */
async function producePaced(
  o: RealtimeOptions,
  env: Record<string, string>,
): Promise<{ sent: number; p0: number; p1: number }> {
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
  return { sent, p0, p1 };
}

/** The latency phase: a fresh forecaster, the paced producer, the reader's latencies. */
export async function latencyPhase(
  o: RealtimeOptions,
  config: KafkaConfig,
  baseEnv: Record<string, string>,
  stateDir: string,
  brokerPid: number | null,
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
  const rawTopic = topicByRole(topics, "raw").name;
  const r = new LatencyReader(rawTopic);
  const reader = kafka.consumer({
    groupId: `airq-bench-reader-${crypto.randomUUID().slice(0, 6)}`,
    readUncommitted: false,
    maxWaitTimeInMs: 5,
  });
  await reader.connect();
  try {
    await reader.subscribe({ topics: [rawTopic, forecastsTopic], fromBeginning: true });
    await reader.run({
      // a throwaway group: with kafkajs's auto-commit every batch waited for an OffsetCommit
      // before the next fetch, which added 20 ms (p50) to 40 ms (p99) to every latency measured
      // at 1,000 readings/s, reader and forecaster aside (docs/realtime.md)
      autoCommit: false,
      partitionsConsumedConcurrently: 12,
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) r.take(batch.topic, batch.partition, m, now);
        await Promise.resolve();
      },
    });
    // wait until the forecaster has joined its group before producing
    await waitUntilStable(kafka, group);
    const cpu = await watchCpu({ broker: brokerPid, forecaster: forecaster.pid, bench: Deno.pid });
    const { sent, p0, p1 } = await producePaced(o, env);
    // let the last forecasts arrive
    const settleBy = performance.now() + 10_000;
    while (r.seen.size < sent && performance.now() < settleBy) {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (r.seen.size < sent) {
      log.warn("Latency: {seen} of {sent} readings got forecasts in time", {
        seen: r.seen.size,
        sent,
      });
    }
    const cpuUse = await cpu.stop();
    forecaster.kill("SIGTERM");
    const output = await done;
    relayLog("the forecaster (latency)", output);
    const summary = lastJsonLine(output.stdout);
    const samples = (await rss.stop()).forecaster!;
    const measured = r.latencies.filter((l) => l.rawTs >= p0 + o.warmupSeconds * 1000);
    const { result, sorted } = latencyResult(o, measured, { sent, p0, p1 }, summary, samples);
    return {
      result: { ...result, cpu: cpuUse },
      sorted,
      setBytes: r.sets === 0 ? NaN : r.setBytes / r.sets,
    };
  } finally {
    await reader.disconnect();
  }
}

/** The latency phase's figures from the measured readings (after the warm-up). */
function latencyResult(
  o: RealtimeOptions,
  measured: readonly Latency[],
  run: { sent: number; p0: number; p1: number },
  summary: Record<string, unknown>,
  samples: readonly number[],
): { result: RealtimeResult["latency"]; sorted: number[] } {
  const { sent, p0, p1 } = run;
  const sorted = measured.map((l) => l.ms).sort((a, b) => a - b);
  const produceLeg = measured.map((l) => l.produceMs).sort((a, b) => a - b);
  const forecastLeg = measured.map((l) => l.ms - l.produceMs).sort((a, b) => a - b);
  return {
    sorted,
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
}
