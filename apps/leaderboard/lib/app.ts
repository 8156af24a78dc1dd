/**
 * The whole leaderboard in one process: Redis (a private redis-server unless a
 * URL is given), the consumer, the board hub, the web server, and the
 * simulated voters. `stop()` takes them down in reverse order.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { KafkaConfig } from "../../../lib/config/mod.ts";
import { CleanupStack } from "../../../lib/stop.ts";
import { type LeaderboardConfig, topicByRole, topicSpecByRole } from "./leaderboard_config.ts";
import { runVoteConsumer, type VoteConsumerStats } from "./consume.ts";
import { BoardHub } from "./hub.ts";
import { VotePublisher } from "./kafka.ts";
import { type RedisServer, startRedisServer } from "./redis_server.ts";
import { createLeaderboardHandler, loadAssets } from "./server.ts";
import { connectStore, type LeaderboardStore } from "./store.ts";
import { runVoters, type VoterStats } from "./voters.ts";

const log = getLogger(["airq", "leaderboard"]);

/** The page's files. */
export const WEB_DIR: URL = new URL("../web/", import.meta.url);

/** Options of `startLeaderboardApp`. */
export interface AppOptions {
  kafka: KafkaConfig;
  config: LeaderboardConfig;
  /** An existing Redis (REDIS_URL); undefined starts a private redis-server. */
  redisUrl?: string | undefined;
  /** Web server port (0 = any free one); default from config. */
  port?: number | undefined;
  /** Run the simulated voters. */
  simulate: boolean;
  /** Override the consumer group (tests). */
  groupId?: string | undefined;
  /** How long to wait for the consumer to join its group. */
  joinTimeoutMs?: number;
}

/** A running leaderboard. */
export interface LeaderboardApp {
  /** The page, e.g. http://127.0.0.1:8787/. */
  url: string;
  store: LeaderboardStore;
  /** Stops everything it started; resolves with the consumer's and voters' counters. */
  stop(): Promise<{ consumer: VoteConsumerStats | null; voters: VoterStats | null }>;
}

/** Starts the leaderboard; on a start-up failure, stops whatever it had started. */
export async function startLeaderboardApp(options: AppOptions): Promise<LeaderboardApp> {
  const { config } = options;
  const cleanups = new CleanupStack(log);
  const cleanup = () => cleanups.run();
  try {
    let redisUrl = options.redisUrl;
    if (redisUrl === undefined) {
      const server: RedisServer = await startRedisServer({
        timeoutMs: config.redis.startTimeoutMs,
      });
      cleanups.push(() => server.stop());
      redisUrl = server.url;
    }
    const store = await connectStore(redisUrl, config.redis);
    cleanups.push(() => store.close());

    const publisher = new VotePublisher(options.kafka, topicSpecByRole(config, "votes"));
    cleanups.push(() => publisher.disconnect());
    await publisher.connect(config.topics);

    const controller = new AbortController();
    let joined!: () => void;
    const join = new Promise<void>((resolve) => (joined = resolve));
    const consumer = runVoteConsumer({
      kafka: options.kafka,
      settings: config.consumer,
      groupId: options.groupId ?? config.consumer.groupId,
      votesTopic: topicByRole(config, "votes"),
      deadLetterTopic: topicByRole(config, "dead_letter"),
      topics: config.topics,
      store,
      signal: controller.signal,
      onJoin: joined,
    });
    cleanups.push(async () => {
      controller.abort();
      await consumer.catch(() => {});
    });
    const joinTimeoutMs = options.joinTimeoutMs ?? 30_000;
    let joinTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      join,
      consumer.then(() => {
        throw new Error("the leaderboard consumer stopped during start-up (see the log above)");
      }),
      new Promise((_, reject) => {
        joinTimer = setTimeout(
          () => reject(new Error(`the consumer did not join its group within ${joinTimeoutMs} ms`)),
          joinTimeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(joinTimer));

    const hub = new BoardHub(store, config.server);
    cleanups.push(() => hub.close());
    await hub.start();

    const handler = createLeaderboardHandler({
      hub,
      assets: await loadAssets(WEB_DIR),
      publish: (event) => publisher.send([event]),
      hostnames: [config.server.hostname],
      maxBodyBytes: config.server.maxBodyBytes,
      rateLimit: config.server.voteRateLimit,
    });
    const server = Deno.serve({
      hostname: config.server.hostname,
      port: options.port ?? config.server.port,
      onListen: () => {},
    }, handler);
    cleanups.push(() => server.shutdown());
    const host = config.server.hostname.includes(":")
      ? `[${config.server.hostname}]`
      : config.server.hostname;
    const url = `http://${host}:${server.addr.port}/`;

    let voters: Promise<VoterStats> | null = null;
    if (options.simulate) {
      const simStop = new AbortController();
      voters = runVoters(publisher, config.simulation, simStop.signal);
      cleanups.push(async () => {
        simStop.abort();
        await voters;
      });
    }
    log.info("Leaderboard on {url} (Redis {redis})", {
      url,
      redis: redisUrl.replace(/\/\/[^@]*@/, "//"),
    });
    return {
      url,
      store,
      stop: async () => {
        await cleanup();
        return {
          consumer: await consumer.catch(() => null),
          voters: voters === null ? null : await voters.catch(() => null),
        };
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
