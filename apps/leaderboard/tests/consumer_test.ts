/**
 * The leaderboard consumer against the real broker and a real redis-server:
 * votes, duplicates and malformed messages go in; the board counts each vote
 * once, the malformed ones reach the dead-letter topic with their reason, and
 * a redelivery of everything (the group rewound, as after a crash before the
 * commit) and a rebuild into an empty Redis leave the counts unchanged.
 */
import assert from "node:assert/strict";
import { createKafka, groupLag, idempotentProducer, withAdmin } from "../../../lib/kafka/mod.ts";
import {
  encodeVote,
  ensureLeaderboardTopics,
  type LeaderboardStore,
  newVoteEvent,
  runVoteConsumer,
  topicByRole,
  type VoteConsumerStats,
  type VoteEvent,
  type VoteKind,
} from "../lib/mod.ts";
import { connectStore } from "../lib/mod.ts";
import { waitFor } from "../../../tests/_kafka.ts";
import { leaderboardContext, withRedis } from "./_leaderboard.ts";

Deno.test("the leaderboard consumer counts every vote once, through duplicates, redelivery and a rebuild", async () => {
  const { kafka, config } = await leaderboardContext();
  const votesTopic = topicByRole(config, "votes");
  const dlqTopic = topicByRole(config, "dead_letter");
  const groupId = `airq-test-lb-${crypto.randomUUID().slice(0, 8)}`;
  const client = createKafka(kafka, { clientId: "airq-test-leaderboard" });
  const { redis, store, close } = await withRedis(config);
  // idempotent: a retried send must not write a vote twice (the counts below are exact)
  const producer = idempotentProducer(client);
  const dlqReader = client.consumer({ groupId: `${groupId}-dlq`, maxWaitTimeInMs: 100 });
  const consume = (target: LeaderboardStore, signal: AbortSignal) =>
    runVoteConsumer({
      kafka,
      settings: config.consumer,
      groupId,
      votesTopic,
      deadLetterTopic: dlqTopic,
      topics: config.topics,
      store: target,
      signal,
    });
  try {
    await withAdmin(client, (admin) => ensureLeaderboardTopics(admin, config.topics));
    await producer.connect();
    const plan: [string, VoteKind, number][] = [
      ["aurora", "up", 12],
      ["aurora", "down", 3],
      ["basalt", "up", 7],
      ["cinder", "favorite", 5],
      ["cinder", "up", 1],
      ["basalt", "favorite", 2],
    ];
    const events: VoteEvent[] = plan.flatMap(([skin, kind, n]) =>
      Array.from({ length: n }, () => newVoteEvent(skin, kind, "cli"))
    );
    const malformed = [
      { key: "aurora", value: "not json", reason: "invalid_json" },
      { key: "aurora", value: JSON.stringify({ skin_id: "aurora" }), reason: "schema" },
      {
        key: "basalt",
        value: encodeVote(newVoteEvent("aurora", "up", "cli")).value,
        reason: "bad_key",
      },
    ];
    await producer.send({
      topic: votesTopic,
      acks: -1,
      messages: [
        ...events.map(encodeVote),
        ...malformed.map(({ key, value }) => ({ key, value })),
        // the producer's retry, a replaying client: the same events published again
        ...events.slice(0, 10).map(encodeVote),
      ],
    });
    const expected = [
      { rank: 1, skin_id: "aurora", score: 9, favorites: 0 },
      { rank: 2, skin_id: "basalt", score: 7, favorites: 2 },
      { rank: 3, skin_id: "cinder", score: 1, favorites: 5 },
    ];

    // 1. first pass: each vote once, the repeats seen as duplicates, malformed → DLQ
    let controller = new AbortController();
    let run: Promise<VoteConsumerStats> = consume(store, controller.signal);
    // done = every vote and repeat counted AND the group committed to the end of every partition
    // (the board alone can be complete while the stats of a batch on another partition are not)
    const settled = async (target: LeaderboardStore) => {
      const { totals } = await target.board(10);
      return totals.events === events.length && totals.duplicates === 10 &&
        (await groupLag(client, groupId, votesTopic)) === 0;
    };
    await waitFor(() => settled(store), { what: "the first pass" });
    controller.abort();
    const first = await run;
    assert.equal(first.rebuilt, true); // a new group on an empty Redis starts from the beginning
    assert.deepEqual(
      { consumed: first.consumed, applied: first.applied, duplicates: first.duplicates },
      { consumed: events.length + 3 + 10, applied: events.length, duplicates: 10 },
    );
    assert.equal(first.dead_letters, 3);
    let board = await store.board(10);
    assert.deepEqual(board.rows, expected);
    assert.deepEqual(board.totals, { events: events.length, duplicates: 10, skins: 3 });

    // 2. redelivery: offsets rewound as if nothing had been committed → counts unchanged
    await withAdmin(
      client,
      (admin) => admin.resetOffsets({ groupId, topic: votesTopic, earliest: true }),
    );
    controller = new AbortController();
    run = consume(store, controller.signal);
    await waitFor(
      async () => (await store.board(10)).totals.duplicates === 10 + events.length + 10,
      {
        what: "the redelivered batch",
      },
    );
    controller.abort();
    const second = await run;
    assert.equal(second.rebuilt, false);
    assert.equal(second.applied, 0);
    board = await store.board(10);
    assert.deepEqual(board.rows, expected);
    assert.equal(board.totals.events, events.length);

    // 3. an empty Redis (another key prefix): the consumer rewinds its group and rebuilds
    const fresh = await connectStore(redis.url, { ...config.redis, keyPrefix: "rebuilt:" });
    try {
      controller = new AbortController();
      run = consume(fresh, controller.signal);
      await waitFor(() => settled(fresh), { what: "the rebuild" });
      controller.abort();
      const third = await run;
      assert.equal(third.rebuilt, true);
      assert.deepEqual((await fresh.board(10)).rows, expected);
    } finally {
      await fresh.close();
    }

    // the dead letters: original bytes, reason and source in headers (at least once: ≥ 3)
    const letters: { value: string; reason: string; offset: string }[] = [];
    await dlqReader.connect();
    await dlqReader.subscribe({ topic: dlqTopic, fromBeginning: true });
    await dlqReader.run({
      eachMessage: ({ message }) => {
        letters.push({
          value: message.value?.toString() ?? "",
          reason: message.headers?.["airq.reason"]?.toString() ?? "",
          offset: message.headers?.["airq.source.offset"]?.toString() ?? "",
        });
        return Promise.resolve();
      },
    });
    await waitFor(() => letters.length >= 9, { what: "the dead letters of three passes" });
    for (const m of malformed) {
      const found = letters.filter((l) => l.value === m.value);
      assert.ok(found.length >= 1 && found.every((l) => l.reason === m.reason), m.reason);
      assert.match(found[0]!.offset, /^\d+$/);
    }
  } finally {
    await dlqReader.disconnect();
    await producer.disconnect();
    await close();
  }
});
