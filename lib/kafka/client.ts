/**
 * The one module that imports kafkajs. Everything else in airq talks to Kafka
 * through the factory and the types re-exported here.
 *
 * @module
 */
// first: replaces kafkajs's read_committed filter before kafkajs loads (./read_committed.ts)
import "./read_committed.ts";
// first too: a faster CRC-32C for kafkajs's record batches (./crc32c.ts)
import "./crc32c.ts";
// and the produce request's record batch in one buffer (./record_batch.ts)
import "./record_batch.ts";
// and a send whose retries cannot double a batch or skip a partition (./send_messages.ts)
import "./send_messages.ts";
// and a fetch manager that starts no fetchers once the consumer is stopping (./fetch_manager.ts)
import "./fetch_manager.ts";
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
import type { ConnectionOptions } from "node:tls";
import type { KafkaConfig, SaslConfig } from "../config/mod.ts";
import { cacheCoordinators, type CoordinatorStats } from "./coordinators.ts";

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
 * start; and CONCURRENT_TRANSACTIONS, which the forecaster meets whenever a
 * partition's next transaction starts before the coordinator has written the
 * previous commit's markers (retried after 2 ms: docs/realtime.md), two
 * ERROR lines per retry, several a second at 1,000 readings/s. They are logged
 * at debug level so they do not look like failures; a retry that runs out
 * fails the call, and its caller reports that.
 */
const TRANSIENT = [
  "coordinator is loading",
  "coordinator is not available",
  "There is no leader for this topic-partition",
  "This server does not host this topic-partition",
  "another concurrent operation on the same transaction was ongoing",
];

/** Whether a kafkajs ERROR line (its `error`, else its message) is one of the {@linkcode TRANSIENT} retries. */
export function transientKafkaError(text: string): boolean {
  return TRANSIENT.some((t) => text.includes(t));
}

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
  /** Coordinator lookups of this client's producers, consumers and admins. */
  readonly coordinatorStats: CoordinatorStats = { hits: 0, lookups: 0 };
  /**
   * `metadataMaxAge` omitted: kafkajs's own default. Coordinator answers are
   * kept as long as metadata (5 s when omitted; lib/kafka/coordinators.ts).
   */
  constructor(settings: KafkajsConfig, metadataMaxAge?: number) {
    super(settings);
    this.#defaults = metadataMaxAge === undefined ? {} : { metadataMaxAge };
    cacheCoordinators(this, metadataMaxAge ?? 5_000, this.coordinatorStats);
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
    ssl: tlsOptions(config.ssl),
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    logLevel: logLevel.INFO,
    logCreator: () => ({ namespace, level, log }) => {
      const { message, ...rest } = log;
      const properties = { namespace, ...rest };
      if (level === logLevel.ERROR || level === logLevel.NOTHING) {
        if (
          options.quiet || transientKafkaError(String(rest["error"] ?? message))
        ) {
          kafkaLog.debug(message, properties);
        } else kafkaLog.error(message, properties);
      } else if (level === logLevel.WARN) kafkaLog.warn(message, properties);
      else if (level === logLevel.INFO) kafkaLog.debug(message, properties);
      else kafkaLog.trace(message, properties);
    },
  };
  if (config.sasl !== null) settings.sasl = saslOptions(config.sasl);
  if (options.retry !== undefined) settings.retry = options.retry;
  return new Kafka(settings, config.metadataMaxAgeMs);
}

/** Where each TLS file can be set, for error messages. */
const TLS_SOURCES: Record<"ca" | "cert" | "key", string> = {
  ca:
    "ssl.ca in config/kafka.json, AIRQ_KAFKA_SSL_CA, or ssl.truststore.location / ssl.ca.location " +
    "in the AIRQ_KAFKA_PROPERTIES file",
  cert: "ssl.cert in config/kafka.json, AIRQ_KAFKA_SSL_CERT, or ssl.certificate.location in the " +
    "AIRQ_KAFKA_PROPERTIES file",
  key: "ssl.key in config/kafka.json, AIRQ_KAFKA_SSL_KEY, or ssl.key.location in the " +
    "AIRQ_KAFKA_PROPERTIES file",
};

/** What a PEM file of each kind must contain. */
const PEM_MARK: Record<"ca" | "cert" | "key", RegExp> = {
  ca: /-----BEGIN CERTIFICATE-----/,
  cert: /-----BEGIN CERTIFICATE-----/,
  key: /-----BEGIN (RSA |EC )?PRIVATE KEY-----/,
};

/** Reads one TLS file; the error names the setting and the file, and says what to do. */
function readTlsFile(field: "ca" | "cert" | "key", path: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotCapable
      ? "this process may not read it (run the command through its deno task: the launcher " +
        "adds the configured TLS files to --allow-read; docs/security.md)"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new Error(
      `Kafka TLS setting ssl.${field}: cannot read "${path}": ${why}. Set by ${
        TLS_SOURCES[field]
      }.`,
    );
  }
  if (!PEM_MARK[field].test(text)) {
    throw new Error(
      `Kafka TLS setting ssl.${field}: "${path}" is not a PEM ${
        field === "key" ? "unencrypted private key" : "certificate"
      } (a JKS or PKCS12 store must be converted to PEM first; docs/security.md). Set by ${
        TLS_SOURCES[field]
      }.`,
    );
  }
  return text;
}

/**
 * kafkajs' `ssl` from airq's: `false`, `true` (the system's roots), or the PEM
 * files read now. The broker's certificate is always verified.
 *
 * @throws {Error} naming the setting and the file when a file cannot be read or is not PEM.
 */
export function tlsOptions(ssl: KafkaConfig["ssl"]): boolean | ConnectionOptions {
  if (typeof ssl === "boolean") return ssl;
  const options: ConnectionOptions = { rejectUnauthorized: true };
  if (ssl.ca !== undefined) options.ca = [readTlsFile("ca", ssl.ca)];
  if (ssl.cert !== undefined) options.cert = readTlsFile("cert", ssl.cert);
  if (ssl.key !== undefined) options.key = readTlsFile("key", ssl.key);
  if (ssl.servername !== undefined) options.servername = ssl.servername;
  return options;
}

/** The default variable of an OAUTHBEARER token. */
export const OAUTH_TOKEN_ENV = "AIRQ_KAFKA_OAUTH_TOKEN";

/**
 * kafkajs' `sasl` from airq's. For OAUTHBEARER the token is read on every
 * authentication (from `tokenFile`, else the variable `tokenEnv`), so a token
 * refreshed outside the process is picked up at the next connection.
 */
export function saslOptions(sasl: SaslConfig): SASLOptions {
  if (sasl.mechanism !== "oauthbearer") return { ...sasl };
  const { tokenFile } = sasl;
  const variable = sasl.tokenEnv ?? OAUTH_TOKEN_ENV;
  return {
    mechanism: "oauthbearer",
    oauthBearerProvider: async () => {
      let value: string | undefined;
      if (tokenFile !== undefined) {
        try {
          value = (await Deno.readTextFile(tokenFile)).trim();
        } catch (error) {
          throw new Error(
            `Kafka OAUTHBEARER: cannot read the token file "${tokenFile}" (sasl.tokenFile / ` +
              `AIRQ_KAFKA_OAUTH_TOKEN_FILE): ${error instanceof Error ? error.message : error}`,
          );
        }
      } else value = Deno.env.get(variable)?.trim();
      if (!value) {
        throw new Error(
          `Kafka OAUTHBEARER: no token: ${
            tokenFile !== undefined ? `the file "${tokenFile}" is empty` : `${variable} is not set`
          }`,
        );
      }
      return { value };
    },
  };
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
