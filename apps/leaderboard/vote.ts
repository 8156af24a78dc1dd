/**
 * `deno task vote`: fires votes by hand, e.g. to watch one row climb.
 *
 * ```
 * deno task vote --skin ID --kind up|down|favorite [--count N]
 * ```
 *
 * Each vote is a separate event with its own id, published to the votes topic
 * (key = skin id, acks=all); exits 0 once the broker acknowledged all of them.
 * Creates the leaderboard topics if they are missing.
 *
 * Permissions (the `vote` task): `--allow-read=config`,
 * `--allow-env=AIRQ_*,NODE_ENV,KAFKAJS_*`, `--allow-net=127.0.0.1,localhost`.
 *
 * @module
 */
import { loadKafkaConfig } from "../../lib/config/mod.ts";
import {
  loadLeaderboardConfig,
  newVoteEvent,
  SkinIdSchema,
  topicSpecByRole,
  VOTE_KINDS,
  VotePublisher,
} from "./lib/mod.ts";
import { env, println } from "../../lib/cli/io.ts";
import { type ArgsOf, defineCommand, opt, required, runCommand } from "../../lib/cli/command.ts";
import { configureLogging } from "../../lib/log.ts";
import { awaitCluster } from "../../lib/kafka/mod.ts";
import { stopOnSignals, untilAborted } from "../../lib/stop.ts";

const CLI = defineCommand({
  task: "vote",
  description: "Fire leaderboard votes by hand: each one a separate event, acknowledged by the " +
    "broker before the command exits 0.",
  options: {
    skin: required(opt.custom("the skin", {
      value: "ID",
      expected: "1-32 of a-z, 0-9, '-', '_'",
      check: (text) => SkinIdSchema.parse(text),
    })),
    kind: required(opt.choice("what the vote does", VOTE_KINDS)),
    count: opt.int("how many votes", { min: 1, max: 100_000, default: 1 }),
  },
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  await configureLogging({ level: "warning" });
  const kafka = await loadKafkaConfig(env);
  const config = await loadLeaderboardConfig(env);
  const stops = stopOnSignals();
  await awaitCluster(kafka, { signal: stops.signal });
  const publisher = new VotePublisher(kafka, topicSpecByRole(config, "votes"), {
    clientId: `${kafka.clientId}-vote`,
  });
  const { skin, kind, count } = values;
  const events = Array.from({ length: count }, () => newVoteEvent(skin, kind, "cli"));
  try {
    // a wait blocked in kafkajs's retries is abandoned on a stop signal
    await untilAborted(publisher.connect(config.topics), stops.signal);
    for (let i = 0; i < events.length; i += 1000) {
      await untilAborted(publisher.send(events.slice(i, i + 1000)), stops.signal);
    }
  } finally {
    await untilAborted(publisher.disconnect(), stops.signal);
  }
  println(
    `sent ${count} ${kind} vote${count === 1 ? "" : "s"} for ${skin} to ${publisher.topic}` +
      (count === 1 ? ` (event ${events[0]!.event_id})` : ""),
  );
  return 0;
}

if (import.meta.main) await runCommand(CLI, main);
