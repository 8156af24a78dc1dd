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
import { baseGroupCount, INTERVAL_TAILS, type IntervalTails } from "../../lib/scoring/mod.ts";
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

for (const tails of INTERVAL_TAILS) {
  Deno.test(`the engine's interval of a forecast is the offline regime-aware rule's (${tails} tails)`, () => {
    const y = coSeries();
    // the model's forecasts as the engine makes them (its intervals do not change them)
    const { pred, offline, served, settings, conformal, calendar } = offlineRule(y, false, tails);
    if (tails === "equal") {
      // the tails differ: the served sides are not one half-width
      assert.notDeepEqual(served.groups[0]!.lower_half_widths, served.groups[0]!.half_widths);
    }
    assert.ok(Number.isFinite(pred[N - 1]!), "the last hour has a model forecast");
    // the last forecast is issued 3 hours after an outage: the outage group
    assert.equal(outageFlags(y, calendar.outage)[N - 1], 1);
    assert.ok(baseGroupCount(offline.rule) === 3);
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
}

/** The CO 1 h model forecasts of `y` and the offline rule over them, with `served` from it. */
function offlineRule(y: Float64Array, calibration: boolean, tails: IntervalTails = "symmetric") {
  const pred = Float64Array.from(
    engineForecasts(y, null),
    (f, h) => (h >= 24 && f.fallback === null ? f.value! : NaN),
  );
  const settings = {
    ...config.conformal.conditional!,
    scale: "log1p",
    grouping: "level",
    levelQuantiles: [0.5, 0.8], // three level groups, whatever the config's search chose
    outage: true,
    tails,
  } as const;
  const calendar = {
    startMs: T0,
    utcOffsetMin: UTC_OFFSET_MIN,
    rushHours: config.regimes.rushHours,
    outage: outageRuleOf(config.regimes),
  };
  const conformal = { ...config.conformal, minResiduals: 20 };
  const offline = conditionalIntervalsOf(pred, y, H, conformal, settings, calendar, 150);
  const served = ServedIntervalsSchema.parse({
    rule: "test",
    scale: settings.scale,
    grouping: settings.grouping,
    // symmetric: written as files before `tails` were (no field), which must serve as before
    ...(tails === "equal" ? { tails } : {}),
    day_hours: settings.dayHours,
    rush_hours: calendar.rushHours,
    outage: { min_missing_h: calendar.outage.minMissingH, within_h: calendar.outage.withinH },
    ...(calibration
      ? {
        calibration: {
          alpha: conformal.alpha,
          window: conformal.window,
          gamma: conformal.gamma,
          min_residuals: conformal.minResiduals,
        },
      }
      : {}),
    groups: [{
      target: "CO(GT)",
      horizon_h: H,
      level_edges: offline.rule.levelEdges,
      half_widths: Array.from(offline.lastHalfWidths, (q) => (q === q ? q : null)),
      ...(tails === "equal"
        ? { lower_half_widths: Array.from(offline.lastLowerWidths, (q) => (q === q ? q : null)) }
        : {}),
    }],
  });
  return { pred, offline, served, settings, conformal, calendar };
}

for (const tails of INTERVAL_TAILS) {
  Deno.test(`recalibrated live, the engine's interval is the offline rule's at every hour it has one (${tails} tails)`, () => {
    const y = coSeries();
    const { pred, offline, served } = offlineRule(y, true, tails);
    const live = engineForecasts(y, served);
    const frozen = engineForecasts(y, offlineRule(y, false, tails).served);
    let same = 0, fromEvaluation = 0;
    for (let h = 0; h < N; h++) {
      assert.equal(live[h]!.value, pred[h]! === pred[h]! ? pred[h] : live[h]!.value);
      if (offline.lower[h]! === offline.lower[h]!) {
        // the rule has residuals enough: the live window's interval, bound for bound
        assert.equal(live[h]!.interval!.lower, offline.lower[h], `hour ${h}`);
        assert.equal(live[h]!.interval!.upper, offline.upper[h], `hour ${h}`);
        same++;
      } else if (pred[h]! === pred[h]!) {
        // too few residuals yet: evaluate's half-width after its last hour, as served before
        assert.deepEqual(live[h]!.interval, frozen[h]!.interval, `hour ${h}`);
        fromEvaluation++;
      }
    }
    assert.ok(same > 300, `${same} hours with the live rule's interval`);
    assert.ok(fromEvaluation > 10, `${fromEvaluation} hours with evaluate's half-widths`);
    // and the windows moved: before the last hours the live widths are not evaluate's final ones
    const moved = live.filter((f, h) =>
      f.interval !== null && frozen[h]!.interval !== null &&
      f.interval.upper !== frozen[h]!.interval!.upper
    ).length;
    assert.ok(moved > 100, `${moved} hours with a width of their own`);
  });
}

Deno.test("a warm start from the store rebuilds the live calibration: the same intervals as an uninterrupted engine", () => {
  const y = coSeries();
  const { served } = offlineRule(y, true);
  const models = assembleModels(artifacts, { served_intervals: served }, UTC_OFFSET_MIN);
  const options = { utcOffsetMin: UTC_OFFSET_MIN, warmupH: 24 };
  const uninterrupted = new RealtimeForecaster(models, options);
  const all = Array.from(y, (co, h) => uninterrupted.process(reading(h, co)).forecasts);
  const cut = 300;
  const restarted = new RealtimeForecaster(models, options);
  const history = Array.from(y.subarray(0, cut), (co, h) => reading(h, co));
  restarted.warm("station-001", history, undefined, {
    forecasts: all.slice(0, cut).flat(),
    nextMs: reading(cut, y[cut]!).ts_utc_ms,
  });
  let compared = 0;
  for (let h = cut; h < N; h++) {
    const again = restarted.process(reading(h, y[h]!)).forecasts;
    assert.deepEqual(again, all[h], `hour ${h}`);
    compared += again.filter((f) => f.interval?.source === "evaluation").length;
  }
  assert.ok(compared >= 100, `${compared} regime-aware intervals compared`);
  // without the stored forecasts the calibration starts empty: intervals after the cut differ
  // (not necessarily the first: its group may fall back to evaluate's half-width in both)
  const cold = new RealtimeForecaster(models, options);
  cold.warm("station-001", history);
  const key = (f: ForecastRecord) => f.target === "CO(GT)" && f.horizon_h === H;
  let differ = 0;
  for (let h = cut; h < N; h++) {
    const coldNow = cold.process(reading(h, y[h]!)).forecasts.find(key)!.interval;
    if (JSON.stringify(coldNow) !== JSON.stringify(all[h]!.find(key)!.interval)) differ++;
  }
  assert.ok(
    differ > 0,
    "a cold start gave the warm intervals at every hour: the check could not fail",
  );
});
