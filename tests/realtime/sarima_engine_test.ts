/**
 * SARIMA in the real-time engine: a station's filters are fed every in-order
 * reading, SARIMA joins the ridge/trees blend as evaluate's `best` once they
 * have `sarimaMinHours`, the model version says so, a warm start from stored
 * history serves the same numbers as a forecaster that saw every reading, and a
 * fit that failed is left out.
 */
import assert from "node:assert/strict";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { HOUR_MS, toHourlySeries } from "../../lib/features/mod.ts";
import { trainModels } from "../../lib/offline/mod.ts";
import { SarimaFilter, type SarimaTargetModel } from "../../lib/models/mod.ts";
import { CLEAN_SCHEMA_VERSION, type CleanReading } from "../../lib/records/mod.ts";
import {
  assembleModels,
  compileSarima,
  REALTIME_HORIZONS,
  REALTIME_TARGETS,
  RealtimeForecaster,
  sarimaSeed,
  stationTime,
} from "../../lib/realtime/mod.ts";
import { UCI_PATH } from "../_data.ts";
import { smallForecastConfig } from "../_models.ts";

const UTC_OFFSET_MIN = 60;
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
const WEIGHTS: Record<string, number> = { "1": 0.8, "6": 0.5, "24": 0.25 };

function sarimaModel(target: string, windowH: number): SarimaTargetModel {
  return {
    target,
    order: { p: 1, d: 0, q: 1, P: 1, D: 1, Q: 1, s: 24 },
    transform: "log1p",
    windowH,
    fitWindow: { from: "2004-04-01T00:00:00.000Z", to: "2004-05-12T15:00:00.000Z", hours: windowH },
    coefficients: COEFFICIENTS,
    blendWeight: WEIGHTS,
  };
}

const rows = await Array.fromAsync(readUciFile(UCI_PATH, { utcOffset: "+01:00" }));
const config = await smallForecastConfig();
const artifacts = trainModels(toHourlySeries(rows.slice(0, 1200)), config, "2026-01-01T00:00:00Z");
const models = assembleModels(artifacts, null, UTC_OFFSET_MIN);

/** The file's readings after the training slice, as the consumer cleans them (station-001). */
const readings: CleanReading[] = rows.slice(1200, 1200 + 400).map((row, i) => ({
  schema_version: CLEAN_SCHEMA_VERSION,
  station_id: "station-001",
  ts: stationTime(row.epochMs, UTC_OFFSET_MIN),
  ts_utc_ms: row.epochMs,
  measurements: row.measurements,
  flags: {},
  rejected: {},
  status: "ok",
  source: { topic: "raw", partition: 0, offset: String(i) },
}));

Deno.test("SARIMA joins the blend as evaluate's best once a station has sarimaMinHours, and says so", () => {
  const windowH = 200, minHours = 100;
  const sarima = compileSarima({
    format: "airq-sarima",
    version: 1,
    createdAt: "2026-01-01T00:00:00Z",
    models: REALTIME_TARGETS.map((t) => sarimaModel(t.target, windowH)),
  });
  assert.deepEqual(sarima.problems, []);
  const options = { utcOffsetMin: UTC_OFFSET_MIN, warmupH: 24, sarimaMinHours: minHours };
  const withSarima = new RealtimeForecaster({ ...models, sarima }, options);
  const without = new RealtimeForecaster(models, options);
  // the reference: one filter per target, fed the raw values as the module doc says
  const filters = REALTIME_TARGETS.map(() =>
    new SarimaFilter(sarima.targets[0]!.spec, { windowH, horizons: REALTIME_HORIZONS })
  );
  let blended = 0;
  for (const [i, r] of readings.entries()) {
    REALTIME_TARGETS.forEach((t, k) => filters[k]!.update(r.measurements[t.field] ?? NaN));
    const got = withSarima.process(r).forecasts;
    const plain = without.process(r).forecasts;
    assert.equal(got.length, plain.length);
    for (let j = 0; j < got.length; j++) {
      const f = got[j]!, p = plain[j]!;
      if (i + 1 < minHours || p.fallback !== null) {
        assert.deepStrictEqual(f, p);
        continue;
      }
      const k = REALTIME_TARGETS.findIndex((t) => t.target === f.target);
      const hi = REALTIME_HORIZONS.indexOf(f.horizon_h);
      const s = filters[k]!.forecast()[hi]!;
      const v = WEIGHTS[String(f.horizon_h)]!;
      assert.ok(Number.isFinite(s));
      assert.equal(f.value, (1 - v) * p.value! + v * s);
      assert.equal(
        f.model_version,
        `${p.model_version}+sarima${v.toFixed(2)}@2004-05-12T15:00:00.000Z`,
      );
      blended++;
    }
  }
  assert.ok(blended > 12 * 250, `${blended} forecasts blended`);
  // a station new to the store: no seed, and SARIMA waits for minHours of its own readings
  const fresh = new RealtimeForecaster({ ...models, sarima }, options);
  assert.equal(sarimaSeed([], fresh.sarimaFields, readings[0]!.ts_utc_ms).seed, null);
  assert.equal(fresh.warm("station-001", []), 0);
  const firstWithSarima = readings.findIndex((r) =>
    fresh.process(r).forecasts.some((f) => f.model_version.includes("+sarima"))
  );
  assert.equal(firstWithSarima, minHours - 1);
  // a reset forgets the filters: ridge and trees alone until the station has minHours again
  withSarima.reset();
  without.reset();
  for (const r of readings.slice(0, 30)) {
    assert.deepStrictEqual(withSarima.process(r).forecasts, without.process(r).forecasts);
  }
});

Deno.test("a warm start (history and fill seed) serves what a forecaster that saw every reading serves", () => {
  const sarima = compileSarima({
    format: "airq-sarima",
    version: 1,
    createdAt: "2026-01-01T00:00:00Z",
    models: REALTIME_TARGETS.map((t) => sarimaModel(t.target, 150)),
  });
  const options = { utcOffsetMin: UTC_OFFSET_MIN, warmupH: 24, sarimaMinHours: 168 };
  const continuous = new RealtimeForecaster({ ...models, sarima }, options);
  for (const r of readings.slice(0, 340)) continuous.process(r);
  const restart = () => new RealtimeForecaster({ ...models, sarima }, options);
  const restarted = restart(), unseeded = restart();
  // the features' 169 hours cover SARIMA's window of 150
  assert.equal(restarted.historyH, 169);
  const startMs = readings[340]!.ts_utc_ms - restarted.historyH * HOUR_MS;
  const history = readings.filter((r) =>
    r.ts_utc_ms >= startMs && r.ts_utc_ms < readings[340]!.ts_utc_ms
  );
  const before = readings.filter((r) => r.ts_utc_ms < startMs);
  // NOx and NO2 miss the same hour every day here: the fill of the history's gaps needs every earlier day
  const { seed, rooted } = sarimaSeed(before, restarted.sarimaFields, startMs);
  assert.equal(rooted, false);
  assert.equal(sarimaSeed(before.slice(-24), restarted.sarimaFields, startMs).rooted, false);
  assert.ok(seed !== null);
  assert.equal(restarted.warm("station-001", history, seed), history.length);
  unseeded.warm("station-001", history);
  let withSarima = 0, differ = 0;
  for (const r of readings.slice(340)) {
    const a = continuous.process(r).forecasts;
    assert.deepStrictEqual(restarted.process(r).forecasts, a);
    const c = unseeded.process(r).forecasts;
    differ += c.filter((f, j) => f.value !== a[j]!.value).length;
    withSarima += a.filter((f) => f.model_version.includes("+sarima")).length;
  }
  assert.equal(withSarima, 60 * 12);
  // without the seed, the first day's gaps are filled otherwise (a restart without it would drift)
  assert.ok(differ > 0, "the seed changed nothing");
});

Deno.test("a SARIMA fit that failed (NaN sigma2, or not stationary) is left out, the others served", () => {
  const failed = sarimaModel("NOx(GT)", 200);
  const explosive = sarimaModel("CO(GT)", 200);
  const sarima = compileSarima({
    format: "airq-sarima",
    version: 1,
    createdAt: "2026-01-01T00:00:00Z",
    models: [
      { ...failed, coefficients: { ...COEFFICIENTS, sigma2: NaN, retval: 15, PHI: [-7.4] } },
      { ...explosive, coefficients: { ...COEFFICIENTS, phi: [1.2] } },
      sarimaModel("NO2(GT)", 200),
    ],
  });
  assert.deepEqual(sarima.targets.map((t) => t.target.target), ["NO2(GT)"]);
  assert.equal(sarima.problems.length, 2);
  assert.match(
    sarima.problems.join("\n"),
    /NOx\(GT\): the SARIMA fit looks failed \(ctsa exit code 15/,
  );
  const engine = new RealtimeForecaster({ ...models, sarima }, {
    utcOffsetMin: UTC_OFFSET_MIN,
    warmupH: 24,
    sarimaMinHours: 48,
  });
  let last: string[] = [];
  for (const r of readings.slice(0, 60)) {
    last = engine.process(r).forecasts.filter((f) => f.model_version.includes("+sarima")).map((
      f,
    ) => f.target);
  }
  assert.deepEqual([...new Set(last)], ["NO2(GT)"]);
  assert.equal(last.length, 3);
});
