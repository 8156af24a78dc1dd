/**
 * `deno task consume`: the validating consumer. Joins a consumer group on the
 * raw readings topic, validates and cleans every reading, stores it in SQLite
 * or PostgreSQL (idempotent upsert keyed by station and time), sends what cannot be accepted
 * to the dead-letter topic with the reason, commits offsets only after the
 * write, monitors data quality and publishes alerts.
 *
 * ```
 * deno task consume [--db PATH|URL] [--group ID] [--exit-when-idle SECONDS] [--metrics-port N] [--json [PATH]]
 * ```
 *
 * Run several of these with the same `--group` to share the partitions.
 * SIGINT/SIGTERM stop it after the batch in progress; kill -9 loses nothing
 * (the uncommitted batch is redelivered and the upsert absorbs it).
 *
 * Permissions (the `consume` task; see docs/setup.md):
 * `--allow-read=.,$HOME,/tmp --allow-write=var,$HOME,/tmp` (config, the database and
 * its WAL files), `--allow-env=AIRQ_*,INIT_CWD,NODE_ENV,KAFKAJS_*,PG*` (`PG*`: npm
 * `postgres` reads the libpq variables), `--allow-net=127.0.0.1,localhost` (the broker,
 * a local PostgreSQL, and the metrics listener on 127.0.0.1 when enabled).
 *
 * @module
 */
import { ConsumeSummarySchema } from "./lib/records/mod.ts";
import { storeTarget } from "./lib/cli/paths.ts";
import {
  CONFIG_DIR,
  ConsumerConfigSchema,
  findTopicByRole,
  loadConfig,
  loadKafkaConfig,
  loadTopicsConfig,
  type TopicRole,
} from "./lib/config/mod.ts";
import { runConsumer } from "./lib/pipeline/consume.ts";
import { QUALITY_CONFIG_FILE, QualityRulesSchema } from "./lib/quality/mod.ts";
import { openStore, storeLabel } from "./lib/storage/mod.ts";
import { env, println } from "./lib/cli/io.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "./lib/cli/command.ts";
import { serviceOptions } from "./lib/cli/options.ts";
import { processMetrics, serveMetrics } from "./lib/metrics/mod.ts";
import { configureLogging, getLogger } from "./lib/log.ts";
import { awaitCluster } from "./lib/kafka/mod.ts";
import { stopOnSignals } from "./lib/stop.ts";

const CLI = defineCommand({
  task: "consume",
  description: "Consume raw readings from Kafka: validate, clean, store (SQLite or PostgreSQL), " +
    "dead-letter what cannot be accepted, monitor data quality.",
  options: {
    ...serviceOptions({
      db: "SQLite file (relative to where you run it), or a postgres:// URL",
      group: "consumer group (default: airq-consumer); run several to share partitions",
    }),
    "metrics-port": opt.metricsPort("consumer.json"),
    json: opt.json("print the final summary as JSON; with PATH, write it to that file"),
  },
  notes: "--db defaults to AIRQ_DB, else db of config/consumer.json (var/airq.db).",
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  await configureLogging();
  const log = getLogger(["airq", "consumer"]);
  const config = await loadConfig(new URL("consumer.json", CONFIG_DIR), ConsumerConfigSchema);
  const rules = await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema);
  const kafka = await loadKafkaConfig(env);
  const metricsPort = values["metrics-port"] ?? config.metrics.port;
  const stops = stopOnSignals({
    onSignal: (signal) => log.info("{signal}: stopping after the batch in progress", { signal }),
  });
  // first contact, bounded: no broker is one line after clusterWaitMs, not a retry storm
  await awaitCluster(kafka, { signal: stops.signal });
  const topics = (await loadTopicsConfig(env)).topics;
  const byRole = (role: TopicRole) => findTopicByRole(topics, role)?.name ?? null;
  const rawTopic = byRole("raw");
  const deadLetterTopic = byRole("dead_letter");
  if (!rawTopic || !deadLetterTopic) {
    throw new Error(
      'config/topics.json needs a topic with role "raw" and one with role "dead_letter"',
    );
  }
  const idle = values["exit-when-idle"];
  const exitWhenIdleMs = idle === undefined ? undefined : idle * 1000;
  const dbTarget = storeTarget(values.db, config.db);
  const store = await openStore(dbTarget, { synchronous: config.synchronous });
  const dbPath = storeLabel(dbTarget); // no password in logs
  const groupId = values.group ?? config.groupId;
  log.info("Consuming {rawTopic} in group {groupId} into {dbPath}", { rawTopic, groupId, dbPath });
  const metricsServer = metricsPort === null
    ? null
    : serveMetrics(processMetrics, { port: metricsPort, name: "consumer" });
  try {
    const summary = await runConsumer({
      kafka,
      config,
      groupId,
      rawTopic,
      deadLetterTopic,
      alertsTopic: byRole("alerts"),
      topics: topics.filter((t) => ["raw", "dead_letter", "alerts"].includes(t.role)),
      store,
      rules,
      exitWhenIdleMs,
      signal: stops.signal,
    });
    log.info(
      "Consumer {outcome}: consumed {consumed}, stored {stored}, dead letters {dead_letters}",
      {
        ...summary,
      },
    );
    if (values.json !== undefined) {
      await writeJson(values.json, ConsumeSummarySchema.parse(summary)); // its one schema
    } else {
      println(
        `${summary.outcome}: consumed ${summary.consumed} messages ` +
          `(${summary.stored} new readings, ${summary.duplicates} duplicates, ${summary.dead_letters} dead letters) ` +
          `in ${summary.duration_s} s`,
      );
    }
    return 0;
  } finally {
    await store.close();
    await metricsServer?.close();
  }
}

if (import.meta.main) await runCommand(CLI, main);
