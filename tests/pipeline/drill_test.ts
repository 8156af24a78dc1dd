/**
 * The kill -9 drill, short version: the consumer is killed with SIGKILL two
 * times during a replay of 6 virtual stations and restarted; the store must
 * hold every produced reading exactly once. (`deno task drill consumer-kill`
 * runs the long version: ten kills, more stations.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { consumerKillDrill } from "../../lib/harness/drills.ts";
import { pipelineContext } from "../_pipeline.ts";
import { UCI_PATH } from "../_data.ts";

Deno.test("kill -9 the consumer twice during a replay: every reading stored exactly once", async () => {
  const ctx = await pipelineContext();
  try {
    const report = await consumerKillDrill({
      env: ctx.env,
      dbPath: join(ctx.dir, "airq.db"),
      input: UCI_PATH,
      stations: 6,
      kills: 2,
      lifeMs: [100, 600],
      seed: 7,
    });
    assert.equal(report.produced, 6 * 9357);
    assert.equal(report.stored_readings, 6 * 9357, JSON.stringify(report));
    assert.equal(report.dead_letters, 0);
    assert.ok(
      report.kills_mid_stream >= 1,
      `at least one kill hit mid-stream: ${JSON.stringify(report)}`,
    );
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});
