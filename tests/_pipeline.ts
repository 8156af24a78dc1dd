/**
 * Shared set-up for pipeline tests: topics under a unique prefix on the test
 * broker, the shipped configs, a temp database, and a runner for entry scripts
 * with the exact permissions of their `deno.json` task.
 *
 * @module
 */
import {
  CONFIG_DIR,
  type ConsumerConfig,
  ConsumerConfigSchema,
  type KafkaConfig,
  loadConfig,
  loadTopicsConfig,
  type ProducerConfig,
  ProducerConfigSchema,
  topicByRole,
  type TopicConfig,
  type TopicRole,
} from "../lib/config/mod.ts";
import { QUALITY_CONFIG_FILE, type QualityRules, QualityRulesSchema } from "../lib/quality/mod.ts";
import { type Kafka, readAll } from "../lib/kafka/mod.ts";
import { testKafkaConfig } from "./_kafka.ts";

/** Everything a pipeline test needs, isolated by a topic prefix. */
export interface PipelineContext {
  kafka: KafkaConfig;
  prefix: string;
  topics: TopicConfig[];
  raw: string;
  deadLetter: string;
  alerts: string;
  producer: ProducerConfig;
  consumer: ConsumerConfig;
  rules: QualityRules;
  dir: string;
  env: Record<string, string>;
}

/** Creates a fresh context: unique topic prefix, temp folder. Remove `dir` when done. */
export async function pipelineContext(): Promise<PipelineContext> {
  const kafka = await testKafkaConfig();
  const prefix = `t${crypto.randomUUID().slice(0, 8)}.`;
  const topics =
    (await loadTopicsConfig((k) => (k === "AIRQ_TOPIC_PREFIX" ? prefix : undefined))).topics;
  const name = (role: TopicRole) => topicByRole(topics, role).name;
  const dir = await Deno.makeTempDir({ prefix: "airq-pipeline-" });
  return {
    kafka,
    prefix,
    topics,
    raw: name("raw"),
    deadLetter: name("dead_letter"),
    alerts: name("alerts"),
    producer: await loadConfig(new URL("producer.json", CONFIG_DIR), ProducerConfigSchema),
    consumer: await loadConfig(new URL("consumer.json", CONFIG_DIR), ConsumerConfigSchema),
    rules: await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema),
    dir,
    env: {
      AIRQ_KAFKA_BROKERS: kafka.brokers.join(","),
      AIRQ_TOPIC_PREFIX: prefix,
      AIRQ_LOG_FORMAT: "json",
      NO_COLOR: "1",
    },
  };
}

export { runTask, spawnTask, taskArgv } from "../lib/harness/tasks.ts";

/** Every committed record of `topic` (read_committed), parsed, read until `expected` or a timeout. */
export async function readCommitted(
  kafka: Kafka,
  topic: string,
  expected: number,
  options: { timeoutMs?: number; readUncommitted?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const values = await readAll(kafka, topic, expected, options);
  const decoder = new TextDecoder();
  return values.map((v) => JSON.parse(decoder.decode(v)));
}
