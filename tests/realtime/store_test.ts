/**
 * The forecaster with its store, on the real broker through the tasks:
 * forecasts, estimates and alerts are stored as well as published (`quality
 * --json` and `monitor` report them), a measured NO2 exceedance reaches the
 * alerts topic in the same transaction, and a restarted forecaster on a
 * station the store already knows warm-starts from the stored readings (the
 * model answers at once instead of persistence for 24 hours).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createKafka } from "../../lib/kafka/mod.ts";
import { type PipelineContext, pipelineContext, readCommitted, runTask } from "../_pipeline.ts";
import { trainSmallModels } from "../_models.ts";
import { MonitorEpisodesOutputSchema } from "../../lib/monitoring/mod.ts";
import type { Alert } from "../../lib/records/mod.ts";

const FIXTURE = "tests/fixtures/uci_head.csv";
const READINGS = 48;
/** Rows of the fixture (0-based, after the header) whose NO2(GT) becomes 250 µg/m³. */
const HIGH_NO2_ROWS = [20, 21, 22];

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

async function run(ctx: PipelineContext, task: string, args: string[], env = ctx.env) {
  const r = await runTask(task, args, env);
  assert.equal(r.code, 0, `${task}: ${r.stderr}`);
  return lastJson(r.stdout);
}

Deno.test("forecaster + store: stored forecasts and alerts, an NO2 exceedance alert, a warm start", async () => {
  const ctx = await pipelineContext();
  const kafka = createKafka(ctx.kafka);
  try {
    const models = (await trainSmallModels(ctx.dir, ctx.env, 500)).modelDir;
    // the fixture with three hours of NO2 above the EU hourly limit
    const lines = (await Deno.readTextFile(FIXTURE)).split(/\r?\n/);
    for (const row of HIGH_NO2_ROWS) {
      const cells = lines[1 + row]!.split(";");
      cells[9] = "250";
      lines[1 + row] = cells.join(";");
    }
    const input = join(ctx.dir, "fixture.csv");
    await Deno.writeTextFile(input, lines.join("\n"));
    const db = join(ctx.dir, "airq.db");

    const produced = await run(ctx, "produce", ["--input", input, "--speed", "max", "--json"]);
    assert.equal(produced["sent"], READINGS);
    const consumed = await run(ctx, "consume", [
      "--db",
      db,
      "--exit-when-idle",
      "2",
      "--json",
    ]);
    assert.equal(consumed["stored"], READINGS);
    const first = await run(ctx, "forecast", [
      "--db",
      db,
      "--models",
      models,
      "--exit-when-idle",
      "2",
      "--json",
    ]);
    assert.equal(first["forecasts"], READINGS * 12);
    // nothing stored before the first reading: 24 hours of persistence, then the model
    assert.equal(first["warm_started_stations"], 0);
    assert.equal(first["baseline_forecasts"], 24 * 12);

    const quality = await run(ctx, "quality", ["--db", db, "--json"]);
    assert.equal(quality["stored_readings"], READINGS);
    assert.equal(quality["forecasts"], READINGS * 12);
    assert.equal(quality["estimates"], first["estimates"]);
    assert.ok((quality["alerts"] as number) >= 1, JSON.stringify(quality));

    // the exceedance: on the alerts topic (read_committed) and in the store, with its evidence
    const published = await readCommitted(kafka, ctx.alerts, first["alerts"] as number);
    assert.equal(published.length, first["alerts"]);
    const exceedance = published.find((a) =>
      a["kind"] === "exceedance" && a["field"] === "no2_ug_m3" && a["state"] === "firing" &&
      (a["evidence"] as { threshold: number }).threshold === 200
    );
    assert.ok(exceedance !== undefined, JSON.stringify(published.map((a) => a["reason"])));
    assert.equal(exceedance["severity"], "critical");
    const evidence = exceedance["evidence"] as { value: number; threshold: number };
    assert.equal(evidence.value, 250);
    assert.equal(evidence.threshold, 200);

    const monitor = await run(ctx, "monitor", ["--db", db, "--alerts", "5"]);
    const snapshot = monitor["monitor"] as { counts: { readings: number; scored_model: number } };
    assert.equal(snapshot.counts.readings, READINGS);
    assert.ok(snapshot.counts.scored_model > 0, "model forecasts were scored against readings");
    assert.equal((monitor["store"] as { forecasts: number }).forecasts, READINGS * 12);
    assert.ok((monitor["recent_alerts"] as unknown[]).length >= 1);
    // --episodes: every drift episode of the store, one per alert id, in the one schema
    const all = await run(ctx, "monitor", ["--db", db, "--alerts", "100000", "--episodes"]);
    const episodes = MonitorEpisodesOutputSchema.parse(all).drift_episodes;
    const driftIds = new Set(
      (all["recent_alerts"] as Alert[]).filter((a) => a.kind === "drift").map((a) => a.alert_id),
    );
    assert.deepEqual(new Set(episodes.map((e) => e.alert_id)), driftIds);

    // warm start: a new forecaster group on fresh topics gets only hours 30..47; the store has
    // hours 0..29, so the model answers from the first reading on
    const env2 = { ...ctx.env, AIRQ_TOPIC_PREFIX: `${ctx.prefix}w.` };
    const late = await run(ctx, "produce", [
      "--input",
      input,
      "--speed",
      "max",
      "--from",
      "2004-03-12T00:00",
      "--json",
    ], env2);
    assert.equal(late["sent"], READINGS - 30);
    const warm = await run(ctx, "forecast", [
      "--db",
      db,
      "--models",
      models,
      "--group",
      "warm",
      "--exit-when-idle",
      "2",
      "--json",
    ], env2);
    assert.equal(warm["readings"], READINGS - 30);
    assert.equal(warm["warm_started_stations"], 1);
    assert.equal(warm["warm_start_readings"], 30);
    assert.equal(warm["baseline_forecasts"], 0, "the model answered from the first reading");
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});
