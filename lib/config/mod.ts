/**
 * Configuration: JSON files under `config/`, each validated by a zod schema,
 * with a few documented environment overrides (`AIRQ_*`).
 *
 * `loadConfig()` is the one function in this folder that reads a file.
 *
 * @module
 */
import { z } from "zod";
export {
  type ConsumerConfig,
  ConsumerConfigSchema,
  type KafkaConfig,
  KafkaConfigSchema,
  type LocalBrokerConfig,
  type MetricsConfig,
  MetricsConfigSchema,
  type ProducerConfig,
  ProducerConfigSchema,
  type SaslConfig,
  type TlsFiles,
  TOPIC_ROLES,
  type TopicConfig,
  TopicConfigSchema,
  type TopicRole,
  type TopicsConfig,
  TopicsConfigSchema,
} from "./schemas.ts";
export { applyKafkaEnv, type EnvReader } from "./env.ts";
export {
  applyKafkaProperties,
  KNOWN_PROPERTIES,
  parseProperties,
  type Property,
} from "./properties.ts";
import { applyKafkaProperties, parseProperties } from "./properties.ts";
import { applyKafkaEnv, type EnvReader } from "./env.ts";
import {
  type KafkaConfig,
  KafkaConfigSchema,
  type TopicConfig,
  type TopicRole,
  type TopicsConfig,
  TopicsConfigSchema,
} from "./schemas.ts";
export { formatIssues } from "./issues.ts";
import { formatIssues } from "./issues.ts";

/** A configuration file that cannot be read or does not match its schema. */
export class ConfigError extends Error {
  /** Path of the offending file. */
  readonly path: string;
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigError";
    this.path = path;
  }
}

/**
 * Reads a JSON file and validates it.
 *
 * @throws {ConfigError} when the file is missing, is not JSON, or breaks the schema.
 */
export async function loadConfig<S extends z.ZodType>(
  path: string | URL,
  schema: S,
): Promise<z.output<S>> {
  const shown = String(path instanceof URL ? path.pathname : path);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(
      shown,
      `Cannot read config file "${shown}": ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
  return parseConfig(text, schema, shown);
}

/** Validates JSON text against a schema; `shown` names the source in errors. */
export function parseConfig<S extends z.ZodType>(
  text: string,
  schema: S,
  shown: string,
): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      shown,
      `Config file "${shown}" is not valid JSON: ${error instanceof Error ? error.message : error}`,
    );
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new ConfigError(
      shown,
      `Cannot load config from "${shown}":\n${formatIssues(result.error)}`,
    );
  }
  return result.data;
}

/** The repository's `config/` folder, located from this module (works from any cwd). */
export const CONFIG_DIR: URL = new URL("../../config/", import.meta.url);

/**
 * Loads `config/kafka.json`, then the client properties file named by
 * `AIRQ_KAFKA_PROPERTIES` (Java `.properties`, as `--command-config` takes; see
 * lib/config/properties.ts for the keys), then the `AIRQ_KAFKA_*` environment
 * overrides; later sources win.
 *
 * @throws {ConfigError} naming the file (and line and key) when one of them is wrong.
 */
export async function loadKafkaConfig(
  env: EnvReader,
  path: string | URL = new URL("kafka.json", CONFIG_DIR),
): Promise<KafkaConfig> {
  let config = await loadConfig(path, KafkaConfigSchema);
  const propertiesPath = env("AIRQ_KAFKA_PROPERTIES")?.trim();
  if (propertiesPath) {
    let text: string;
    try {
      text = await Deno.readTextFile(propertiesPath);
    } catch (error) {
      const why = error instanceof Deno.errors.NotCapable
        ? "this command may not read it: keep the file under config/ or $HOME/.config/airq/ " +
          "(all the Kafka tasks' launcher may read; docs/security.md)"
        : error instanceof Error
        ? error.message
        : String(error);
      throw new ConfigError(
        propertiesPath,
        `Cannot read AIRQ_KAFKA_PROPERTIES="${propertiesPath}": ${why}`,
        { cause: error },
      );
    }
    try {
      config = applyKafkaProperties(config, parseProperties(text), propertiesPath);
    } catch (error) {
      throw new ConfigError(
        propertiesPath,
        `AIRQ_KAFKA_PROPERTIES: ${error instanceof Error ? error.message : error}`,
      );
    }
    const checked = KafkaConfigSchema.safeParse(config);
    if (!checked.success) {
      throw new ConfigError(
        propertiesPath,
        `Invalid Kafka settings from AIRQ_KAFKA_PROPERTIES="${propertiesPath}":\n${
          formatIssues(checked.error)
        }`,
      );
    }
    config = checked.data;
  }
  return applyKafkaEnv(config, env);
}

/**
 * Loads `config/topics.json`. `AIRQ_TOPIC_PREFIX` (through `env`) is put in
 * front of every topic name: several airq installations, or test runs, can
 * then share one cluster without sharing topics.
 */
export async function loadTopicsConfig(
  env: EnvReader = () => undefined,
  path: string | URL = new URL("topics.json", CONFIG_DIR),
): Promise<TopicsConfig> {
  const config = await loadConfig(path, TopicsConfigSchema);
  const prefix = env("AIRQ_TOPIC_PREFIX") ?? "";
  if (prefix !== "" && !/^[A-Za-z0-9._-]{1,100}$/.test(prefix)) {
    throw new Error(`AIRQ_TOPIC_PREFIX "${prefix}" must be letters, digits, '.', '_' or '-'`);
  }
  return { ...config, topics: config.topics.map((t) => ({ ...t, name: prefix + t.name })) };
}

/** The topics of `config/topics.json`, or the file as loaded. */
export type Topics = TopicsConfig | readonly TopicConfig[];

/** The topic with role `role`, or undefined when the configuration has none. */
export function findTopicByRole(topics: Topics, role: TopicRole): TopicConfig | undefined {
  const list = "topics" in topics ? topics.topics : topics;
  return list.find((t) => t.role === role);
}

/**
 * The topic with role `role`.
 *
 * @throws {Error} when the configuration has no topic with that role.
 */
export function topicByRole(topics: Topics, role: TopicRole): TopicConfig {
  const topic = findTopicByRole(topics, role);
  if (topic === undefined) throw new Error(`config/topics.json has no topic with role "${role}"`);
  return topic;
}
