/**
 * Shared set-up for the leaderboard tests: the shipped config with topics under
 * a unique prefix on the test broker, and a private redis-server per test.
 *
 * @module
 */
import type { KafkaConfig } from "../../../lib/config/mod.ts";
import {
  connectStore,
  type LeaderboardConfig,
  type LeaderboardStore,
  loadLeaderboardConfig,
  type RedisServer,
  startRedisServer,
} from "../lib/mod.ts";
import { testKafkaConfig } from "../../../tests/_kafka.ts";

/** Config with a unique topic prefix; the Kafka config of the test broker. */
export async function leaderboardContext(): Promise<
  { kafka: KafkaConfig; config: LeaderboardConfig; prefix: string }
> {
  const kafka = await testKafkaConfig();
  const prefix = `t${crypto.randomUUID().slice(0, 8)}.`;
  const config = await loadLeaderboardConfig((
    k,
  ) => (k === "AIRQ_TOPIC_PREFIX" ? prefix : undefined));
  return { kafka, config, prefix };
}

/** The shipped config without Kafka (pure and Redis-only tests). */
export async function shippedConfig(): Promise<LeaderboardConfig> {
  return await loadLeaderboardConfig();
}

/** Starts a private redis-server and a store on it; `close` stops both. */
export async function withRedis(
  config: LeaderboardConfig,
  overrides: Partial<LeaderboardConfig["redis"]> = {},
): Promise<{ redis: RedisServer; store: LeaderboardStore; close: () => Promise<void> }> {
  const redis = await startRedisServer();
  try {
    const store = await connectStore(redis.url, { ...config.redis, ...overrides });
    return {
      redis,
      store,
      close: async () => {
        await store.close();
        await redis.stop();
      },
    };
  } catch (error) {
    await redis.stop();
    throw error;
  }
}
