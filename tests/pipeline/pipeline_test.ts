/**
 * The streaming pipeline end to end on the real broker, through the entry
 * scripts with their task permissions: producer.ts -> raw topic -> consumer.ts
 * -> SQLite, then quality.ts. Nothing lost, nothing duplicated, every missing
 * value where the file has -200.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pipelineContext, runTask } from "../_pipeline.ts";
import { UCI_MISSING, UCI_PATH } from "../_data.ts";

Deno.test("produce -> consume -> quality: the whole file stored once, -200 as missing, nothing dead-lettered", async () => {
  const ctx = await pipelineContext();
  const db = join(ctx.dir, "airq.db");
  try {
    const produced = await runTask(
      "produce",
      ["--input", UCI_PATH, "--speed", "max", "--json"],
      ctx.env,
    );
    assert.equal(produced.code, 0, produced.stderr);
    const p = JSON.parse(produced.stdout.trim().split("\n").at(-1)!);
    assert.equal(p.sent, 9357);
    assert.equal(p.failed, 0);
    assert.equal(p.outcome, "completed");

    const consumed = await runTask(
      "consume",
      ["--db", db, "--exit-when-idle", "2", "--json"],
      ctx.env,
    );
    assert.equal(consumed.code, 0, consumed.stderr);
    const c = JSON.parse(consumed.stdout.trim().split("\n").at(-1)!);
    assert.equal(c.outcome, "idle");
    assert.equal(c.consumed, 9357);
    assert.equal(c.stored, 9357);
    assert.equal(c.dead_letters, 0);

    const quality = await runTask("quality", ["--db", db, "--json"], ctx.env);
    assert.equal(quality.code, 0, quality.stderr);
    const q = JSON.parse(quality.stdout);
    assert.equal(q.stored_readings, 9357);
    assert.equal(q.stations, 1);
    assert.equal(q.dead_letters, 0);
    assert.deepEqual(q.missing, UCI_MISSING);

    // a second consumer run in the same group finds nothing new: offsets were committed
    const again = await runTask(
      "consume",
      ["--db", db, "--exit-when-idle", "1", "--json"],
      ctx.env,
    );
    const a = JSON.parse(again.stdout.trim().split("\n").at(-1)!);
    assert.equal(a.consumed, 0);
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});
