/**
 * The broker restart drill: the test broker is stopped (SIGTERM) and started
 * again on the same data while a replay and a consumer run. Nothing lost,
 * nothing duplicated.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { LocalBroker, resolveDirs } from "../../lib/harness/broker/mod.ts";
import { CONFIG_DIR } from "../../lib/config/mod.ts";
import { brokerRestartDrill } from "../../lib/harness/drills.ts";
import { pipelineContext } from "../_pipeline.ts";
import { UCI_PATH } from "../_data.ts";

Deno.test({
  name: "restart the broker mid-replay: nothing lost, nothing duplicated",
  // the restarted broker is a child of this test and must outlive it (the runner stops it)
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const ctx = await pipelineContext();
    const stateDir = Deno.env.get("AIRQ_TEST_BROKER_STATE_DIR");
    assert.ok(stateDir, "run through deno task test");
    const broker = new LocalBroker({
      config: ctx.kafka,
      stateDir,
      cacheDir: resolveDirs((name) => Deno.env.get(name)).cacheDir,
      configDir: CONFIG_DIR,
    });
    try {
      const report = await brokerRestartDrill({
        env: ctx.env,
        dbPath: join(ctx.dir, "airq.db"),
        input: UCI_PATH,
        stations: 12,
        afterMs: 1500,
        restartBroker: async () => {
          const down = await broker.down();
          assert.equal(down.outcome, "stopped");
          const up = await broker.up();
          assert.equal(up.outcome, "started");
        },
      });
      assert.equal(report.produced, 12 * 9357, JSON.stringify(report));
      assert.equal(report.stored_readings, 12 * 9357, JSON.stringify(report));
      assert.equal(report.dead_letters, 0);
    } finally {
      await Deno.remove(ctx.dir, { recursive: true });
    }
  },
});
