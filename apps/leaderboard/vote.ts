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
import { parseArgs } from "node:util";
import { z } from "zod";
import { loadKafkaConfig } from "../../lib/config/mod.ts";
import {
  loadLeaderboardConfig,
  newVoteEvent,
  SkinIdSchema,
  topicByRole,
  VOTE_KINDS,
  VotePublisher,
} from "./lib/mod.ts";
import { env, println, runMain } from "../../lib/cli/io.ts";
import { configureLogging } from "../../lib/log.ts";
import { awaitCluster } from "../../lib/kafka/mod.ts";
import { stopOnSignals, untilAborted } from "../../lib/stop.ts";

const HELP = `Fire leaderboard votes by hand.

  --skin ID                 the skin (1-32 of a-z, 0-9, '-', '_')
  --kind up|down|favorite   what the vote does
  --count N                 how many votes (default 1, at most 100000)`;

const ArgsSchema = z.strictObject({
  skin: SkinIdSchema,
  kind: z.enum(VOTE_KINDS),
  count: z.coerce.number().int().min(1).max(100_000),
});

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      skin: { type: "string" },
      kind: { type: "string" },
      count: { type: "string", default: "1" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    println(HELP);
    return 0;
  }
  const args = ArgsSchema.safeParse({ skin: values.skin, kind: values.kind, count: values.count });
  if (!args.success) {
    throw new TypeError(`Invalid arguments:\n${z.prettifyError(args.error)}\n\n${HELP}`);
  }
  await configureLogging({ format: Deno.stderr.isTerminal() ? "text" : "json", level: "warning" });
  const kafka = await loadKafkaConfig(env);
  const config = await loadLeaderboardConfig(env);
  const stops = stopOnSignals();
  await awaitCluster(kafka, { signal: stops.signal });
  const publisher = new VotePublisher(kafka, topicByRole(config, "votes"), {
    clientId: `${kafka.clientId}-vote`,
  });
  const { skin, kind, count } = args.data;
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

if (import.meta.main) await runMain(main);
