/**
 * `deno task consume --db postgres://...` end to end, on the broker that
 * `deno task test` starts and a private PostgreSQL server: a slice of the UCI
 * file is produced, consumed into PostgreSQL and, by a second consumer group,
 * into SQLite; `deno task quality --json` reports the same for both.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pipelineContext, runTask } from "../_pipeline.ts";
import { startTestPostgres } from "./_postgres.ts";

const SLICE = new URL("../fixtures/uci_head.csv", import.meta.url).pathname;

Deno.test("consume --db postgres://… stores a produced slice; quality --json matches the SQLite store", async () => {
  const ctx = await pipelineContext();
  const pg = await startTestPostgres();
  try {
    const produced = await runTask(
      "produce",
      ["--input", SLICE, "--speed", "max", "--json"],
      ctx.env,
    );
    assert.equal(produced.code, 0, produced.stderr);
    const sent = JSON.parse(produced.stdout.trim().split("\n").at(-1)!).sent;
    assert.ok(sent > 0, produced.stdout);

    const url = await pg.createDatabase();
    const sqlite = join(ctx.dir, "airq.db");
    const [toPostgres, toSqlite] = await Promise.all(
      [[url, "pg"], [sqlite, "sqlite"]].map(([db, group]) =>
        runTask(
          "consume",
          ["--db", db!, "--group", `${ctx.prefix}${group}`, "--exit-when-idle", "2", "--json"],
          ctx.env,
        )
      ),
    );
    for (const consumed of [toPostgres!, toSqlite!]) {
      assert.equal(consumed.code, 0, consumed.stderr);
      const c = JSON.parse(consumed.stdout.trim().split("\n").at(-1)!);
      assert.equal(c.outcome, "idle");
      assert.equal(c.consumed, sent);
      assert.equal(c.stored, sent);
    }

    const quality = await runTask("quality", ["--db", url, "--json"], ctx.env);
    assert.equal(quality.code, 0, quality.stderr);
    const q = JSON.parse(quality.stdout);
    assert.equal(q.stored_readings, sent);
    assert.equal(q.stations, 1);
    const reference = await runTask("quality", ["--db", sqlite, "--json"], ctx.env);
    assert.equal(reference.code, 0, reference.stderr);
    assert.deepEqual(q, JSON.parse(reference.stdout));
  } finally {
    await pg.stop();
    await Deno.remove(ctx.dir, { recursive: true });
  }
});
