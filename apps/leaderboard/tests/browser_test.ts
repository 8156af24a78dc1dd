/**
 * The whole leaderboard as a person meets it: `deno task leaderboard` (spawned
 * with its task's exact permissions, on the test broker, with its own
 * redis-server) serves the page; Debian's chromium, driven by playwright-core,
 * loads it without a console error and sees the empty state; votes from
 * `deno task vote` and from the page's form go through Kafka and Redis and
 * come back over the WebSocket; a row climbs, and the test sees it glide
 * (a translateY transform, then a transform transition, on that row).
 * Ctrl-C (SIGINT) then stops the app cleanly and its Redis folder is gone.
 *
 * With AIRQ_SCREENSHOT=apps/leaderboard/leaderboard.png it also saves the screenshot the
 * README shows.
 */
import assert from "node:assert/strict";
import { newVoteEvent, topicSpecByRole, VotePublisher } from "../lib/mod.ts";
import { freePort, waitFor } from "../../../tests/_kafka.ts";
import { runTask, spawnTask } from "../../../tests/_pipeline.ts";
import { leaderboardContext } from "./_leaderboard.ts";
import { Browser, collect } from "../../../tests/_browser.ts";

Deno.test("deno task leaderboard: the page loads cleanly, and a row climbs with a FLIP glide", async () => {
  const { kafka, config, prefix } = await leaderboardContext();
  const stateDir = await Deno.makeTempDir({ prefix: "airq-lb-state-" });
  const port = freePort();
  const env = {
    AIRQ_KAFKA_BROKERS: kafka.brokers.join(","),
    AIRQ_TOPIC_PREFIX: prefix,
    AIRQ_STATE_DIR: stateDir,
    AIRQ_LOG_FORMAT: "json",
    REDIS_URL: "",
    NO_COLOR: "1",
  };
  const app = await spawnTask("leaderboard", ["--port", String(port), "--no-sim"], env);
  const stdout = collect(app.stdout);
  const stderr = collect(app.stderr);
  let exited = false;
  const status = app.status.then((s) => {
    exited = true;
    return s;
  });
  const browser = new Browser(new URL("./_browser.ts", import.meta.url));
  const publisher = new VotePublisher(kafka, topicSpecByRole(config, "votes"));
  try {
    await waitFor(() => exited || stdout.text().includes("leaderboard: http"), {
      timeoutMs: 45_000,
      what: "the leaderboard to start",
    });
    assert.ok(!exited, `the app exited early:\n${stderr.text()}`);
    const url = `http://127.0.0.1:${port}/`;
    assert.match(stdout.text(), new RegExp(`leaderboard: ${url}`));

    const opened = await browser.do<{ emptyVisible: boolean; emptyText: string }>({
      cmd: "open",
      url,
    });
    assert.equal(opened.emptyVisible, true);
    assert.match(opened.emptyText, /waiting for votes/i);

    // votes by hand through the CLI contract, and a few skins from a publisher
    const vote = await runTask("vote", ["--skin", "aurora", "--kind", "up", "--count", "6"], env);
    assert.equal(vote.code, 0, vote.stderr);
    assert.match(vote.stdout, /sent 6 up votes for aurora/);
    await publisher.connect();
    const seed: [string, number, number][] = [
      ["basalt", 5, 2],
      ["cinder", 4, 0],
      ["dune", 3, 1],
      ["ember", 2, 0],
      ["fjord", 1, 3],
    ];
    await publisher.send(seed.flatMap(([skin, ups, favs]) => [
      ...Array.from({ length: ups }, () => newVoteEvent(skin, "up", "cli")),
      ...Array.from({ length: favs }, () => newVoteEvent(skin, "favorite", "cli")),
    ]));
    const seeded = await browser.do<{ order: string[]; emptyVisible: boolean }>({
      cmd: "waitOrder",
      order: ["aurora", "basalt", "cinder", "dune", "ember", "fjord"],
    });
    const before = seeded.order;
    assert.deepEqual(before, ["aurora", "basalt", "cinder", "dune", "ember", "fjord"]);
    assert.equal(seeded.emptyVisible, false);

    // fjord (last, 1 point) gets 6 upvotes from the page's form: 7 points, first place
    await browser.do({ cmd: "record" });
    await browser.do({ cmd: "formVotes", skin: "fjord", kind: "up", count: 6 });
    await browser.do({ cmd: "waitFirst", skin: "fjord" });
    const seen = await browser.do<
      { order: string[]; seen: string[]; rising: boolean; score: string }
    >(
      { cmd: "inspect", skin: "fjord" },
    );
    assert.notDeepEqual(seen.order, before);
    assert.deepEqual(seen.order, ["fjord", "aurora", "basalt", "cinder", "dune", "ember"]);
    const fjord = seen.seen.filter((s) => s.startsWith("fjord|")).join("\n");
    // Invert: fjord moved up the page, so it is first translated back down (a positive y)
    assert.match(fjord, /translateY\(\d+(\.\d+)?px\)/, `fjord put back where it was:\n${fjord}`);
    assert.match(
      fjord,
      /transition: transform \d+ms/,
      "then its translation was transitioned away",
    );
    assert.ok(seen.seen.some((s) => /^aurora\|.*translateY\(-\d/.test(s)), "aurora slid down");
    assert.equal(seen.rising, true);
    // let the score finish ticking towards 7
    await browser.do({ cmd: "waitOrder", order: seen.order });

    const screenshot = Deno.env.get("AIRQ_SCREENSHOT");
    if (screenshot) await browser.do({ cmd: "screenshot", path: screenshot });
    const inspected = await browser.do<{ score: string }>({ cmd: "inspect", skin: "fjord" });
    assert.equal(inspected.score, "7");
    assert.deepEqual(await browser.close(), [], "the page logged no errors or warnings");
  } finally {
    await browser.close().catch(() => []); // after a failure: still stop chromium
    await publisher.disconnect();
    if (!exited) app.kill("SIGINT");
    const code = (await status).code;
    await stdout.done;
    await stderr.done;
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    assert.equal(code, 0, stderr.text());
  }
  assert.match(stdout.text(), /stopped: applied 33 votes, 0 duplicates ignored, 0 dead letters/);
  const redisDir = stderr.text().match(/"dir":"([^"]+airq-redis-[^"]+)"/)?.[1];
  assert.ok(redisDir, "the app logged its redis-server folder");
  await assert.rejects(Deno.stat(redisDir), Deno.errors.NotFound);
});
