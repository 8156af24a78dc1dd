/**
 * The forecaster's pure record building: 12 forecasts per reading with an
 * interval around the value, persistence while warming up or without models,
 * the trained blend afterwards, estimates for missing reference values.
 */
import assert from "node:assert/strict";
import { HOUR_MS } from "../../lib/features/mod.ts";
import { CLEAN_SCHEMA_VERSION, type CleanReading } from "../../lib/records/mod.ts";
import {
  assembleModels,
  type DeployedModels,
  type ForecastRecord,
  loadDeployedModels,
  RealtimeForecaster,
  stationTime,
} from "../../lib/realtime/mod.ts";

const T0 = Date.UTC(2004, 2, 10, 17); // 2004-03-10T18:00+01:00

function reading(h: number, overrides: Partial<CleanReading["measurements"]> = {}): CleanReading {
  const wave = Math.sin((2 * Math.PI * h) / 24);
  return {
    schema_version: CLEAN_SCHEMA_VERSION,
    station_id: "station-001",
    ts: stationTime(T0 + h * HOUR_MS, 60),
    ts_utc_ms: T0 + h * HOUR_MS,
    measurements: {
      co_mg_m3: 2 + wave,
      pt08_s1_co: 1200 + 100 * wave,
      nmhc_ug_m3: null,
      c6h6_ug_m3: 10 + 3 * wave,
      pt08_s2_nmhc: 1000 + 80 * wave,
      nox_ppb: 150 + 50 * wave,
      pt08_s3_nox: 1000 - 50 * wave,
      no2_ug_m3: 100 + 20 * wave,
      pt08_s4_no2: 1600,
      pt08_s5_o3: 1200,
      t_c: 13,
      rh_pct: 50,
      ah: 0.75,
      ...overrides,
    },
    flags: {},
    rejected: {},
    status: "ok",
    source: { topic: "airq.readings.raw", partition: 0, offset: String(h) },
  };
}

const NONE: DeployedModels = { blends: new Map(), halfWidths: new Map(), problems: [] };

function checkRecords(forecasts: ForecastRecord[], r: CleanReading): void {
  assert.equal(forecasts.length, 12);
  const keys = new Set(forecasts.map((f) => `${f.target}|${f.horizon_h}`));
  assert.equal(keys.size, 12);
  for (const f of forecasts) {
    assert.equal(f.ts, r.ts);
    assert.equal(Date.parse(f.target_ts), r.ts_utc_ms + f.horizon_h * HOUR_MS);
    assert.ok(f.value !== null && Number.isFinite(f.value));
    assert.ok(f.interval !== null && f.interval.lower <= f.value && f.value <= f.interval.upper);
    assert.equal(f.interval.level, 0.9);
  }
}

Deno.test("without models: 12 persistence forecasts per reading, said so in the record", () => {
  const engine = new RealtimeForecaster(NONE, { utcOffsetMin: 60, warmupH: 24 });
  for (let h = 0; h < 30; h++) {
    const r = reading(h);
    const { forecasts, estimates } = engine.process(r);
    checkRecords(forecasts, r);
    for (const f of forecasts) {
      assert.equal(f.fallback, "persistence");
      assert.equal(f.fallback_reason, "no_model");
      assert.equal(f.baseline, true);
      assert.equal(f.value, r.measurements[f.field]);
      assert.equal(f.interval!.source, "fallback");
    }
    assert.equal(estimates.length, 0);
  }
});

Deno.test("a missing value: persistence carries the last observed one; nothing ever observed gives null", () => {
  const engine = new RealtimeForecaster(NONE, { utcOffsetMin: 60, warmupH: 24 });
  const first = engine.process(reading(0, { no2_ug_m3: null }));
  const no2 = first.forecasts.filter((f) => f.target === "NO2(GT)");
  assert.ok(no2.every((f) => f.value === null && f.fallback_reason === "no_observation"));
  engine.process(reading(1));
  const later = engine.process(reading(2, { no2_ug_m3: null })).forecasts;
  assert.ok(
    later.filter((f) => f.target === "NO2(GT)").every((f) =>
      f.value === reading(1).measurements.no2_ug_m3
    ),
  );
});

Deno.test("a late or duplicate reading still gets its 12 forecasts, from persistence", () => {
  const engine = new RealtimeForecaster(NONE, { utcOffsetMin: 60, warmupH: 0 });
  engine.process(reading(0));
  engine.process(reading(1));
  const dup = engine.process(reading(1));
  checkRecords(dup.forecasts, reading(1));
  assert.ok(dup.forecasts.every((f) => f.fallback_reason === "late_or_duplicate"));
});

Deno.test("intervals: evaluation half-widths for the model and for persistence", () => {
  const models = assembleModels([], {
    results: [
      { target: "CO(GT)", horizon_h: 1, model: "persistence", interval_mean_width: 2 },
      { target: "CO(GT)", horizon_h: 1, model: "best", interval_mean_width: 1 },
    ],
  }, 60);
  const engine = new RealtimeForecaster(models, { utcOffsetMin: 60, warmupH: 24 });
  const f = engine.process(reading(0)).forecasts.find((f) =>
    f.target === "CO(GT)" && f.horizon_h === 1
  )!;
  assert.equal(f.interval!.source, "evaluation");
  assert.equal(f.interval!.upper - f.value!, 1);
});

Deno.test("with the trained artifacts: persistence while warming up, then the blend; estimates when a reference is missing", async () => {
  const models = await loadDeployedModels("var/models", "var/evaluation.json", 60);
  if (models.blends.size === 0) {
    // deno-lint-ignore no-console
    console.warn("no artifacts in var/models: run `deno task train`; model path not tested");
    return;
  }
  assert.deepEqual(models.problems, []);
  assert.equal(models.blends.size, 16); // 4 targets x (3 horizons + nowcast)
  const engine = new RealtimeForecaster(models, { utcOffsetMin: 60, warmupH: 24 });
  for (let h = 0; h < 48; h++) {
    const r = reading(h, h === 40 ? { nox_ppb: null } : {});
    const { forecasts, estimates } = engine.process(r);
    checkRecords(forecasts, r);
    for (const f of forecasts) {
      if (h < 24) {
        assert.equal(f.fallback_reason, "warming_up");
        assert.equal(f.model_version, "persistence");
      } else {
        assert.equal(f.fallback, null);
        assert.equal(f.baseline, false);
        assert.match(f.model_version, /^(gbt|ridge)\d\.\d\d(\+ridge\d\.\d\d)?@/);
        assert.equal(f.interval!.source, "evaluation");
      }
    }
    if (h === 40) {
      assert.equal(estimates.length, 1);
      assert.equal(estimates[0]!.target, "NOx(GT)");
      assert.equal(estimates[0]!.estimated, true);
      assert.ok(estimates[0]!.interval.lower <= estimates[0]!.value);
    } else assert.equal(estimates.length, 0);
  }
});
