/**
 * `deno task leaderboard`: the live leaderboard. Starts the local Kafka broker
 * when the brokers are on loopback and none runs (and stops it on exit only if
 * it started it), a private redis-server unless `REDIS_URL` is set, the
 * consumer that applies votes to Redis, the simulated voters (unless
 * `--no-sim`), and the page on http://127.0.0.1:PORT/. Ctrl-C stops it all.
 *
 * ```
 * deno task leaderboard [--port N] [--no-sim] [--rate VOTES_PER_S] [--keep-broker]
 * ```
 *
 * Permissions (the `leaderboard` task; see apps/leaderboard/README.md):
 * `--allow-read=.,$HOME,/tmp` (config, the page's files, the broker's jars and
 * state, redis-server's log), `--allow-write=$HOME/.local/state/airq,$HOME/.cache/airq,/tmp`
 * (broker state and jar cache; redis-server's temp folder),
 * `--allow-env=AIRQ_*,KAFKA_HOME,HOME,NODE_ENV,KAFKAJS_*,REDIS_URL`,
 * `--allow-run=java,mvn,setsid,kill,ps,ss,redis-server`, `--allow-net=127.0.0.1,localhost`.
 *
 * @module
 */
import { type LocalBroker, upConfiguredBroker } from "../../lib/harness/broker/mod.ts";
import { loadKafkaConfig } from "../../lib/config/mod.ts";
import { loadLeaderboardConfig, startLeaderboardApp } from "./lib/mod.ts";
import { env, println } from "../../lib/cli/io.ts";
import { type ArgsOf, defineCommand, opt, runCommand } from "../../lib/cli/command.ts";
import { configureLogging, getLogger } from "../../lib/log.ts";
import { awaitCluster } from "../../lib/kafka/mod.ts";
import { stopOnSignals, stopped } from "../../lib/stop.ts";

const CLI = defineCommand({
  task: "leaderboard",
  description: "The live leaderboard: votes through Kafka into Redis, pushed to a page.",
  options: {
    port: opt.int("web server port on 127.0.0.1 (default from config/leaderboard.json)", {
      min: 0,
      max: 65535,
    }),
    "no-sim": opt.flag("no simulated voters (vote by hand: the page's form or deno task vote)"),
    rate: opt.number("simulated votes per second (default from config/leaderboard.json)", {
      min: 0,
      max: 100_000,
    }),
    "keep-broker": opt.flag("leave a broker this command started running on exit"),
  },
  notes: "Environment: REDIS_URL (use this Redis instead of starting redis-server), " +
    "AIRQ_KAFKA_BROKERS, AIRQ_TOPIC_PREFIX, AIRQ_LOG_LEVEL, AIRQ_LOG_FORMAT.",
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  await configureLogging();
  const log = getLogger(["airq", "leaderboard"]);
  const port = values.port;
  const kafka = await loadKafkaConfig(env);
  const config = await loadLeaderboardConfig(env);
  if (values.rate !== undefined) config.simulation.ratePerS = values.rate;

  // stop on the first signal (to this process or its whole group) within 5 s; past 4.5 s
  // the broker this command started is killed and the process exits
  const stops = stopOnSignals({ graceMs: 4500 });
  let broker: LocalBroker | null = null;
  let startedBroker = false;
  stops.beforeForcedExit(async () => void await broker?.killStarted());
  try {
    const configured = await upConfiguredBroker(kafka, env, {
      signal: stops.signal,
      onBroker: (b) => void (broker = b),
    });
    broker = configured.broker;
    startedBroker = configured.started;
    await awaitCluster(kafka, { signal: stops.signal });
    log.info("Kafka on {brokers}: {summary}", {
      brokers: kafka.brokers.join(","),
      summary: configured.summary,
    });
    const app = await startLeaderboardApp({
      kafka,
      config,
      redisUrl: env("REDIS_URL") || undefined,
      port,
      simulate: !values["no-sim"],
    });
    println(`leaderboard: ${app.url}  (Ctrl-C stops it)`);
    await stopped(stops.signal);
    log.info("{signal}: stopping", { signal: stops.received });
    const stats = await app.stop();
    println(
      `stopped: applied ${stats.consumer?.applied ?? 0} votes, ${
        stats.consumer?.duplicates ?? 0
      } ` +
        `duplicates ignored, ${stats.consumer?.dead_letters ?? 0} dead letters` +
        (stats.voters ? `; simulated ${stats.voters.sent} votes` : ""),
    );
    return 0;
  } finally {
    if (broker && startedBroker && !values["keep-broker"]) {
      const down = await broker.down(stops.received !== null ? { timeoutMs: 3000 } : {});
      println(`stopped the Kafka broker this command started (pid ${down.pid})`);
    }
  }
}

if (import.meta.main) await runCommand(CLI, main);
