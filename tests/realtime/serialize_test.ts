/**
 * The fast JSON text of forecast sets and estimate records is
 * `JSON.stringify`'s (of `forecastSetOf(rows)` for sets): on the engine's own
 * records, on odd numbers and strings, and on arbitrary records (property
 * test). The engine's sets pass the forecasts-topic schema, and expanding a
 * set gives back the engine's rows.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  EstimateRecordSchema,
  FALLBACK_REASONS,
  forecastRows,
  forecastSetOf,
  ForecastSetSchema,
  forecastSetSource,
} from "../../lib/records/mod.ts";
import {
  type DeployedModels,
  type EstimateRecord,
  type ForecastRecord,
  loadDeployedModels,
  RealtimeForecaster,
} from "../../lib/realtime/mod.ts";
import { estimateJson, forecastSetJson } from "../../lib/realtime/serialize.ts";
import { waveReading } from "../_readings.ts";

const pure = { permissions: "none" } as const;

const ISSUED = "2026-12-04T16:00:00.123Z";

/** Same text as JSON.stringify, and the same object once parsed. */
function assertSameJson(fast: string, record: unknown): void {
  const expected = JSON.stringify(record);
  assert.deepStrictEqual(JSON.parse(fast), JSON.parse(expected));
  assert.equal(fast, expected);
}

/** The set's fast text is JSON.stringify(forecastSetOf(rows)), or both refuse the rows. */
function assertSameSet(rows: readonly ForecastRecord[]): void {
  let expected: unknown;
  try {
    expected = forecastSetOf(rows, ISSUED);
  } catch (error) {
    assert.throws(() => forecastSetJson(rows, ISSUED), RangeError);
    assert.ok(error instanceof RangeError);
    return;
  }
  assertSameJson(forecastSetJson(rows, ISSUED), expected);
}

function forecast(overrides: Partial<ForecastRecord> = {}): ForecastRecord {
  return {
    schema_version: 1,
    kind: "forecast",
    forecast_id: "station-001|2004-03-10T18:00:00+01:00|CO(GT)|1",
    station_id: "station-001",
    target: "CO(GT)",
    field: "co_mg_m3",
    horizon_h: 1,
    value: 2.5,
    interval: { lower: 2, upper: 3, level: 0.9, source: "evaluation" },
    ts: "2004-03-10T18:00:00+01:00",
    target_ts: "2004-03-10T19:00:00+01:00",
    model_version: "gbt0.50+ridge0.50@2026-01-01T00:00:00.000Z",
    baseline: false,
    fallback: null,
    fallback_reason: null,
    source: { topic: "airq.readings.clean", partition: 0, offset: "42" },
    ...overrides,
  };
}

function estimate(overrides: Partial<EstimateRecord> = {}): EstimateRecord {
  return {
    schema_version: 1,
    kind: "estimate",
    estimated: true,
    estimate_id: "station-001|2004-03-10T18:00:00+01:00|NOx(GT)",
    station_id: "station-001",
    target: "NOx(GT)",
    field: "nox_ppb",
    ts: "2004-03-10T18:00:00+01:00",
    value: 120.25,
    interval: { lower: 100, upper: 140.5, level: 0.9, source: "artifact" },
    model_version: "gbt0.75+ridge0.25@2026-01-01T00:00:00.000Z",
    source: null,
    ...overrides,
  };
}

const ODD_NUMBERS = [
  0,
  -0,
  1e-7,
  -1e-7,
  5e-324,
  -5e-324,
  1e21,
  1e-6,
  123456789012345680000,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_SAFE_INTEGER,
  0.1 + 0.2,
  1 / 3,
  NaN,
  Infinity,
  -Infinity,
];

const ODD_STRINGS = [
  "",
  'quote " inside',
  "back\\slash",
  "new\nline\ttab\r\u0000\u001f",
  "\u007f del and é ü ñ 漢字",
  "emoji 😀 pair",
  "lone \ud800 high",
  "lone \udfff low",
  "\u2028\u2029 separators",
  "</script>",
];

Deno.test(
  "odd numbers: -0, 1e-7, 5e-324, 1e21, NaN and infinities print as JSON does",
  pure,
  () => {
    for (const n of ODD_NUMBERS) {
      assertSameSet([
        forecast({ value: n, interval: { lower: n, upper: -n, level: 0.9, source: "fallback" } }),
      ]);
      assertSameJson(estimateJson(estimate({ value: n })), estimate({ value: n }));
      assertSameSet([
        forecast({ horizon_h: n, source: { topic: "t", partition: n, offset: "1" } }),
      ]);
    }
  },
);

Deno.test("null value and interval, fallbacks, null source", pure, () => {
  const cases = [
    forecast({
      value: null,
      interval: null,
      fallback: "persistence",
      fallback_reason: "no_observation",
    }),
    forecast({
      baseline: true,
      fallback: "persistence",
      fallback_reason: "warming_up",
      source: null,
    }),
    forecast({ model_version: "persistence", fallback_reason: "late_or_duplicate" }),
    forecast({ model_version: "none", fallback_reason: "no_model" }),
    estimate({
      source: { topic: "airq.readings.clean", partition: 2, offset: "9007199254740993" },
    }),
  ];
  for (const r of cases) {
    if (r.kind === "forecast") assertSameSet([r]);
    else assertSameJson(estimateJson(r), r);
  }
  // several rows: the distinct model versions listed once, each row naming its own
  const rows = [
    forecast(),
    forecast({ target: "NOx(GT)", model_version: "persistence", fallback_reason: "warming_up" }),
    forecast({ target: "NO2(GT)" }),
  ];
  assertSameSet(rows);
  assert.deepEqual(forecastSetOf(rows, ISSUED).models, [rows[0]!.model_version, "persistence"]);
  // rows of two readings, or an unknown fallback reason: both refuse
  assert.throws(() => forecastSetJson([forecast(), forecast({ station_id: "x" })], ISSUED));
  assert.throws(() => forecastSetJson([forecast({ fallback_reason: "whim" })], ISSUED));
  assert.throws(() => forecastSetJson([], ISSUED));
});

Deno.test("strings that need escaping, in every string field", pure, () => {
  for (const s of ODD_STRINGS) {
    const records: (ForecastRecord | EstimateRecord)[] = [
      forecast({ forecast_id: s }),
      forecast({ station_id: s, ts: s, target_ts: s }),
      forecast({ model_version: s }),
      forecast({ fallback_reason: s }),
      forecast({ source: { topic: s, partition: 1, offset: s } }),
      forecast({ target: s as never, field: s as never, kind: s as never }),
      forecast({ interval: { lower: 1, upper: 2, level: 0.9, source: s as never } }),
      estimate({ estimate_id: s, station_id: s, ts: s, model_version: s }),
      estimate({ target: s as never, field: s as never }),
    ];
    for (const r of records) {
      if (r.kind === "estimate") assertSameJson(estimateJson(r), r);
      else assertSameSet([r as ForecastRecord]);
    }
  }
});

Deno.test("a source object changed in place between records is written as it is now", pure, () => {
  const source = { topic: "airq.readings.clean", partition: 0, offset: "1" };
  const r = forecast({ source });
  assertSameSet([r]);
  source.offset = "2";
  source.partition = 3;
  assertSameSet([r]);
});

Deno.test("arbitrary records (property)", pure, () => {
  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: "binary" }),
    fc.constantFrom(...ODD_STRINGS),
  );
  const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(...ODD_NUMBERS));
  const interval = fc.record({
    lower: number,
    upper: number,
    level: fc.constant(0.9 as const),
    source: fc.constantFrom("artifact" as const, "evaluation" as const, "fallback" as const),
  });
  const source = fc.option(fc.record({ topic: text, partition: fc.nat(), offset: text }));
  const forecasts = fc.record({
    schema_version: fc.constant(1 as const),
    kind: fc.constant("forecast" as const),
    forecast_id: text,
    station_id: text,
    target: fc.constantFrom("CO(GT)" as const, "NOx(GT)" as const, "NO2(GT)" as const),
    field: fc.constantFrom("co_mg_m3" as const, "nox_ppb" as const, "no2_ug_m3" as const),
    horizon_h: fc.constantFrom(1, 6, 24),
    value: fc.option(number),
    interval: fc.option(interval),
    ts: text,
    target_ts: text,
    model_version: text,
    baseline: fc.boolean(),
    fallback: fc.option(fc.constant("persistence" as const)),
    fallback_reason: fc.option(fc.oneof(fc.constantFrom(...FALLBACK_REASONS), text)),
    source,
  });
  const estimates = fc.record({
    schema_version: fc.constant(1 as const),
    kind: fc.constant("estimate" as const),
    estimated: fc.constant(true as const),
    estimate_id: text,
    station_id: text,
    target: fc.constantFrom("C6H6(GT)" as const),
    field: fc.constantFrom("c6h6_ug_m3" as const),
    ts: text,
    value: number,
    interval,
    model_version: text,
    source,
  });
  fc.assert(
    fc.property(fc.array(fc.oneof(forecasts, estimates), { maxLength: 12 }), (records) => {
      const rows: ForecastRecord[] = [];
      for (const r of records) {
        if (r.kind === "estimate") assertSameJson(estimateJson(r), r);
        else rows.push(r);
      }
      // the rows as one reading's set (the head of the first), and as they come
      const first = rows[0];
      if (first !== undefined) {
        assertSameSet(rows.map((r) => ({ ...r, station_id: first.station_id, ts: first.ts })));
        assertSameSet(rows);
      }
    }),
    { numRuns: 500, seed: 7 },
  );
});

Deno.test("every record the engine writes, with and without models: same text, valid, and the set expands back to the rows", async () => {
  const real = await loadDeployedModels("var/models", "var/evaluation.json", 60);
  const none: DeployedModels = { blends: new Map(), halfWidths: new Map(), problems: [] };
  let records = 0;
  for (const models of [none, real]) {
    const engine = new RealtimeForecaster(models, { utcOffsetMin: 60, warmupH: 24 });
    for (let h = 0; h < 60; h++) {
      for (let s = 0; s < 3; s++) {
        const wave = Math.sin((2 * Math.PI * h) / 24) + s / 7;
        const reading = waveReading(h, {
          station: `station-${s}`,
          shift: s / 7,
          overrides: {
            co_mg_m3: h % 7 === s ? null : 2 + wave,
            nox_ppb: h % 5 === 0 ? null : 150 + 50 * wave,
          },
          source: { topic: "airq.readings.clean", partition: s, offset: String(3 * h + s) },
        });
        const out = engine.process(reading, h % 2 === 0 ? reading.source : null);
        assertSameSet(out.forecasts);
        const text = forecastSetJson(out.forecasts, ISSUED);
        const set = ForecastSetSchema.parse(JSON.parse(text));
        assert.deepStrictEqual(forecastRows(set), out.forecasts);
        assert.deepStrictEqual(forecastSetSource(text), out.forecasts[0]!.source);
        for (const e of out.estimates) {
          assertSameJson(estimateJson(e), e);
          EstimateRecordSchema.parse(JSON.parse(estimateJson(e)));
        }
        records += out.forecasts.length + out.estimates.length;
      }
    }
  }
  assert.ok(records >= 2 * 60 * 3 * 12);
});
