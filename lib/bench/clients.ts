/**
 * `bench clients`: kafkajs against `@platformatic/kafka` on the forecaster's
 * Kafka work (issue 12), on one private broker, in one run:
 *
 * - produce: N forecast-sized records (1.6 KB of JSON), idempotent producer,
 *   acks=all, requests of 500 records, one in flight;
 * - transform: the forecaster's consume-transform-produce loop without the
 *   models: a read_committed group on a raw topic of N readings (about 600
 *   bytes each, 6 partitions), per partition chunk of 500 a transaction on
 *   that partition's transactional producer with one forecast record (about
 *   1.6 KB) per reading, the offset (TxnOffsetCommit) and the commit; at most
 *   2 transactions at once; records/s from the first record fetched to the
 *   last commit;
 * - exactly once: then an aborted transaction of 100 records into the same
 *   output topic, and Kafka's own Java console consumer reads the output:
 *   at read_committed exactly N records, N distinct keys (one per input
 *   offset) and none of the aborted ones; at read_uncommitted N + 100 (the
 *   aborted records were written, so the check is not vacuous); the group's
 *   committed offsets at the end of the raw topic.
 *
 * Beside them, Kafka's ProducerPerformance (and ConsumerPerformance) with
 * records of the same size on the same broker.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { getLogger } from "@logtape/logtape";
import { type KafkaJars, resolveKafkaJars, startPrivateBroker } from "../broker/mod.ts";
import { CONFIG_DIR, type KafkaConfig } from "../config/mod.ts";
import { createKafka, ensureTopics, groupLag, withAdmin } from "../kafka/mod.ts";
import { crc32cImplementation } from "../kafka/platformatic.ts";
import { brokerPerf, java } from "./ingest.ts";
import { kafkajsClient } from "./_clients_kafkajs.ts";
import { platformaticClient } from "./_clients_platformatic.ts";
import {
  type ClientUnderTest,
  fixedPayload,
  forecastRecord,
  type KeyedValue,
  rawReadings,
} from "./_clients_workload.ts";

const log = getLogger(["airq", "bench", "clients"]);

const PARTITIONS = 6;
const STATIONS = 50;
const BATCH = 500;
const CHUNK = 500;
const CONCURRENCY = 2;
const PAYLOAD_BYTES = 1600;
const ABORTED = 100;

/** What `bench clients` reports per client. */
export interface ClientResult {
  name: string;
  version: string;
  produce_per_s: number;
  transform_per_s: number;
  exactly_once_ok: boolean;
  produce_seconds: number;
  transform_seconds: number;
  /** Transactions the transform committed: N / this is the mean chunk size. */
  transactions: number;
  /** What the Java console consumer read back from the output topic, and the group's lag. */
  checks: {
    read_committed: number;
    read_committed_distinct_keys: number;
    read_committed_aborted_keys: number;
    read_uncommitted: number;
    raw_group_lag: number;
  };
}

/** The JSON `bench clients` writes. */
export interface ClientsResult {
  clients: ClientResult[];
  /** @platformatic/kafka / kafkajs. */
  ratio: { produce: number; transform: number };
  kafka_producer_perf_per_s: number;
  kafka_consumer_perf_per_s: number;
  messages: number;
  perf_records: number;
  /** The clients' names in the order they were measured. */
  order: string[];
  workload: {
    partitions: number;
    batch: number;
    transaction_size: number;
    concurrent_transactions: number;
    payload_bytes: number;
    raw_bytes: number;
    forecast_bytes: number;
  };
  /** Which CRC32C `@platformatic/kafka` used (no --allow-ffi: the WebAssembly one). */
  platformatic_crc32c: string;
  kafka_version: string;
  machine: { cpus: number; deno: string };
}

/** Options of `benchClients`. */
export interface ClientsOptions {
  messages: number;
  perfRecords: number;
  /** Measure @platformatic/kafka first (the first client also creates Kafka's internal topics, untimed). */
  reverse?: boolean;
  cacheDir: string;
  kafkaHome?: string | undefined;
}

/** The version of an npm package in the import map, from where it resolves (`…/<name>/<version>/…`). */
export function npmVersion(name: string): string {
  const url = import.meta.resolve(name);
  const at = url.indexOf(`/${name}/`);
  return at < 0 ? "unknown" : url.slice(at + name.length + 2).split("/")[0]!;
}

/** Runs the comparison on a private broker and stops it afterwards. */
export async function benchClients(o: ClientsOptions): Promise<ClientsResult> {
  const priv = await startPrivateBroker({
    prefix: "airq-bench-clients-",
    cacheDir: o.cacheDir,
    kafkaHome: o.kafkaHome,
  });
  try {
    const { config, up } = priv;
    const jars = await resolveKafkaJars({
      pomPath: fileURLToPath(new URL("kafka/pom.xml", CONFIG_DIR)),
      cacheDir: o.cacheDir,
      kafkaHome: o.kafkaHome,
    });
    const clients: ClientUnderTest[] = [
      kafkajsClient(config, npmVersion("kafkajs")),
      platformaticClient(config, npmVersion("@platformatic/kafka")),
    ];
    if (o.reverse) clients.reverse();
    const tag = crypto.randomUUID().slice(0, 6);
    const raw = `airq.bench.clients.${tag}.raw`;
    const topicOf = (i: number, what: string) => `airq.bench.clients.${tag}.${i}.${what}`;
    const kafka = createKafka(config, { clientId: "airq-bench-clients" });
    await withAdmin(kafka, (admin) =>
      ensureTopics(
        admin,
        [raw, ...clients.flatMap((_, i) => [topicOf(i, "produce"), topicOf(i, "out")])].map(
          (name) => ({
            name,
            role: "raw" as const,
            partitions: PARTITIONS,
            replicationFactor: 1,
            configs: {},
            why: "bench clients",
          }),
        ),
      ));
    const readings = rawReadings(o.messages, STATIONS);
    log.info("Writing {n} raw readings (untimed)", { n: o.messages });
    await clients[0]!.produce(raw, readings, BATCH);
    const payload = fixedPayload(PAYLOAD_BYTES);
    const toProduce: KeyedValue[] = Array.from({ length: o.messages }, (_, i) => ({
      key: `station-${String(i % STATIONS).padStart(3, "0")}`,
      value: payload,
    }));

    const results: ClientResult[] = [];
    for (const [i, client] of clients.entries()) {
      log.info("{name}: produce {n}", { name: client.name, n: o.messages });
      const p0 = performance.now();
      await client.produce(topicOf(i, "produce"), toProduce, BATCH);
      const produceSeconds = (performance.now() - p0) / 1000;
      log.info("{name}: transform {n}", { name: client.name, n: o.messages });
      const groupId = `airq-bench-clients-${tag}-${i}`;
      const out = topicOf(i, "out");
      const t = await client.transform({
        raw,
        out,
        groupId,
        transactionalId: `airq-bench-clients-${tag}-${i}`,
        partitions: PARTITIONS,
        total: o.messages,
        chunk: CHUNK,
        concurrency: CONCURRENCY,
        transform: forecastRecord,
      });
      const transformSeconds = (t.doneAt - t.firstAt) / 1000;
      const aborted = Array.from({ length: ABORTED }, (_, k) => ({
        key: `aborted-${k}`,
        value: payload,
      }));
      await client.abortedTransaction(out, `airq-bench-clients-${tag}-${i}.aborted`, aborted);
      const checks = await checkOutput(config, jars, out, kafka, groupId, raw);
      results.push({
        name: client.name,
        version: client.version,
        produce_per_s: Math.round(o.messages / produceSeconds),
        transform_per_s: Math.round(o.messages / transformSeconds),
        exactly_once_ok: checks.read_committed === o.messages &&
          checks.read_committed_distinct_keys === o.messages &&
          checks.read_committed_aborted_keys === 0 &&
          checks.read_uncommitted === o.messages + ABORTED &&
          checks.raw_group_lag === 0,
        produce_seconds: round3(produceSeconds),
        transform_seconds: round3(transformSeconds),
        transactions: t.transactions,
        checks,
      });
      log.info("{name}: {result}", { name: client.name, result: JSON.stringify(results.at(-1)) });
    }
    log.info("Kafka's ProducerPerformance, {n} records of {bytes} bytes", {
      n: o.perfRecords,
      bytes: PAYLOAD_BYTES,
    });
    const perf = await brokerPerf(config, jars, o.perfRecords, PAYLOAD_BYTES);
    const a = results.find((r) => r.name === "kafkajs")!;
    const b = results.find((r) => r.name !== "kafkajs")!;
    const sample = forecastRecord({ partition: 0, offset: "0", value: readings[0]!.value });
    return {
      clients: results,
      ratio: {
        produce: round3(b.produce_per_s / a.produce_per_s),
        transform: round3(b.transform_per_s / a.transform_per_s),
      },
      kafka_producer_perf_per_s: Math.round(perf.producer),
      kafka_consumer_perf_per_s: Math.round(perf.consumer),
      messages: o.messages,
      perf_records: o.perfRecords,
      order: results.map((r) => r.name),
      workload: {
        partitions: PARTITIONS,
        batch: BATCH,
        transaction_size: CHUNK,
        concurrent_transactions: CONCURRENCY,
        payload_bytes: payload.length,
        raw_bytes: readings[0]!.value.length,
        forecast_bytes: sample.value.length,
      },
      platformatic_crc32c: crc32cImplementation(),
      kafka_version: up.version ?? "unknown",
      machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
    };
  } finally {
    await priv.stop();
  }
}

/** Reads `out` with Kafka's console consumer at both isolation levels; the group's lag on `raw`. */
async function checkOutput(
  config: KafkaConfig,
  jars: KafkaJars,
  out: string,
  kafka: ReturnType<typeof createKafka>,
  groupId: string,
  raw: string,
): Promise<ClientResult["checks"]> {
  const keys = async (isolation: "read_committed" | "read_uncommitted") => {
    const text = await java(jars, [
      "org.apache.kafka.tools.consumer.ConsoleConsumer",
      "--bootstrap-server",
      config.brokers.join(","),
      "--topic",
      out,
      "--from-beginning",
      "--isolation-level",
      isolation,
      "--timeout-ms",
      "5000",
      "--property",
      "print.key=true",
      "--property",
      "print.value=false",
    ]);
    // one key per line, then the tool's own log on its exit at the timeout (on stdout)
    return text.split("\n").filter((line) =>
      line !== "" && !/^\d\d:\d\d:\d\d\.\d+ \[main\] /.test(line) &&
      !line.startsWith("org.apache.kafka.common.errors.TimeoutException")
    );
  };
  const committed = await keys("read_committed");
  const uncommitted = await keys("read_uncommitted");
  return {
    read_committed: committed.length,
    read_committed_distinct_keys: new Set(committed).size,
    read_committed_aborted_keys: committed.filter((k) => k.startsWith("aborted-")).length,
    read_uncommitted: uncommitted.length,
    raw_group_lag: await groupLag(kafka, groupId, raw),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
