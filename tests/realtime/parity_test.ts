/**
 * Parity: replaying a slice of the real data through Kafka and the `forecast`
 * task gives the same forecasts as the offline path (the batch feature matrix
 * and the same model artifacts) for every reading, target and horizon.
 *
 * The models are trained by the `train` task on the 2,000 hours before the
 * slice (10 trees, to keep the test short); the slice is the next 240 hours,
 * produced with `produce --from/--to`. The forecaster runs with
 * `--warmup-hours 0`, so the model (not persistence) answers from the first
 * reading, and `--retrain off`: the slice crosses one of evaluate's weekly
 * boundaries, where the forecaster would otherwise refit.
 *
 * 1. Ridge and trees alone (`sarima.json` removed), with an empty database, so
 *    its history starts with the slice — as the offline series does.
 * 2. With SARIMA (`best`): the 2,000 hours before the slice go through
 *    `produce` and `consume` into the database first, so the forecaster
 *    warm-starts each station from the store (features and SARIMA's 1,000-hour
 *    window); offline, ctsa (npm `arima`) fitted on the same 1,000 hours as
 *    `train` forecasts from the 1,000 hours ending at each origin, blended as
 *    evaluate's `best`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { buildFeatureMatrix, fieldOf, HOUR_MS, toHourlySeries } from "../../lib/features/mod.ts";
import {
  changeOffsetAt,
  fillForState,
  loadSarima,
  parseSarimaArtifact,
} from "../../lib/models/mod.ts";
import { createKafka, type Kafka } from "../../lib/kafka/mod.ts";
import { type ForecastRecord, forecastRows, ForecastSetSchema } from "../../lib/records/mod.ts";
import {
  loadDeployedModels,
  modelKey,
  predictBlend,
  REALTIME_HORIZONS,
  REALTIME_TARGETS,
} from "../../lib/realtime/mod.ts";
import { UCI_PATH } from "../_data.ts";
import { type PipelineContext, pipelineContext, readCommitted, runTask } from "../_pipeline.ts";
import { trainSmallModels } from "../_models.ts";

const TRAIN_ROWS = 2000;
/** The change models' lookback in config/forecast.json (their blends take the offset). */
const CHANGE_LOOKBACK_H: number = JSON.parse(
  Deno.readTextFileSync(new URL("../../config/forecast.json", import.meta.url)),
).change.lookbackH;
const SLICE_H = 240;
const UTC_OFFSET_MIN = 60;

/** `YYYY-MM-DDTHH:MM` in station time, as `produce --from/--to` takes it. */
function localTime(epochMs: number): string {
  return new Date(epochMs + UTC_OFFSET_MIN * 60_000).toISOString().slice(0, 16);
}

/**
 * The slice `[fromMs, toMs)` through `produce` and the `forecast` task (store
 * `db`, models `modelDir`, no warm-up hours): the forecaster's summary and the
 * rows of its committed forecast sets, one set per reading.
 */
async function replaySlice(
  ctx: PipelineContext,
  kafka: Kafka,
  slice: { fromMs: number; toMs: number; db: string; modelDir: string },
): Promise<{ summary: Record<string, unknown>; online: ForecastRecord[] }> {
  const produced = await runTask(
    "produce",
    [
      "--input",
      UCI_PATH,
      "--speed",
      "max",
      "--from",
      localTime(slice.fromMs),
      "--to",
      localTime(slice.toMs),
      "--json",
    ],
    ctx.env,
  );
  assert.equal(produced.code, 0, produced.stderr);
  assert.equal(JSON.parse(produced.stdout.trim().split("\n").at(-1)!).sent, SLICE_H);
  const run = await runTask(
    "forecast",
    [
      "--db",
      slice.db,
      "--models",
      slice.modelDir,
      "--warmup-hours",
      "0",
      // the same models throughout: what is compared is serving, not retraining
      // (tests/realtime/retrain_broker_test.ts crosses a weekly boundary with refits)
      "--retrain",
      "off",
      "--exit-when-idle",
      "2",
      "--json",
    ],
    ctx.env,
  );
  assert.equal(run.code, 0, run.stderr);
  const sets = await readCommitted(kafka, `${ctx.prefix}airq.forecasts`, SLICE_H);
  assert.equal(sets.length, SLICE_H, "one forecast set per reading");
  return {
    summary: JSON.parse(run.stdout.trim().split("\n").at(-1)!),
    online: sets.flatMap((s) => forecastRows(ForecastSetSchema.parse(s))),
  };
}

Deno.test("parity: Kafka replay of a slice = offline predictions of the same models", async () => {
  const ctx = await pipelineContext();
  const kafka = createKafka(ctx.kafka);
  try {
    const rows = await Array.fromAsync(readUciFile(UCI_PATH, { utcOffset: "+01:00" }));
    const startMs = rows[0]!.epochMs;
    const fromMs = startMs + TRAIN_ROWS * HOUR_MS;
    const toMs = fromMs + SLICE_H * HOUR_MS;

    // train on the hours before the slice; ridge and trees only (test 2 serves SARIMA)
    const { modelDir } = await trainSmallModels(ctx.dir, ctx.env, TRAIN_ROWS);
    await Deno.remove(join(modelDir, "sarima.json"));

    // online: the slice through Kafka and the forecaster
    const expectedCount = SLICE_H * REALTIME_TARGETS.length * REALTIME_HORIZONS.length;
    const { online } = await replaySlice(ctx, kafka, {
      fromMs,
      toMs,
      db: join(ctx.dir, "airq.db"),
      modelDir,
    });
    assert.equal(online.length, expectedCount);

    // offline: the batch features of the same slice and the same artifacts
    const series = toHourlySeries(rows.filter((r) => r.epochMs >= fromMs && r.epochMs < toMs));
    assert.equal(series.length, SLICE_H);
    const models = await loadDeployedModels(modelDir, join(ctx.dir, "none.json"), UTC_OFFSET_MIN);
    assert.equal(models.blends.size, 16, models.problems.join("; "));
    // the config's change models are among the parts compared (with their offsets)
    assert.ok(
      [...models.blends.values()].some((b) => b.parts.some((p) => p.artifact.change !== undefined)),
    );
    const byKey = new Map(
      online.map((f) => [`${Date.parse(f.ts)}|${f.target}|${f.horizon_h}`, f]),
    );
    let compared = 0;
    let maxDiff = 0;
    for (const h of REALTIME_HORIZONS) {
      const m = buildFeatureMatrix(series, {
        mode: "forecast",
        horizonH: h,
        utcOffsetMin: UTC_OFFSET_MIN,
      });
      for (const { target } of REALTIME_TARGETS) {
        const blend = models.blends.get(modelKey(target, h))!;
        for (let i = 0; i < m.n; i++) {
          const expected = predictBlend(
            blend,
            m.data.subarray(i * m.p, (i + 1) * m.p),
            changeOffsetAt(series.columns[fieldOf(target)], m.from + i, CHANGE_LOOKBACK_H),
          );
          const f = byKey.get(`${series.startMs + i * HOUR_MS}|${target}|${h}`);
          assert.ok(f !== undefined, `no online forecast for ${target} h${h} at row ${i}`);
          assert.equal(f.baseline, false, JSON.stringify(f));
          assert.equal(f.model_version, blend.version);
          const diff = Math.abs(f.value! - expected);
          maxDiff = Math.max(maxDiff, diff / Math.max(1, Math.abs(expected)));
          compared++;
        }
      }
    }
    assert.equal(compared, expectedCount);
    assert.ok(maxDiff < 1e-9, `largest relative difference ${maxDiff}`);
    // deno-lint-ignore no-console
    console.log(`parity: ${compared} forecasts compared, largest relative difference ${maxDiff}`);
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});

Deno.test("parity with SARIMA: warm start from the store, live = offline best (ridge/trees + ctsa) on every reading", async () => {
  const ctx = await pipelineContext();
  const kafka = createKafka(ctx.kafka);
  try {
    const rows = await Array.fromAsync(readUciFile(UCI_PATH, { utcOffset: "+01:00" }));
    const startMs = rows[0]!.epochMs;
    const fromMs = startMs + TRAIN_ROWS * HOUR_MS;
    const toMs = fromMs + SLICE_H * HOUR_MS;
    const { modelDir, config } = await trainSmallModels(ctx.dir, ctx.env, TRAIN_ROWS);
    const artifact = parseSarimaArtifact(
      await Deno.readTextFile(join(modelDir, "sarima.json")),
    );
    assert.equal(artifact.models.length, REALTIME_TARGETS.length);
    const db = join(ctx.dir, "airq.db");

    // the history before the slice: produced and consumed into the store under another prefix
    const historyEnv = { ...ctx.env, AIRQ_TOPIC_PREFIX: `${ctx.prefix}h.` };
    const history = await runTask(
      "produce",
      ["--input", UCI_PATH, "--speed", "max", "--to", localTime(fromMs), "--json"],
      historyEnv,
    );
    assert.equal(history.code, 0, history.stderr);
    assert.equal(JSON.parse(history.stdout.trim().split("\n").at(-1)!).sent, TRAIN_ROWS);
    const consumed = await runTask(
      "consume",
      ["--db", db, "--exit-when-idle", "2", "--json"],
      historyEnv,
    );
    assert.equal(consumed.code, 0, consumed.stderr);

    // the slice through Kafka and the forecaster, warm-started from the store
    const { summary, online } = await replaySlice(ctx, kafka, { fromMs, toMs, db, modelDir });
    assert.equal(summary["warm_started_stations"], 1);
    // SARIMA's window (1,000 hours); the fill seed of the day before it reads further back
    assert.equal(summary["warm_start_readings"], 1000);
    const byKey = new Map(
      online.map((f) => [`${Date.parse(f.ts)}|${f.target}|${f.horizon_h}`, f]),
    );

    // offline: features of the whole series up to the slice's end; ctsa fitted as `train` fits
    const series = toHourlySeries(rows.filter((r) => r.epochMs < toMs));
    assert.equal(series.length, TRAIN_ROWS + SLICE_H);
    const models = await loadDeployedModels(modelDir, join(ctx.dir, "none.json"), UTC_OFFSET_MIN);
    assert.ok(
      [...models.blends.values()].some((b) => b.parts.some((p) => p.artifact.change !== undefined)),
    );
    const engine = await loadSarima();
    const sarimaConfig = (config as unknown as {
      sarima: { windowH: number; blendWeight: Record<string, Record<string, number>> };
    }).sarima;
    const W = sarimaConfig.windowH;
    let compared = 0, maxDiff = 0, maxSarimaShare = 0;
    for (const { target } of REALTIME_TARGETS) {
      const fitted = artifact.models.find((m) => m.target === target)!;
      const filled = fillForState(series.columns[fieldOf(target)], 24);
      const model = engine.fit(filled.subarray(TRAIN_ROWS - W, TRAIN_ROWS), {
        ...fitted.order,
        transform: fitted.transform,
      });
      try {
        // the same data, the same fit: the artifact's coefficients are ctsa's here
        const c = model.coefficients();
        assert.deepEqual([...c.phi, ...c.theta, ...c.PHI, ...c.THETA], [
          ...fitted.coefficients.phi,
          ...fitted.coefficients.theta,
          ...fitted.coefficients.PHI,
          ...fitted.coefficients.THETA,
        ]);
        for (const h of REALTIME_HORIZONS) {
          const m = buildFeatureMatrix(series, {
            mode: "forecast",
            horizonH: h,
            utcOffsetMin: UTC_OFFSET_MIN,
          });
          const blend = models.blends.get(modelKey(target, h))!;
          const v = sarimaConfig.blendWeight[target]![String(h)]!;
          // v = 0 (chosen on validation for some pairs): the ridge/trees blend alone is `best`
          for (let t = TRAIN_ROWS; t < TRAIN_ROWS + SLICE_H; t++) {
            const r = t - m.from;
            const mix = predictBlend(
              blend,
              m.data.subarray(r * m.p, (r + 1) * m.p),
              changeOffsetAt(series.columns[fieldOf(target)], t, CHANGE_LOOKBACK_H),
            );
            const sarima = model.forecastFrom(filled.subarray(t - W + 1, t + 1), h)[h - 1]!;
            const expected = v === 0 ? mix : (1 - v) * mix + v * sarima; // evaluate's blend(mix, sarima, v)
            const f = byKey.get(`${series.startMs + t * HOUR_MS}|${target}|${h}`);
            assert.ok(f !== undefined, `no online forecast for ${target} h${h} at hour ${t}`);
            assert.equal(f.baseline, false, JSON.stringify(f));
            assert.equal(
              f.model_version,
              v === 0
                ? blend.version
                : `${blend.version}+sarima${v.toFixed(2)}@${fitted.fitWindow.to}`,
            );
            const diff = Math.abs(f.value! - expected);
            maxDiff = Math.max(maxDiff, diff / Math.max(1, Math.abs(expected)));
            maxSarimaShare = Math.max(maxSarimaShare, Math.abs(expected - mix));
            compared++;
          }
        }
      } finally {
        model.destroy();
      }
    }
    assert.equal(compared, SLICE_H * REALTIME_TARGETS.length * REALTIME_HORIZONS.length);
    assert.ok(maxSarimaShare > 0, "SARIMA changed no forecast");
    assert.ok(maxDiff < 1e-9, `largest relative difference ${maxDiff}`);
    // deno-lint-ignore no-console
    console.log(
      `parity with SARIMA: ${compared} forecasts compared, largest relative difference ${maxDiff}`,
    );
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});
