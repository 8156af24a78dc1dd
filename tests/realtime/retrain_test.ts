/**
 * Retraining without Kafka: the challenger rule (including a challenger that
 * loses), evaluate's weekly schedule in live time, the training series of a
 * refit ending at the boundary, and a model swap in the engine that serves
 * what an engine with the new models from the start would serve.
 */
import assert from "node:assert/strict";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { HOUR_MS, toHourlySeries } from "../../lib/features/mod.ts";
import { type ForecastConfig, ForecastConfigSchema, trainModels } from "../../lib/offline/mod.ts";
import type { SarimaTargetModel } from "../../lib/models/mod.ts";
import {
  CLEAN_SCHEMA_VERSION,
  type CleanReading,
  type RetrainScore,
} from "../../lib/records/mod.ts";
import {
  assembleModels,
  compileSarima,
  REALTIME_TARGETS,
  RealtimeForecaster,
  stationTime,
} from "../../lib/realtime/mod.ts";
import {
  blockStartMs,
  decideChallenger,
  modelsVersion,
  refitBlock,
  scoreRecent,
  seriesBefore,
} from "../../lib/realtime/retrain.ts";
import { UCI_PATH } from "../_data.ts";

const UTC_OFFSET_MIN = 60;
const row = (champion_mae: number, challenger_mae: number, n = 168): RetrainScore => ({
  target: "CO(GT)",
  horizon_h: 1,
  n,
  champion_mae,
  challenger_mae,
});

Deno.test("challenger rule: promoted only when its mean MAE ratio is at most the limit", () => {
  // wins on average though it loses one row: (0.8 + 1.1) / 2 = 0.95
  const wins = decideChallenger([row(1, 0.8), row(2, 2.2)], 1, true);
  assert.equal(wins.promoted, true);
  assert.ok(Math.abs(wins.mae_ratio! - 0.95) < 1e-12);
  // loses: (1.05 + 1.0) / 2 = 1.025 > 1
  const loses = decideChallenger([row(1, 1.05), row(2, 2)], 1, true);
  assert.equal(loses.promoted, false);
  assert.ok(Math.abs(loses.mae_ratio! - 1.025) < 1e-12);
  assert.match(loses.reason, /champion stays/);
  // exactly at the limit: promoted (<=)
  assert.equal(decideChallenger([row(2, 2)], 1, true).promoted, true);
  // a stricter limit turns a small win into a loss
  assert.equal(decideChallenger([row(1, 0.99)], 0.95, true).promoted, false);
  // rows without scored hours do not count; none at all: the champion stays
  assert.equal(decideChallenger([row(1, 5, 0), row(1, 0.9)], 1, true).promoted, true);
  const none = decideChallenger(
    [{ ...row(1, 1, 0), champion_mae: null, challenger_mae: null }],
    1,
    true,
  );
  assert.deepEqual([none.promoted, none.mae_ratio], [false, null]);
  // no champion: the challenger serves
  assert.equal(decideChallenger([], 1, false).promoted, true);
});

Deno.test("weekly schedule: blocks of refitEveryH hours aligned on the anchor", () => {
  const anchor = Date.parse("2005-01-01T00:00:00+01:00");
  assert.equal(refitBlock(anchor, anchor, 168), 0);
  assert.equal(refitBlock(anchor + 167 * HOUR_MS, anchor, 168), 0);
  assert.equal(refitBlock(anchor + 168 * HOUR_MS, anchor, 168), 1);
  assert.equal(refitBlock(anchor - HOUR_MS, anchor, 168), -1);
  assert.equal(blockStartMs(3, anchor, 168), anchor + 3 * 168 * HOUR_MS);
});

const rows = await Array.fromAsync(readUciFile(UCI_PATH, { utcOffset: "+01:00" }));
const readings: CleanReading[] = rows.slice(0, 1700).map((r, i) => ({
  schema_version: CLEAN_SCHEMA_VERSION,
  station_id: "station-001",
  ts: stationTime(r.epochMs, UTC_OFFSET_MIN),
  ts_utc_ms: r.epochMs,
  measurements: r.measurements,
  flags: {},
  rejected: {},
  status: "ok",
  source: { topic: "raw", partition: 0, offset: String(i) },
}));

Deno.test("the training series of a refit ends at the hour before the boundary, missing hours included", () => {
  const end = readings[500]!.ts_utc_ms;
  // the last 10 readings before the boundary were never stored
  const stored = readings.slice(0, 490);
  const series = seriesBefore(stored, end)!;
  assert.equal(series.startMs, readings[0]!.ts_utc_ms);
  assert.equal(series.length, 500);
  assert.ok(Number.isNaN(series.columns.co_mg_m3[499]!));
  const full = toHourlySeries(rows.slice(0, 490));
  assert.deepEqual(series.columns.no2_ug_m3.slice(0, 490), full.columns.no2_ug_m3);
  assert.equal(seriesBefore(readings, readings[0]!.ts_utc_ms), null);
});

const base = ForecastConfigSchema.parse(
  JSON.parse(await Deno.readTextFile(new URL("../../config/forecast.json", import.meta.url))),
);
const config: ForecastConfig = {
  ...base,
  walkForward: { ...base.walkForward, trainWindowH: 800 },
  gbt: { ...base.gbt, trees: 10 },
};
const COEFFICIENTS = {
  phi: [0.8],
  theta: [-0.1],
  PHI: [0.25],
  THETA: [0.92],
  mean: 0,
  sigma2: 0.02,
  loglik: 400,
  aic: -790,
  retval: 1,
};

function sarimaOf(createdAt: string, phi: number) {
  const model = (target: string): SarimaTargetModel => ({
    target,
    order: { p: 1, d: 0, q: 1, P: 1, D: 1, Q: 1, s: 24 },
    transform: "log1p",
    windowH: 200,
    fitWindow: { from: "2004-04-01T00:00:00.000Z", to: createdAt, hours: 200 },
    coefficients: { ...COEFFICIENTS, phi: [phi] },
    blendWeight: { "1": 0.8, "6": 0.5, "24": 0.25 },
  });
  return compileSarima({
    format: "airq-sarima",
    version: 1,
    createdAt,
    models: REALTIME_TARGETS.map((t) => model(t.target)),
  });
}

const first = {
  ...assembleModels(
    trainModels(toHourlySeries(rows.slice(0, 900)), config, "2026-01-01T00:00:00.000Z"),
    null,
    UTC_OFFSET_MIN,
  ),
  sarima: sarimaOf("2026-01-01T00:00:00.000Z", 0.8),
};
const second = {
  ...assembleModels(
    trainModels(toHourlySeries(rows.slice(0, 1100)), config, "2026-01-02T00:00:00.000Z"),
    null,
    UTC_OFFSET_MIN,
  ),
  sarima: sarimaOf("2026-01-02T00:00:00.000Z", 0.6),
};
const options = { utcOffsetMin: UTC_OFFSET_MIN, warmupH: 24, sarimaMinHours: 168 };

Deno.test("a swap serves what an engine with the new models all along serves, from the next reading", () => {
  const swapped = new RealtimeForecaster(first, options);
  const reference = new RealtimeForecaster(second, options);
  const live = readings.slice(900);
  for (const r of live.slice(0, 400)) {
    swapped.process(r);
    reference.process(r);
  }
  assert.equal(modelsVersion(swapped.models), "2026-01-01T00:00:00.000Z");
  swapped.install(second);
  assert.equal(modelsVersion(swapped.models), "2026-01-02T00:00:00.000Z");
  let withSarima = 0;
  for (const r of live.slice(400)) {
    const a = swapped.process(r).forecasts, b = reference.process(r).forecasts;
    assert.deepStrictEqual(a, b);
    withSarima += a.filter((f) => f.model_version.includes("+sarima")).length;
    assert.ok(a.every((f) => f.baseline || f.model_version.includes("@2026-01-02")));
  }
  assert.ok(withSarima > 12 * 300, `${withSarima} forecasts with SARIMA`);
});

Deno.test("scoreRecent scores both on the same hours; models that forecast worse lose", () => {
  const fromMs = readings[1500]!.ts_utc_ms, toMs = readings[1668]!.ts_utc_ms;
  const history = readings.slice(0, 1668);
  const same = scoreRecent(second, second, history, fromMs, toMs, options);
  assert.equal(same.length, 12);
  for (const s of same) {
    assert.ok(s.n > 100, `${s.target} h=${s.horizon_h}: ${s.n} hours`);
    assert.equal(s.champion_mae, s.challenger_mae);
  }
  assert.equal(decideChallenger(same, 1, true).promoted, true);
  // a challenger whose SARIMA is broken (an AR coefficient far off) forecasts worse and loses
  const broken = { ...second, sarima: sarimaOf("2026-01-03T00:00:00.000Z", -0.95) };
  const scores = scoreRecent(second, broken, history, fromMs, toMs, options);
  const decision = decideChallenger(scores, 1, true);
  assert.equal(decision.promoted, false, decision.reason);
  assert.ok(decision.mae_ratio! > 1);
});
