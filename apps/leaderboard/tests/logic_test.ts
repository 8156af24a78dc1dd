/**
 * The pure parts of the leaderboard: decoding votes, the Zipf sampler, the
 * simulated voters' plan, the rate limiter and the board diff.
 */
import assert from "node:assert/strict";
// the pure modules directly (the door also re-exports the Kafka and Redis parts)
import { diffBoards } from "../lib/board.ts";
import { decodeVote, encodeVote, MAX_VOTE_BYTES, newVoteEvent } from "../lib/event.ts";
import { RateLimiter } from "../lib/rate_limit.ts";
import { VotePlanner, zipfSampler } from "../lib/simulate.ts";
import { loadLeaderboardConfig } from "../lib/leaderboard_config.ts";
import { mulberry32 } from "../../../lib/random.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("decodeVote() accepts what encodeVote() writes", () => {
  const event = newVoteEvent("aurora", "favorite", "cli", 0);
  const { key, value } = encodeVote(event);
  assert.equal(key, "aurora");
  assert.deepEqual(decodeVote(key, bytes(value)), { ok: true, event });
});

Deno.test("decodeVote() turns every kind of malformed message into a reason, never a throw", () => {
  const good = encodeVote(newVoteEvent("aurora", "up", "sim"));
  const cases: [string | null, Uint8Array | null, string][] = [
    ["aurora", null, "empty"],
    ["aurora", new Uint8Array(), "empty"],
    ["aurora", new Uint8Array(MAX_VOTE_BYTES + 1).fill(32), "too_large"],
    ["aurora", bytes("{nope"), "invalid_json"],
    ["aurora", new Uint8Array([0xff, 0xfe, 0x7b]), "invalid_json"],
    ["aurora", bytes("[]"), "schema"],
    ["aurora", bytes(good.value.replace('"up"', '"sideways"')), "schema"],
    ["aurora", bytes(good.value.replace('"aurora"', '"<img src=x>"')), "schema"],
    ["aurora", bytes(good.value.replace("}", ',"extra":1}')), "schema"],
    ["basalt", bytes(good.value), "bad_key"],
    [null, bytes(good.value), "bad_key"],
  ];
  for (const [key, value, reason] of cases) {
    const decoded = decodeVote(key, value);
    assert.equal(decoded.ok, false, `${reason}: ${value && new TextDecoder().decode(value)}`);
    if (!decoded.ok) {
      assert.equal(decoded.reason, reason);
      assert.ok(decoded.detail.length > 0);
    }
  }
});

Deno.test("zipfSampler() skews towards the first indices as the exponent grows", () => {
  const random = mulberry32(1);
  const sample = zipfSampler(10, 1.2);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 20_000; i++) counts[sample(random())]++;
  // expected shares: index 0 gets 1 / H(10, 1.2) ≈ 0.405, index 9 gets 10^-1.2 / H ≈ 0.026
  assert.ok(counts[0] / 20_000 > 0.38 && counts[0] / 20_000 < 0.43, `first ${counts[0]}`);
  assert.ok(counts[9] / 20_000 > 0.018 && counts[9] / 20_000 < 0.034, `last ${counts[9]}`);
  for (let k = 1; k < 10; k++) assert.ok(counts[k - 1] > counts[k] * 0.9);
  assert.throws(() => zipfSampler(0, 1), RangeError);
});

Deno.test("VotePlanner keeps the configured rate, and bursts multiply it and favour one skin", async () => {
  const config = (await loadLeaderboardConfig()).simulation;
  const sim = { ...config, ratePerS: 10, burst: { everyS: 10, durationS: 2, factor: 5, focus: 1 } };
  const planner = new VotePlanner(sim);
  let calm = 0;
  // ticks are named by their end: the first period (no burst) ends with the tick at 9.9 s
  for (let t = 100; t < 10_000; t += 100) calm += planner.next(t, 100).length;
  assert.equal(calm, 99); // 10 votes/s, one per 100 ms tick
  const burst = planner.burstAt(10_500);
  assert.ok(burst !== null && sim.skins.includes(burst));
  const during = [];
  for (let t = 10_000; t < 12_000; t += 100) during.push(...planner.next(t, 100));
  assert.equal(during.length, 100); // 50 votes/s for 2 s
  assert.ok(during.every((v) => v.skinId === burst && v.kind === "up"));
  assert.equal(planner.burstAt(12_500), null);
});

Deno.test("RateLimiter allows a burst, then one per refill interval, per key", () => {
  let now = 0;
  const limiter = new RateLimiter({ burst: 3, perSecond: 2, now: () => now, maxKeys: 2 });
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.take("a")), [0, 0, 0, 1]);
  assert.equal(limiter.take("b"), 0); // another client has its own bucket
  now = 500;
  assert.equal(limiter.take("a"), 0);
  assert.equal(limiter.take("a"), 1);
  limiter.take("c"); // evicts a key, the map stays bounded
  assert.equal(limiter.take("c"), 0);
});

Deno.test("diffBoards() lists new, moved and changed rows and those that left", () => {
  const row = (rank: number, skin_id: string, score: number, favorites = 0) => ({
    rank,
    skin_id,
    score,
    favorites,
  });
  const before = [row(1, "a", 5), row(2, "b", 3), row(3, "c", 1)];
  const after = [row(1, "b", 6), row(2, "a", 5), row(3, "d", 2)];
  const changes = diffBoards(before, after);
  assert.deepEqual(changes.upserts.map((r) => r.skin_id), ["b", "a", "d"]);
  assert.deepEqual(changes.removed, ["c"]);
  assert.deepEqual(diffBoards(after, after), { upserts: [], removed: [] });
  assert.deepEqual(diffBoards(after, [{ ...after[0]!, favorites: 1 }, ...after.slice(1)]).upserts, [
    { ...after[0]!, favorites: 1 },
  ]);
});
