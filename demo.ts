/**
 * `deno task demo`: airq end to end on this machine. Starts the local Kafka
 * broker (or reuses a running one; an external cluster when configured),
 * creates the topics, replays the dataset into the raw topic, runs the
 * validating consumer into a SQLite store until it is idle, prints what the
 * store holds, and stops the broker it started.
 *
 * ```
 * deno task demo [--speed max|realtime|N] [--stations N] [--limit N] [--keep-broker]
 * ```
 *
 * Permissions: the union of `broker` and `produce` (it runs both in-process).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { isLocalCluster, LocalBroker, resolveDirs } from "./lib/broker/mod.ts";
import {
  CONFIG_DIR,
  loadConfig,
  loadKafkaConfig,
  loadTopicsConfig,
  ProducerConfigSchema,
} from "./lib/config/mod.ts";
import { resolveDatasetPath } from "./lib/dataset/mod.ts";
import { createKafka, ensureTopics, topicEndOffset, withAdmin } from "./lib/kafka/mod.ts";
import { runConsumer } from "./lib/pipeline/consume.ts";
import { runProducer } from "./lib/pipeline/produce.ts";
import { QUALITY_CONFIG_FILE, QualityRulesSchema } from "./lib/quality/mod.ts";
import { openSqliteStore } from "./lib/storage/mod.ts";
import { ConsumerConfigSchema } from "./lib/config/mod.ts";
import { join } from "node:path";
import { parseSpeed } from "./lib/replay/mod.ts";
import { env, println, runMain } from "./lib/cli.ts";
import { configureLogging, getLogger } from "./lib/log.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      speed: { type: "string", default: "max" },
      stations: { type: "string", default: "1" },
      limit: { type: "string" },
      "keep-broker": { type: "boolean", default: false },
    },
  });
  await configureLogging({ format: "text" });
  const log = getLogger(["airq", "demo"]);
  const kafka = await loadKafkaConfig(env);
  const producerConfig = await loadConfig(
    new URL("producer.json", CONFIG_DIR),
    ProducerConfigSchema,
  );
  const topics = (await loadTopicsConfig(env)).topics;
  const raw = topics.find((t) => t.role === "raw")!;

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);

  let broker: LocalBroker | null = null;
  let started = false;
  println(`1. Kafka: ${kafka.brokers.join(",")}`);
  if (isLocalCluster(kafka)) {
    broker = new LocalBroker({
      config: kafka,
      ...resolveDirs(env),
      kafkaHome: env("KAFKA_HOME"),
      configDir: CONFIG_DIR,
    });
    const up = await broker.up();
    started = up.outcome === "started";
    println(
      `   ${
        up.outcome === "started"
          ? `started Kafka ${up.version} (pid ${up.pid}), ready in ${up.readyMs} ms`
          : up.outcome === "reused"
          ? `reusing the running broker (pid ${up.pid})`
          : "a broker not started by airq answers there; using it"
      }`,
    );
  } else println("   external cluster: nothing to start");
  try {
    const client = createKafka(kafka, { clientId: "airq-demo" });
    const before = await withAdmin(client, async (admin) => {
      const created = await ensureTopics(admin, topics);
      println(
        `2. topics: ${
          topics.map((t) => `${t.name} (${t.partitions} partitions, role ${t.role})`).join(", ")
        }`,
      );
      if (created.length > 0) println(`   created ${created.join(", ")}`);
      return await topicEndOffset(admin, raw.name);
    });

    const dataset = await resolveDatasetPath({
      explicitPath: env("AIRQ_DATASET") ?? producerConfig.input ?? undefined,
    });
    println(
      `3. replaying ${dataset.path} (${dataset.origin}) at speed ${values.speed}, ${values.stations} station(s)`,
    );
    const summary = await runProducer({
      kafka,
      topic: raw.name,
      topics,
      datasetPath: dataset.path,
      utcOffset: producerConfig.utcOffset,
      speed: parseSpeed(values.speed),
      stations: Number(values.stations),
      seed: producerConfig.seed,
      limit: values.limit === undefined ? undefined : Number(values.limit),
      loop: false,
      faults: producerConfig.faults,
      batchSize: producerConfig.batchSize,
      lingerMs: producerConfig.lingerMs,
      compression: producerConfig.compression,
      retry: producerConfig.retry,
      progressIntervalMs: producerConfig.progressIntervalMs,
      signal: controller.signal,
      onProgress: (p) => log.info("sent {sent} of {total} ({rate_per_s}/s)", { ...p }),
    });
    println(
      `   ${summary.outcome}: ${summary.sent} readings sent in ${summary.duration_s} s (${summary.rate_per_s}/s), ${summary.failed} failed`,
    );

    const after = await withAdmin(
      client,
      async (admin) => topicEndOffset(admin, raw.name),
    );
    println(`4. the raw topic grew by ${after - before} messages (sent ${summary.sent})`);
    const consumerConfig = await loadConfig(
      new URL("consumer.json", CONFIG_DIR),
      ConsumerConfigSchema,
    );
    const rules = await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema);
    const dbPath = join(resolveDirs(env).stateDir, "demo.db");
    const store = await openSqliteStore(dbPath);
    try {
      const byRole = (role: string) => topics.find((t) => t.role === role)!.name;
      const consumed = await runConsumer({
        kafka,
        config: consumerConfig,
        groupId: "airq-demo",
        rawTopic: raw.name,
        deadLetterTopic: byRole("dead_letter"),
        alertsTopic: byRole("alerts"),
        topics,
        store,
        rules,
        exitWhenIdleMs: 2000,
        signal: controller.signal,
      });
      const q = await store.summary();
      println(
        `5. consumer (group airq-demo: what it has not seen yet): ${consumed.consumed} messages validated, ` +
          `${consumed.stored} readings stored, ${consumed.duplicates} duplicates absorbed, ` +
          `${consumed.dead_letters} dead letters, ${consumed.alerts} data-quality alert events`,
      );
      println(
        `   store ${dbPath}: ${q.stored_readings} readings from ${q.stations} station(s), ${q.dead_letters} dead letters`,
      );
      println(
        `   missing values: ${Object.entries(q.missing).map(([c, n]) => `${c} ${n}`).join(", ")}`,
      );
    } finally {
      await store.close();
    }
    return after - before === summary.sent && summary.outcome === "completed" ? 0 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    if (broker && started && !values["keep-broker"]) {
      const down = await broker.down();
      println(
        `6. stopped the broker airq started (pid ${down.pid}); run with --keep-broker to keep it`,
      );
    } else if (broker) {
      println("6. left the broker running (it was running before, or --keep-broker)");
    }
  }
}

if (import.meta.main) await runMain(main);
