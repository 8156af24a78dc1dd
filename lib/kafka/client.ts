/**
 * The one module that imports kafkajs. Everything else in airq talks to Kafka
 * through the factory and the types re-exported here.
 *
 * @module
 */
import {
  type Admin,
  type Consumer,
  type ConsumerConfig,
  Kafka as KafkajsKafka,
  type KafkaConfig as KafkajsConfig,
  logLevel,
  type Producer,
  type ProducerConfig,
  type SASLOptions,
} from "kafkajs";
import process from "node:process";
import { getLogger } from "@logtape/logtape";
import type { KafkaConfig } from "../config/mod.ts";

export type {
  Admin,
  Consumer,
  ConsumerConfig,
  ConsumerRunConfig,
  EachBatchPayload,
  ICustomPartitioner,
  ITopicConfig,
  Message,
  Producer,
  ProducerConfig,
  RecordMetadata,
  Transaction,
} from "kafkajs";
export { CompressionTypes, ConfigResourceTypes, Partitioners } from "kafkajs";

const kafkaLog = getLogger(["airq", "kafkajs"]);

// kafkajs 2.2.4's request queue schedules a timer at `throttledUntil - Date.now()`
// with throttledUntil = -1 when nothing is throttled, i.e. a negative delay, which
// Node semantics clamp to 1 ms and report with a TimeoutNegativeWarning on stderr.
// Harmless; replace the default warning printer with one that drops that warning
// and logs every other one.
process.removeAllListeners("warning");
process.on("warning", (warning: Error) => {
  if (warning.name === "TimeoutNegativeWarning") return;
  kafkaLog.warn("{name}: {message}", { name: warning.name, message: warning.message });
});

/**
 * Messages kafkajs logs at ERROR while it retries something that then works:
 * the group or transaction coordinator is still loading right after a broker
 * start. They are logged at debug level so they do not look like failures.
 */
const TRANSIENT = [
  "coordinator is loading",
  "coordinator is not available",
  "There is no leader for this topic-partition",
  "This server does not host this topic-partition",
];

/** Options for `createKafka`. */
export interface CreateKafkaOptions {
  /** Overrides `clientId` from the config (e.g. per process). */
  clientId?: string;
  /** Retry settings for the client's own connection and request retries. */
  retry?: KafkajsConfig["retry"];
  /** Log kafkajs errors at debug level: for probes, where failure is an answer. */
  quiet?: boolean;
}

/**
 * The kafkajs client, with airq's `metadataMaxAgeMs` as every producer's and
 * consumer's default `metadataMaxAge`. kafkajs 2.2.4 drops a broker whose
 * connection closed from its pool without asking for new metadata, so a
 * consumer kept the dead broker's partitions in its cache and fetched them
 * from nobody until its metadata expired (5 minutes by default): the consumer
 * stalls seen after a leader was killed (docs/cluster.md).
 */
export class Kafka extends KafkajsKafka {
  readonly #defaults: { metadataMaxAge?: number };
  /** `metadataMaxAge` omitted: kafkajs's own default. */
  constructor(settings: KafkajsConfig, metadataMaxAge?: number) {
    super(settings);
    this.#defaults = metadataMaxAge === undefined ? {} : { metadataMaxAge };
  }
  override producer(config: ProducerConfig = {}): Producer {
    return super.producer({ ...this.#defaults, ...config });
  }
  override consumer(config: ConsumerConfig): Consumer {
    return super.consumer({ ...this.#defaults, ...config });
  }
}

/** Builds the kafkajs client from airq's config; SSL and SASL are passed through. */
export function createKafka(config: KafkaConfig, options: CreateKafkaOptions = {}): Kafka {
  const settings: KafkajsConfig = {
    clientId: options.clientId ?? config.clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    logLevel: logLevel.INFO,
    logCreator: () => ({ namespace, level, log }) => {
      const { message, ...rest } = log;
      const properties = { namespace, ...rest };
      if (level === logLevel.ERROR || level === logLevel.NOTHING) {
        if (
          options.quiet || TRANSIENT.some((t) => String(rest["error"] ?? message).includes(t))
        ) {
          kafkaLog.debug(message, properties);
        } else kafkaLog.error(message, properties);
      } else if (level === logLevel.WARN) kafkaLog.warn(message, properties);
      else if (level === logLevel.INFO) kafkaLog.debug(message, properties);
      else kafkaLog.trace(message, properties);
    },
  };
  if (config.sasl !== null) settings.sasl = config.sasl as SASLOptions;
  if (options.retry !== undefined) settings.retry = options.retry;
  return new Kafka(settings, config.metadataMaxAgeMs);
}

/** Creates an admin client, connects it, runs `fn`, and always disconnects. */
export async function withAdmin<T>(
  kafka: Kafka,
  fn: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}
