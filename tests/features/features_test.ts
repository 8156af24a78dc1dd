import assert from "node:assert/strict";
import fc from "fast-check";
import {
  buildFeatureMatrix,
  easterSunday,
  featureNames,
  type FeatureSpec,
  FeatureState,
  HOUR_MS,
  isItalianHoliday,
  localHour,
  season,
  sliceSeries,
  toHourlySeries,
} from "../../lib/features/mod.ts";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { MEASUREMENT_FIELDS, type Measurements } from "../../lib/records/mod.ts";
import { UCI_PATH } from "../_data.ts";
import { syntheticSeries } from "./_synthetic.ts";

const pure = { permissions: "none" } as const;
const SPECS: FeatureSpec[] = [
  { mode: "forecast", horizonH: 1, utcOffsetMin: 60 },
  { mode: "forecast", horizonH: 6, utcOffsetMin: 60 },
  { mode: "forecast", horizonH: 24, utcOffsetMin: 60 },
  { mode: "nowcast", horizonH: 0, utcOffsetMin: 60 },
];

/** Equal as numbers, NaN equal to NaN, bit for bit otherwise. */
function assertSameVector(a: ArrayLike<number>, b: ArrayLike<number>, names: readonly string[]) {
  assert.equal(a.length, b.length);
  for (let j = 0; j < a.length; j++) {
    assert.ok(Object.is(a[j], b[j]), `feature ${names[j]}: ${a[j]} vs ${b[j]}`);
  }
}

Deno.test(
  "easterSunday() and isItalianHoliday() know Easter Monday and the fixed days",
  pure,
  () => {
    assert.deepEqual(easterSunday(2004), { month: 4, day: 11 });
    assert.deepEqual(easterSunday(2005), { month: 3, day: 27 });
    assert.deepEqual(easterSunday(2019), { month: 4, day: 21 });
    assert.equal(isItalianHoliday(2004, 4, 12), true);
    assert.equal(isItalianHoliday(2004, 4, 25), true);
    assert.equal(isItalianHoliday(2004, 8, 15), true);
    assert.equal(isItalianHoliday(2004, 12, 8), true);
    assert.equal(isItalianHoliday(2004, 12, 26), true);
    assert.equal(isItalianHoliday(2004, 4, 13), false);
    assert.deepEqual([12, 1, 3, 6, 9, 11].map(season), [0, 0, 1, 2, 3, 3]);
  },
);

Deno.test("localHour() reads station time at a fixed +01:00 offset", pure, () => {
  const t = localHour(Date.parse("2005-01-01T00:00:00+01:00"), 60);
  assert.deepEqual(t, { year: 2005, month: 1, day: 1, hour: 0, dow: 5, doy: 0 });
  const summer = localHour(Date.parse("2004-07-15T13:00:00+01:00"), 60);
  assert.equal(summer.hour, 13); // no daylight-saving jump
});

Deno.test(
  "featureNames() gives 80 to 150 unique names, calendar of the target hour first",
  pure,
  () => {
    for (const spec of SPECS) {
      const names = featureNames(spec);
      assert.ok(names.length >= 80 && names.length <= 150, `${names.length}`);
      assert.equal(new Set(names).size, names.length);
      assert.equal(names[0], "tgt_hour");
    }
    assert.ok(featureNames(SPECS[3]!).includes("co_mg_m3_lag1"));
    assert.ok(!featureNames(SPECS[3]!).includes("co_mg_m3_lag0"));
  },
);

Deno.test("target calendar features describe t + h", pure, () => {
  const series = syntheticSeries(30, 1);
  const spec = SPECS[1]!; // h = 6
  const m = buildFeatureMatrix(series, spec);
  const row = 20; // info time index 20 -> 2005-01-01 20:00 local, target 02:00 on the 2nd
  assert.equal(m.data[row * m.p + m.names.indexOf("tgt_hour")], 2);
  assert.equal(m.data[row * m.p + m.names.indexOf("hour_t")], 20);
  assert.equal(m.data[row * m.p + m.names.indexOf("tgt_holiday")], 0);
  assert.equal(m.data[2 * m.p + m.names.indexOf("tgt_holiday")], 1); // 1 January
});

Deno.test(
  "the same-hour mean averages the target's hour of the 7 days before it, skipping gaps",
  pure,
  () => {
    const series = syntheticSeries(400, 3, 0.2);
    const column = series.columns.no2_ug_m3;
    // the virtual sensor does not have it (validation chose it for the forecasts only)
    assert.equal(featureNames(SPECS[3]!).some((n) => n.endsWith("_same_hour_mean7")), false);
    for (const spec of SPECS.slice(0, 3)) {
      const m = buildFeatureMatrix(series, spec);
      const j = m.names.indexOf("no2_ug_m3_same_hour_mean7");
      assert.ok(j >= 0);
      for (let t = 200; t < 400; t += 7) {
        // the target hour t + h one day earlier is the latest hour at or before t
        let day = t + spec.horizonH - 24;
        while (day > t) day -= 24;
        const values = [0, 1, 2, 3, 4, 5, 6].map((d) => column[day - 24 * d]!)
          .filter((v) => !Number.isNaN(v));
        const expected = values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
        const got = m.data[t * m.p + j]!;
        assert.ok(
          Object.is(got, expected) || Math.abs(got - expected) < 1e-12,
          `${spec.mode} h=${spec.horizonH} t=${t}: ${got} vs ${expected}`,
        );
      }
    }
  },
);

Deno.test("FeatureState fed hour by hour equals buildFeatureMatrix(), gaps included", pure, () => {
  const series = syntheticSeries(500, 7, 0.15);
  const skipped = (i: number) => i % 97 === 50 || (i > 300 && i < 310); // hours that never arrive
  for (let i = 0; i < series.length; i++) {
    if (skipped(i)) { for (const f of MEASUREMENT_FIELDS) series.columns[f][i] = NaN; }
  }
  const batch = SPECS.map((spec) => buildFeatureMatrix(series, spec));
  const state = new FeatureState();
  for (let i = 0; i < series.length; i++) {
    if (skipped(i)) continue;
    const m = Object.fromEntries(
      MEASUREMENT_FIELDS.map((f) => {
        const v = series.columns[f][i]!;
        return [f, Number.isNaN(v) ? null : v];
      }),
    ) as Measurements;
    state.push(series.startMs + i * HOUR_MS, m);
    SPECS.forEach((spec, s) => {
      const b = batch[s]!;
      assertSameVector(state.features(spec), b.data.subarray(i * b.p, (i + 1) * b.p), b.names);
    });
  }
});

Deno.test("FeatureState.push() rejects hours out of order", pure, () => {
  const state = new FeatureState();
  const m = Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, 1])) as Measurements;
  state.push(Date.UTC(2005, 0, 1, 5), m);
  assert.throws(() => state.push(Date.UTC(2005, 0, 1, 5), m), RangeError);
  assert.throws(() => state.push(Date.UTC(2005, 0, 1, 5, 30), m), RangeError);
  assert.throws(() => new FeatureState().features(SPECS[0]!), RangeError);
});

Deno.test("features at t never change when values after t change (leakage property)", pure, () => {
  const base = syntheticSeries(420, 11, 0.1);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 400 }),
      fc.constantFrom(...SPECS),
      fc.array(
        fc.record({
          after: fc.integer({ min: 1, max: 30 }),
          field: fc.constantFrom(...MEASUREMENT_FIELDS),
          value: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(NaN)),
        }),
        { minLength: 1, maxLength: 40 },
      ),
      fc.double({ min: -1e3, max: 1e3, noNaN: true }),
      (t, spec, changes, refAtT) => {
        const before = buildFeatureMatrix(base, spec, { from: t, to: t + 1 }).data;
        const changed = sliceSeries(base, 0, base.length);
        for (const c of changes) {
          const i = t + c.after;
          if (i < changed.length) changed.columns[c.field][i] = c.value;
        }
        // every value after t, changed at once: a shifted copy of the future
        for (const f of MEASUREMENT_FIELDS) {
          for (let i = t + 1; i < changed.length; i += 3) changed.columns[f][i] = refAtT + i;
        }
        if (spec.mode === "nowcast") {
          // the virtual sensor must not see the reference values at t either
          for (
            const f of ["co_mg_m3", "nox_ppb", "no2_ug_m3", "c6h6_ug_m3", "nmhc_ug_m3"] as const
          ) {
            changed.columns[f][t] = refAtT;
          }
        }
        const after = buildFeatureMatrix(changed, spec, { from: t, to: t + 1 }).data;
        assertSameVector(after, before, featureNames(spec));
      },
    ),
    { numRuns: 300, seed: 42 },
  );
});

Deno.test(
  "the leakage test would notice a leak: a change at t moves forecast features",
  pure,
  () => {
    const base = syntheticSeries(200, 3, 0);
    const spec = SPECS[0]!;
    const before = buildFeatureMatrix(base, spec, { from: 150, to: 151 }).data;
    const changed = sliceSeries(base, 0, base.length);
    changed.columns.co_mg_m3[150] = 99;
    const after = buildFeatureMatrix(changed, spec, { from: 150, to: 151 }).data;
    assert.notDeepEqual(Array.from(after), Array.from(before));
  },
);

Deno.test("FeatureState equals buildFeatureMatrix() on two weeks of the real file", async () => {
  const rows = [];
  for await (const row of readUciFile(UCI_PATH)) {
    rows.push(row);
    if (rows.length >= 24 * 14) break;
  }
  const series = toHourlySeries(rows);
  const state = new FeatureState();
  const batch = SPECS.map((spec) => buildFeatureMatrix(series, spec));
  rows.forEach((row, i) => {
    state.push(row.epochMs, row.measurements);
    SPECS.forEach((spec, s) => {
      const m = batch[s]!;
      assertSameVector(state.features(spec), m.data.subarray(i * m.p, (i + 1) * m.p), m.names);
    });
  });
});
