/**
 * Schemas of the JSON files in `config/`. Unknown keys are errors.
 *
 * @module
 */
import { z } from "zod";

const hostPort = z.string().regex(
  /^[A-Za-z0-9.\-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/,
  "must be host:port, e.g. 127.0.0.1:9092",
);

const port = z.number().int().min(1).max(65535);

/** Settings of the local single-node broker airq starts when the brokers are on loopback. */
export const LocalBrokerConfigSchema = z.strictObject({
  /** KRaft controller listener port; the broker port is taken from `brokers`. */
  controllerPort: port,
  /** JVM heap cap in MiB (-Xmx). */
  heapMb: z.number().int().min(128).max(8192),
  /** How long `up` waits for an admin client to connect. */
  readyTimeoutMs: z.number().int().min(1000),
  /** How long `down` waits after SIGTERM before it gives up (and says so). */
  stopTimeoutMs: z.number().int().min(1000),
});

/** Settings of the local broker. */
export type LocalBrokerConfig = z.infer<typeof LocalBrokerConfigSchema>;

const secretPath = z.string().min(1, "must be a file path");

/**
 * TLS with files: `ca` (PEM, the CA that signed the brokers' certificates; without it
 * the system's roots are used), and for mutual TLS `cert` and `key` (PEM). The
 * broker's certificate is always verified (`rejectUnauthorized` is never false).
 */
export const TlsFilesSchema = z.strictObject({
  ca: secretPath.optional(),
  cert: secretPath.optional(),
  key: secretPath.optional(),
  /** The name to verify in the broker's certificate when it differs from the broker's host. */
  servername: z.string().min(1).optional(),
}).refine((t) => (t.cert === undefined) === (t.key === undefined), {
  message: "cert and key go together (mutual TLS needs both)",
});

/** TLS settings: off, on with the system's roots, or with files. */
export type TlsFiles = z.infer<typeof TlsFilesSchema>;

/** SASL PLAIN and SCRAM: a user name and a password. */
export const SaslPasswordSchema = z.strictObject({
  mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]),
  username: z.string().min(1),
  /** Prefer AIRQ_KAFKA_SASL_PASSWORD over writing the password here. */
  password: z.string(),
});

/**
 * SASL OAUTHBEARER: the token is read on every (re)authentication, from the
 * environment variable `tokenEnv` (default `AIRQ_KAFKA_OAUTH_TOKEN`) or, when
 * `tokenFile` is set, from that file, which something else (a sidecar, a cron
 * job) keeps fresh. airq runs no token command: that would need --allow-run of
 * an arbitrary program in every Kafka task.
 */
export const SaslOauthSchema = z.strictObject({
  mechanism: z.literal("oauthbearer"),
  tokenEnv: z.string().regex(/^AIRQ_[A-Z0-9_]+$/, "must be an AIRQ_* variable").optional(),
  tokenFile: secretPath.optional(),
});

const SaslSchema = z.discriminatedUnion("mechanism", [SaslPasswordSchema, SaslOauthSchema]);

/** SASL settings. */
export type SaslConfig = z.infer<typeof SaslSchema>;

/**
 * A host name or IP address, optionally with `:port`, for `allowHosts`; `*.` in front
 * allows every subdomain (Deno's --allow-net wildcard), for clusters whose brokers
 * advertise other names than the bootstrap address (e.g. `*.confluent.cloud:9092`).
 */
const allowHost = z.string().regex(
  /^(\*\.)?[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:]+\](:\d{1,5})?$/,
  "must be a host or host:port, e.g. auth.example.com:443 or *.example.com:9092",
);

/** `config/kafka.json`: where the brokers are and how to reach them. */
export const KafkaConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  clientId: z.string().min(1),
  brokers: z.array(hostPort).min(1),
  /** `false`, `true` (system roots), or files: see {@linkcode TlsFilesSchema}. */
  ssl: z.union([z.boolean(), TlsFilesSchema]),
  sasl: SaslSchema.nullable(),
  /**
   * Hosts the Kafka tasks may reach besides the brokers (e.g. a schema registry or
   * an OAuth token endpoint); the launcher adds them to --allow-net.
   */
  allowHosts: z.array(allowHost).default([]),
  /** kafkajs `connectionTimeout`: one TCP connection attempt to one broker. */
  connectionTimeoutMs: z.number().int().min(100),
  requestTimeoutMs: z.number().int().min(100),
  /**
   * How long a command waits for the cluster's first answer before it gives up
   * with one line (what it tried, what to do) instead of retrying forever.
   */
  clusterWaitMs: z.number().int().min(500).max(600_000),
  /**
   * kafkajs `metadataMaxAge` of every producer and consumer: how old the cached
   * leaders may get before a client asks again. kafkajs's default (5 min) left a
   * consumer fetching nothing from the partitions of a killed leader until then
   * (docs/cluster.md).
   */
  metadataMaxAgeMs: z.number().int().min(100).max(300_000),
  local: LocalBrokerConfigSchema,
});

/** `config/kafka.json` after environment overrides. */
export type KafkaConfig = z.infer<typeof KafkaConfigSchema>;

/** What a topic is for; the dashboard and `broker status` find topics by role. */
export const TOPIC_ROLES = [
  "raw",
  "dead_letter",
  "clean",
  "forecasts",
  "estimates",
  "alerts",
] as const;

/** A topic's role. */
export type TopicRole = typeof TOPIC_ROLES[number];

const topicName = z.string().regex(
  /^[A-Za-z0-9._-]{1,249}$/,
  "must be a Kafka topic name (letters, digits, '.', '_', '-')",
);

/** One topic airq creates explicitly. */
export const TopicConfigSchema = z.strictObject({
  name: topicName,
  role: z.enum(TOPIC_ROLES),
  partitions: z.number().int().min(1).max(1000),
  replicationFactor: z.number().int().min(1).max(10),
  /** Topic-level configs passed to CreateTopics, e.g. retention.ms, cleanup.policy. */
  configs: z.record(z.string(), z.string()),
  /** Why these settings: shown by `broker status` and the docs. */
  why: z.string(),
});

/** One topic airq creates explicitly. */
export type TopicConfig = z.infer<typeof TopicConfigSchema>;

/** `config/topics.json`. */
export const TopicsConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  topics: z.array(TopicConfigSchema).min(1),
});

/** `config/topics.json`. */
export type TopicsConfig = z.infer<typeof TopicsConfigSchema>;

const probability = z.number().min(0).max(1);

/** `config/producer.json`: defaults of the replay producer. */
export const ProducerConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  /** Dataset path; null = the shared copy or a verified download. */
  input: z.string().min(1).nullable(),
  /** The station's fixed UTC offset (its clock has no daylight-saving jumps). */
  utcOffset: z.string().regex(/^(?:Z|[+-]\d{2}:\d{2})$/, "must be Z or ±HH:MM"),
  /** "max", "realtime" or a factor as text (3600 = one hour of data per second). */
  speed: z.string().min(1),
  stations: z.number().int().min(1).max(10_000),
  seed: z.number().int().min(0).max(2 ** 32 - 1),
  batchSize: z.number().int().min(1).max(100_000),
  lingerMs: z.number().int().min(0).max(10_000),
  compression: z.enum(["none", "gzip"]),
  /** kafkajs retry: exponential backoff (multiplier) with jitter (factor). */
  retry: z.strictObject({
    initialRetryTimeMs: z.number().int().min(1),
    maxRetryTimeMs: z.number().int().min(1),
    multiplier: z.number().min(1),
    factor: z.number().min(0).max(1),
  }),
  progressIntervalMs: z.number().int().min(100),
  faults: z.strictObject({
    late: probability,
    duplicate: probability,
    outage: probability,
    jitterMs: z.number().min(0),
  }),
});

/** `config/producer.json`. */
export type ProducerConfig = z.infer<typeof ProducerConfigSchema>;

/**
 * The metrics and health listener of a long-running process (consumer,
 * forecaster): `port` on 127.0.0.1, or null for none (the default; a second
 * listener is opt-in). `--metrics-port N` overrides it; 0 picks a free port.
 */
export const MetricsConfigSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).nullable(),
});

/** The `metrics` block of a process's config. */
export type MetricsConfig = z.infer<typeof MetricsConfigSchema>;

/** `config/consumer.json`: defaults of the validating consumer. */
export const ConsumerConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  /** SQLite file, relative to the directory the command was started from. */
  db: z.string().min(1),
  groupId: z.string().min(1),
  /** SQLite `synchronous`: NORMAL survives a process crash (kill -9), FULL also a power loss. */
  synchronous: z.enum(["NORMAL", "FULL"]),
  sessionTimeoutMs: z.number().int().min(6000),
  heartbeatIntervalMs: z.number().int().min(100),
  maxBytesPerPartition: z.number().int().min(1024),
  maxWaitTimeMs: z.number().int().min(0),
  partitionsConsumedConcurrently: z.number().int().min(1).max(64),
  statsIntervalMs: z.number().int().min(100),
  evaluateIntervalMs: z.number().int().min(100),
  metrics: MetricsConfigSchema,
});

/** `config/consumer.json`. */
export type ConsumerConfig = z.infer<typeof ConsumerConfigSchema>;
