/**
 * `config/leaderboard.json`: the leaderboard's topics (with their own roles,
 * apart from the pipeline's `config/topics.json`), consumer, Redis, web server
 * and simulation settings. Unknown keys are errors.
 *
 * @module
 */
import { z } from "zod";
import { CONFIG_DIR, type EnvReader, loadConfig } from "../../../lib/config/mod.ts";
import { SKIN_ID_PATTERN } from "./event.ts";

/** The leaderboard's file in `config/`. */
export const LEADERBOARD_CONFIG_FILE = "leaderboard.json";

/** What a leaderboard topic is for. */
export const LEADERBOARD_TOPIC_ROLES = ["votes", "dead_letter"] as const;

const topicName = z.string().regex(
  /^[A-Za-z0-9._-]{1,249}$/,
  "must be a Kafka topic name (letters, digits, '.', '_', '-')",
);

/** One topic the leaderboard creates. */
export const LeaderboardTopicSchema = z.strictObject({
  name: topicName,
  role: z.enum(LEADERBOARD_TOPIC_ROLES),
  partitions: z.number().int().min(1).max(1000),
  replicationFactor: z.number().int().min(1).max(10),
  configs: z.record(z.string(), z.string()),
  why: z.string(),
});

/** One topic the leaderboard creates. */
export type LeaderboardTopic = z.infer<typeof LeaderboardTopicSchema>;

const probability = z.number().min(0).max(1);

/** `config/leaderboard.json`. */
export const LeaderboardConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  topics: z.array(LeaderboardTopicSchema).refine(
    (ts) => LEADERBOARD_TOPIC_ROLES.every((r) => ts.filter((t) => t.role === r).length === 1),
    'needs exactly one topic with role "votes" and one with role "dead_letter"',
  ),
  consumer: z.strictObject({
    groupId: z.string().min(1),
    sessionTimeoutMs: z.number().int().min(6000),
    heartbeatIntervalMs: z.number().int().min(100),
    maxWaitTimeMs: z.number().int().min(0),
    maxBytesPerPartition: z.number().int().min(1024),
  }),
  redis: z.strictObject({
    /** Prefix of every Redis key (several boards can share one Redis). */
    keyPrefix: z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/),
    /** How long an applied event id is remembered; must exceed the votes topic's retention. */
    dedupeTtlS: z.number().int().min(60),
    /** Events per Lua call (bounds how long one script blocks Redis). */
    chunkSize: z.number().int().min(1).max(10_000),
    /** How long to wait for the redis-server the task starts. */
    startTimeoutMs: z.number().int().min(100),
  }),
  server: z.strictObject({
    hostname: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    topN: z.number().int().min(1).max(100),
    /** Changes are gathered for this long before one push (coalescing). */
    pushIntervalMs: z.number().int().min(10).max(10_000),
    /** A full re-read this often, in case a change notification was missed. */
    resyncIntervalMs: z.number().int().min(100),
    maxClients: z.number().int().min(1).max(100_000),
    maxBodyBytes: z.number().int().min(64).max(65536),
    /** Token bucket per client address for POST /api/vote. */
    voteRateLimit: z.strictObject({
      burst: z.number().int().min(1),
      perSecond: z.number().positive(),
    }),
  }),
  simulation: z.strictObject({
    seed: z.number().int().min(0).max(2 ** 32 - 1),
    ratePerS: z.number().min(0).max(100_000),
    tickMs: z.number().int().min(10).max(10_000),
    /** Popularity skew: skin k (1-based) is chosen with weight 1 / k^s. */
    zipfExponent: z.number().min(0).max(10),
    kinds: z.strictObject({ up: probability, down: probability, favorite: probability })
      .refine((k) => k.up + k.down + k.favorite > 0, "at least one kind needs weight"),
    burst: z.strictObject({
      /** Seconds between burst starts (0 = no bursts). */
      everyS: z.number().min(0),
      durationS: z.number().min(0),
      /** Rate multiplier during a burst. */
      factor: z.number().min(1),
      /** Share of a burst's votes that are upvotes for one randomly chosen skin. */
      focus: probability,
    }),
    skins: z.array(z.string().regex(SKIN_ID_PATTERN)).min(1).max(10_000),
  }),
});

/** `config/leaderboard.json`. */
export type LeaderboardConfig = z.infer<typeof LeaderboardConfigSchema>;

/**
 * Loads `config/leaderboard.json` and puts `AIRQ_TOPIC_PREFIX` (through `env`)
 * in front of its topic names, as `loadTopicsConfig` does.
 */
export async function loadLeaderboardConfig(
  env: EnvReader = () => undefined,
  path: string | URL = new URL(LEADERBOARD_CONFIG_FILE, CONFIG_DIR),
): Promise<LeaderboardConfig> {
  const config = await loadConfig(path, LeaderboardConfigSchema);
  const prefix = env("AIRQ_TOPIC_PREFIX") ?? "";
  if (prefix !== "" && !/^[A-Za-z0-9._-]{1,100}$/.test(prefix)) {
    throw new Error(`AIRQ_TOPIC_PREFIX "${prefix}" must be letters, digits, '.', '_' or '-'`);
  }
  return { ...config, topics: config.topics.map((t) => ({ ...t, name: prefix + t.name })) };
}

/** The name of the topic with `role`. */
export function topicByRole(
  config: LeaderboardConfig,
  role: typeof LEADERBOARD_TOPIC_ROLES[number],
): string {
  return topicSpecByRole(config, role).name;
}

/** The topic with `role`, as configured (name, partitions, ...). */
export function topicSpecByRole(
  config: LeaderboardConfig,
  role: typeof LEADERBOARD_TOPIC_ROLES[number],
): LeaderboardTopic {
  const topic = config.topics.find((t) => t.role === role);
  if (!topic) throw new Error(`config/leaderboard.json has no topic with role "${role}"`);
  return topic;
}
