/**
 * Retraining on a real broker: the `forecast` task with `--retrain wait`
 * replays enough hours to cross one of evaluate's weekly boundaries; at the
 * boundary it refits from the store (in its worker), applies the challenger
 * rule, and from the boundary's reading on serves the new version. Checked:
 * exactly one forecast set per reading still; the new version in the forecast
 * records on Kafka and in the store from the boundary on, the old one before;
 * the `model_retrained` alert on the alerts topic and in the store; the
 * `forecaster.models` snapshot; and that the decision is the rule applied to
 * the scores the event carries.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { HOUR_MS } from "../../lib/features/mod.ts";
import { createKafka } from "../../lib/kafka/mod.ts";
import { ForecastConfigSchema } from "../../lib/offline/mod.ts";
import {
  AlertSchema,
  forecastRows,
  ForecastSetSchema,
  MODEL_VERSIONS_SNAPSHOT,
  ModelVersionsSnapshotSchema,
} from "../../lib/records/mod.ts";
import { decideChallenger, refitBlock } from "../../lib/realtime/retrain.ts";
import { ForecasterConfigSchema } from "../../lib/realtime/forecaster_config.ts";
import { openStore } from "../../lib/storage/mod.ts";
import { UCI_PATH } from "../_data.ts";
import { pipelineContext, readCommitted, runTask } from "../_pipeline.ts";
import { trainSmallModels } from "../_models.ts";

const TRAIN_ROWS = 2000;
const SLICE_H = 200;
const UTC_OFFSET_MIN = 60;

function localTime(epochMs: number): string {
  return new Date(epochMs + UTC_OFFSET_MIN * 60_000).toISOString().slice(0, 16);
}

Deno.test("retrain wait: a weekly boundary crossed live gives a new model version, one set per reading", async () => {
  const ctx = await pipelineContext();
  const kafka = createKafka(ctx.kafka);
  try {
    const rows = await Array.fromAsync(readUciFile(UCI_PATH, { utcOffset: "+01:00" }));
    const fromMs = rows[0]!.epochMs + TRAIN_ROWS * HOUR_MS;
    const toMs = fromMs + SLICE_H * HOUR_MS;
    const config = ForecastConfigSchema.parse(
      JSON.parse(await Deno.readTextFile("config/forecast.json")),
    );
    const rule = ForecasterConfigSchema.parse(
      JSON.parse(await Deno.readTextFile("config/forecaster.json")),
    ).retrain;
    const anchor = Date.parse(config.testWindow.from), every = config.walkForward.refitEveryH;
    // the boundaries inside the slice: the first reading of each later block
    const boundaries = rows.map((r) => r.epochMs).filter((t) =>
      t >= fromMs && t < toMs &&
      refitBlock(t, anchor, every) > refitBlock(t - HOUR_MS, anchor, every)
    );
    assert.ok(boundaries.length >= 1, "the slice crosses no weekly boundary");
    const boundary = boundaries[0]!;

    const { modelDir } = await trainSmallModels(ctx.dir, ctx.env, TRAIN_ROWS);
    const initial = JSON.parse(await Deno.readTextFile(join(modelDir, "sarima.json"))).createdAt;
    const db = join(ctx.dir, "airq.db");
    // the history, then the slice, into the store (the consumer stores what the refits read)
    for (
      const [prefix, range] of [["h.", ["--to", localTime(fromMs)]], ["", [
        "--from",
        localTime(fromMs),
        "--to",
        localTime(toMs),
      ]]] as const
    ) {
      const env = { ...ctx.env, AIRQ_TOPIC_PREFIX: `${ctx.prefix}${prefix}` };
      const produced = await runTask(
        "produce",
        ["--input", UCI_PATH, "--speed", "max", ...range, "--json"],
        env,
      );
      assert.equal(produced.code, 0, produced.stderr);
      const consumed = await runTask(
        "consume",
        ["--db", db, "--exit-when-idle", "2", "--json"],
        env,
      );
      assert.equal(consumed.code, 0, consumed.stderr);
    }
    const run = await runTask(
      "forecast",
      ["--db", db, "--models", modelDir, "--retrain", "wait", "--exit-when-idle", "2", "--json"],
      ctx.env,
    );
    assert.equal(run.code, 0, run.stderr);

    // exactly one forecast set per reading, and the version by the reading's time
    const sets = (await readCommitted(kafka, `${ctx.prefix}airq.forecasts`, SLICE_H))
      .map((s) => ForecastSetSchema.parse(s));
    assert.equal(sets.length, SLICE_H);
    assert.equal(new Set(sets.map((s) => s.set_id)).size, SLICE_H);
    const versionAt = new Map<number, Set<string>>();
    for (const f of sets.flatMap((s) => forecastRows(s))) {
      if (f.baseline) continue;
      const at = /@([^+]+)/.exec(f.model_version)![1]!;
      const t = Date.parse(f.ts);
      versionAt.set(t, (versionAt.get(t) ?? new Set()).add(at));
    }
    const before = new Set([...versionAt].filter(([t]) => t < boundary).flatMap(([, v]) => [...v]));
    const after = new Set(
      [...versionAt].filter(([t]) =>
        t >= boundary && (boundaries[1] === undefined || t < boundaries[1])
      )
        .flatMap(([, v]) => [...v]),
    );
    assert.deepEqual([...before], [initial]);
    assert.equal(after.size, 1);
    const retrained = [...after][0]!;
    assert.notEqual(retrained, initial);

    // the event: on the alerts topic and in the store, the rule applied to its own scores
    const alerts = (await readCommitted(kafka, `${ctx.prefix}airq.alerts`, boundaries.length, {
      timeoutMs: 5_000,
    })).map((a) => AlertSchema.parse(a)).filter((a) => a.kind === "model_retrained");
    assert.equal(alerts.length, boundaries.length);
    // the run's summary counts them too (bench realtime reads it from there)
    const summary = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    assert.equal(summary.retraining.mode, "wait");
    assert.equal(summary.retraining.refits, boundaries.length);
    assert.equal(
      summary.retraining.promoted,
      alerts.filter((a) => a.severity === "info").length,
    );
    assert.equal(alerts[0]!.event_ts, new Date(boundary).toISOString());
    const store = await openStore(db);
    try {
      const stored = (await store.alerts()).filter((a) => a.kind === "model_retrained");
      assert.equal(stored.length, boundaries.length);
      const snapshot = ModelVersionsSnapshotSchema.parse(
        (await store.snapshot(MODEL_VERSIONS_SNAPSHOT))!.value,
      );
      assert.equal(snapshot.mode, "wait");
      assert.equal(snapshot.events.length, boundaries.length);
      const event = snapshot.events[0]!;
      assert.equal(event.block_start, new Date(boundary).toISOString());
      assert.equal(event.champion_version, initial);
      assert.equal(event.challenger_version, retrained);
      assert.equal(event.promoted, true, event.reason);
      const decision = decideChallenger(event.scores, rule.maxMaeRatio, true);
      assert.equal(decision.promoted, event.promoted);
      assert.equal(decision.mae_ratio, event.mae_ratio);
      assert.ok(event.scores.every((s) => s.n > 50), JSON.stringify(event.scores));
      assert.ok(snapshot.served.some((s) => s.version === retrained));
      // the stored forecasts carry the version too
      const storedAfter = await store.forecasts({ from_ms: boundary, to_ms: boundary + HOUR_MS });
      assert.equal(storedAfter.length, 12);
      assert.ok(storedAfter.every((f) => f.baseline || f.model_version.includes(`@${retrained}`)));
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});
