/**
 * The Redis side against a real redis-server: votes are applied exactly once
 * per event id however often they arrive, scores and favourites are kept
 * apart, and applied ids expire after the configured TTL.
 */
import assert from "node:assert/strict";
import { newVoteEvent, type VoteEvent, type VoteKind } from "../lib/mod.ts";
import { shippedConfig, withRedis } from "./_leaderboard.ts";

function votes(skin: string, kind: VoteKind, n: number): VoteEvent[] {
  return Array.from({ length: n }, () => newVoteEvent(skin, kind, "cli"));
}

Deno.test("LeaderboardStore applies each event once: the same events again change nothing", async () => {
  const config = await shippedConfig();
  // chunks of 4: a batch spans several script calls
  const { store, close } = await withRedis(config, { chunkSize: 4, dedupeTtlS: 120 });
  try {
    const events = [
      ...votes("aurora", "up", 5),
      ...votes("aurora", "down", 2),
      ...votes("basalt", "up", 4),
      ...votes("cinder", "favorite", 3),
      ...votes("basalt", "favorite", 1),
    ];
    assert.deepEqual(await store.applyEvents(events), { applied: 15, duplicates: 0 });
    const expected = {
      rows: [
        { rank: 1, skin_id: "basalt", score: 4, favorites: 1 },
        { rank: 2, skin_id: "aurora", score: 3, favorites: 0 },
        { rank: 3, skin_id: "cinder", score: 0, favorites: 3 },
      ],
      totals: { events: 15, duplicates: 0, skins: 3 },
    };
    assert.deepEqual(await store.board(10), expected);

    // a redelivery of the whole batch, and a shuffled replay of part of it
    assert.deepEqual(await store.applyEvents(events), { applied: 0, duplicates: 15 });
    assert.deepEqual(await store.applyEvents(events.slice(3, 9).reverse()), {
      applied: 0,
      duplicates: 6,
    });
    const after = await store.board(10);
    assert.deepEqual(after.rows, expected.rows);
    assert.deepEqual(after.totals, { events: 15, duplicates: 21, skins: 3 });

    // duplicates inside one batch count once too
    const one = newVoteEvent("dune", "up", "cli");
    assert.deepEqual(await store.applyEvents([one, one, one]), { applied: 1, duplicates: 2 });
    assert.equal((await store.board(2)).rows.length, 2);

    const ttl = await store.eventTtl(events[0]!.event_id);
    assert.ok(ttl > 100 && ttl <= 120, `ttl ${ttl}`);
    assert.equal(await store.eventTtl("never-seen-id"), -2);
  } finally {
    await close();
  }
});

Deno.test("LeaderboardStore notifies subscribers when votes were applied, not for duplicates", async () => {
  const config = await shippedConfig();
  const { store, close } = await withRedis(config);
  try {
    let notices = 0;
    const unsubscribe = await store.subscribe(() => notices++);
    const events = votes("aurora", "up", 3);
    await store.applyEvents(events);
    await store.applyEvents(events);
    await store.board(1); // a round trip: the notice of the first call has arrived by now
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(notices, 1);
    await unsubscribe();
  } finally {
    await close();
  }
});

Deno.test("startRedisServer() refuses clients without its password and removes its folder on stop", async () => {
  const config = await shippedConfig();
  const { redis, close } = await withRedis(config);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: redis.port });
  try {
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(128);
    const n = await conn.read(buf);
    assert.match(new TextDecoder().decode(buf.subarray(0, n ?? 0)), /NOAUTH/);
  } finally {
    conn.close();
    await close();
  }
  await assert.rejects(Deno.stat(redis.dir), Deno.errors.NotFound);
});
