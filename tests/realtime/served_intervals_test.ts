/**
 * The live forecaster serves the regime-aware intervals evaluate scores: for the same forecast,
 * history and calibration, the engine's interval is the offline rule's, bound for bound.
 */
import assert from "node:assert/strict";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { toHourlySeries } from "../../lib/features/mod.ts";
import { trainModels } from "../../lib/offline/mod.ts";
import {
  conditionalIntervalsOf,
  outageFlags,
  outageRuleOf,
} from "../../lib/offline/conditional_intervals.ts";
import { mulberry32 } from "../../lib/models/mod.ts";
import {
  type CleanReading,
  type ServedIntervals,
  ServedIntervalsSchema,
} from "../../lib/records/mod.ts";
import { assembleModels, type ForecastRecord, RealtimeForecaster } from "../../lib/realtime/mod.ts";
import { baseGroupCount } from "../../lib/scoring/mod.ts";
import { UCI_PATH } from "../_data.ts";
import { smallForecastConfig } from "../_models.ts";
import { WAVE_T0, waveReading } from "../_readings.ts";

const T0 = WAVE_T0;
const UTC_OFFSET_MIN = 60;
const N = 400;
const H = 1;

const config = await smallForecastConfig();
const artifacts = trainModels(
  toHourlySeries((await Array.fromAsync(readUciFile(UCI_PATH))).slice(0, 1200)),
  config,
  "2026-01-01T00:00:00.000Z",
);

/** Hour `h` of a station whose CO is noisy and missing at `missing` hours. */
function reading(h: number, co: number): CleanReading {
  return waveReading(h, { overrides: { co_mg_m3: co === co ? co : null } });
}

/** CO over N hours, with outages; the last one ends 3 hours before the last hour. */
function coSeries(): Float64Array {
  const rng = mulberry32(7);
  const y = Float64Array.from(
    { length: N },
    (_, h) => 2 + Math.sin((2 * Math.PI * h) / 24) + (rng() - 0.5),
  );
  for (const start of [100, 180, 260, N - 7]) {
    for (let i = start; i < start + 4; i++) y[i] = NaN;
  }
  return y;
}

/** The CO 1 h forecast of every hour the engine with `served` makes. */
function engineForecasts(y: Float64Array, served: ServedIntervals | null): ForecastRecord[] {
  const models = assembleModels(artifacts, { served_intervals: served }, UTC_OFFSET_MIN);
  const engine = new RealtimeForecaster(models, { utcOffsetMin: UTC_OFFSET_MIN, warmupH: 24 });
  return Array.from(
    y,
    (co, h) =>
      engine.process(reading(h, co)).forecasts.find((f) =>
        f.target === "CO(GT)" && f.horizon_h === H
      )!,
  );
}

Deno.test("the engine's interval of a forecast is the offline regime-aware rule's", () => {
  const y = coSeries();
  // the model's forecasts as the engine makes them (its intervals do not change them)
  const plain = engineForecasts(y, null);
  const pred = Float64Array.from(
    plain,
    (f, h) => (h >= 24 && f.fallback === null ? f.value! : NaN),
  );
  assert.ok(Number.isFinite(pred[N - 1]!), "the last hour has a model forecast");
  const settings = {
    ...config.conformal.conditional!,
    scale: "log1p",
    grouping: "level",
    outage: true,
  } as const;
  const calendar = {
    startMs: T0,
    utcOffsetMin: UTC_OFFSET_MIN,
    rushHours: config.regimes.rushHours,
    outage: outageRuleOf(config.regimes),
  };
  const conformal = { ...config.conformal, minResiduals: 20 };
  const offline = conditionalIntervalsOf(pred, y, H, conformal, settings, calendar, 150);
  // the last forecast is issued 3 hours after an outage: the outage group
  assert.equal(outageFlags(y, calendar.outage)[N - 1], 1);
  assert.ok(baseGroupCount(offline.rule) === 3);
  const served = ServedIntervalsSchema.parse({
    rule: "test",
    scale: settings.scale,
    grouping: settings.grouping,
    day_hours: settings.dayHours,
    rush_hours: calendar.rushHours,
    outage: { min_missing_h: calendar.outage.minMissingH, within_h: calendar.outage.withinH },
    groups: [{
      target: "CO(GT)",
      horizon_h: H,
      level_edges: offline.rule.levelEdges,
      half_widths: Array.from(offline.lastHalfWidths, (q) => (q === q ? q : null)),
    }],
  });
  const live = engineForecasts(y, served).at(-1)!;
  assert.equal(live.value, pred[N - 1]);
  assert.equal(live.interval!.lower, offline.lower[N - 1]);
  assert.equal(live.interval!.upper, offline.upper[N - 1]);
  assert.equal(live.interval!.source, "evaluation");
  // and the outage group is not the one the same forecast gets without the outage
  const withoutOutage = conditionalIntervalsOf(
    pred,
    y,
    H,
    conformal,
    { ...settings, outage: false },
    calendar,
    150,
  );
  assert.notEqual(withoutOutage.upper[N - 1], offline.upper[N - 1]);
});
