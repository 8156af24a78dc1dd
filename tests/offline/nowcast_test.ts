import assert from "node:assert/strict";
import { buildFeatureMatrix, fieldOf, type HourlySeries } from "../../lib/features/mod.ts";
import { MEASUREMENT_FIELDS, type MeasurementField } from "../../lib/records/reading.ts";
import { mulberry32 } from "../../lib/random.ts";
import {
  hourBiasCorrected,
  lastBefore,
  MAX_AGE_H,
  nowcastColumns,
  nowcastEstimate,
  type NowcastOptions,
  rollingMedian,
  runNowcasts,
  withColumns,
} from "../../lib/offline/nowcast.ts";

const pure = { permissions: "none" } as const;
const START = Date.parse("2004-03-10T18:00:00Z");

const same = (a: ArrayLike<number>, b: readonly number[]) =>
  assert.deepEqual(
    Array.from(a, (v) => (Number.isNaN(v) ? "NaN" : v)),
    b.map((v) => Number.isNaN(v) ? "NaN" : v),
  );

Deno.test("rollingMedian() is causal, skips missing values and slides its window", pure, () => {
  // windows of 3 ending at t: {1}, {1}, {1,3}, {3,2}, {3,2,10}, {2,10}
  same(rollingMedian([1, NaN, 3, 2, 10, NaN], 3), [1, 1, 2, 2.5, 3, 6]);
  same(rollingMedian([NaN, NaN], 2), [NaN, NaN]);
  // duplicates leave the window one at a time
  same(rollingMedian([5, 5, 1, 1, 1], 2), [5, 5, 3, 1, 1]);
});

Deno.test(
  "lastBefore() gives the age and value of the last reference strictly before t",
  pure,
  () => {
    const { age, value } = lastBefore([NaN, 5, NaN, NaN, 7, 8]);
    same(age, [NaN, NaN, 1, 2, 3, 1]);
    same(value, [NaN, NaN, 5, 5, 5, 7]);
    const long = new Float64Array(MAX_AGE_H + 10).fill(NaN);
    long[0] = 1;
    assert.equal(lastBefore(long).age[MAX_AGE_H + 9], MAX_AGE_H);
  },
);

Deno.test("hourBiasCorrected() removes the mean same-hour error of the previous days", pure, () => {
  const estimate = new Float64Array(24 * 3).fill(10);
  const y = new Float64Array(24 * 3).fill(8);
  y[5] = NaN; // hour 5 of day 0 unknown: day 1's hour 5 has no error to use
  estimate[50] = NaN;
  const out = hourBiasCorrected(estimate, y, 7);
  assert.equal(out[3], 10); // day 0: nothing before
  assert.equal(out[24 + 3], 8);
  assert.equal(out[24 + 5], 10);
  assert.equal(out[48 + 5], 8); // day 1's hour 5 error is 2
  assert.ok(Number.isNaN(out[50]!));
  // errors are never read at t or later: changing y from t on leaves out[t]
  const y2 = Float64Array.from(y, (v, i) => (i >= 30 ? 1000 : v));
  assert.equal(hourBiasCorrected(estimate, y2, 7)[30], out[30]);
});

/** A random series of `hours` hours, sensors and references loosely related. */
function syntheticSeries(hours: number, seed: number): HourlySeries {
  const rand = mulberry32(seed);
  const columns = Object.fromEntries(
    MEASUREMENT_FIELDS.map((f) => [f, new Float64Array(hours)]),
  ) as Record<MeasurementField, Float64Array>;
  let level = 2;
  for (let t = 0; t < hours; t++) {
    level = Math.max(0.2, level + (rand() - 0.5) * 0.6);
    columns.t_c[t] = 10 + 8 * Math.sin((2 * Math.PI * t) / 24) + rand();
    columns.rh_pct[t] = 50 + 20 * rand();
    columns.ah[t] = 0.8 + 0.2 * rand();
    columns.pt08_s1_co[t] = 900 + 150 * level + 20 * rand() + t * 0.05; // drifts
    columns.pt08_s2_nmhc[t] = 800 + 100 * level + 30 * rand();
    columns.pt08_s3_nox[t] = 1200 - 80 * level + 30 * rand();
    columns.pt08_s4_no2[t] = 1500 + 60 * level + 40 * rand();
    columns.pt08_s5_o3[t] = 900 + 120 * level + 50 * rand();
    columns.co_mg_m3[t] = level + 0.1 * rand();
    columns.nox_ppb[t] = 80 * level + 10 * rand();
    columns.no2_ug_m3[t] = 30 + 20 * level + 5 * rand();
    columns.c6h6_ug_m3[t] = 3 * level + rand();
    columns.nmhc_ug_m3[t] = NaN;
    if (rand() < 0.05) {
      for (const f of ["co_mg_m3", "nox_ppb", "no2_ug_m3", "c6h6_ug_m3"] as const) {
        columns[f][t] = NaN;
      }
    }
  }
  return { startMs: START, length: hours, columns };
}

Deno.test(
  "nowcastColumns() appends drift ratios, weather products and reference ages",
  pure,
  () => {
    const series = syntheticSeries(200, 3);
    const { names, columns } = nowcastColumns(series, ["ratios", "weather", "age"]);
    assert.equal(names.length, 5 * 2 + 5 * 2 + 4 * 2);
    const s1 = series.columns.pt08_s1_co;
    const at = (name: string) => columns[names.indexOf(name)]!;
    assert.equal(at("pt08_s1_co_over_median24")[0], 1); // one value: its own median
    assert.equal(at("pt08_s1_co_over_median168")[150], s1[150]! / rollingMedian(s1, 168)[150]!);
    assert.equal(
      at("pt08_s3_nox_x_rh")[7],
      series.columns.pt08_s3_nox[7]! * series.columns.rh_pct[7]!,
    );
    assert.equal(at("co_mg_m3_last")[10], lastBefore(series.columns.co_mg_m3).value[10]);
    const base = buildFeatureMatrix(series, { mode: "nowcast", horizonH: 0, utcOffsetMin: 60 });
    const x = withColumns(base, { names, columns });
    assert.equal(x.p, base.p + names.length);
    assert.equal(x.data[5 * x.p + base.p], columns[0]![base.from + 5]);
    assert.equal(x.data[5 * x.p + 3], base.data[5 * base.p + 3]);
  },
);

const TARGETS = ["CO(GT)", "NOx(GT)"];
const GBT = {
  trees: 8,
  learningRate: 0.2,
  maxDepth: 3,
  minSamplesLeaf: 5,
  treeFeatureFraction: 0.8,
  splitFeatureFraction: 1,
  rowSubsample: 1,
  maxBins: 16,
  l2: 1,
  seed: 1,
  transform: "log1p",
} as const;

/** The virtual sensor's estimates of TARGETS at `from..to` for `options` on `series`. */
function estimates(series: HourlySeries, options: NowcastOptions, from: number, to: number) {
  const base = buildFeatureMatrix(series, { mode: "nowcast", horizonH: 0, utcOffsetMin: 60 });
  const runs = runNowcasts(
    series,
    base,
    TARGETS.map((target) => ({
      target,
      key: {
        features: options.features,
        trainWindowH: options.trainWindowH,
        target: options.target,
      },
    })),
    {
      fromTarget: from - 24 * (options.hourBiasDays ?? 0),
      toTarget: to,
      anchor: 300,
      refitEveryH: 100,
      ridge: { lambda: 1, transform: "log1p" },
      gbt: GBT,
    },
  );
  return TARGETS.map((target, s) =>
    nowcastEstimate(
      runs[s]!,
      series.columns[fieldOf(target)],
      options.gbtWeight,
      options.hourBiasDays,
    )
  );
}

for (
  const options of [
    { features: [], target: "level", hourBiasDays: null, trainWindowH: null, gbtWeight: 0.5 },
    {
      features: ["ratios", "weather", "age"],
      target: "change",
      hourBiasDays: 3,
      trainWindowH: 300,
      gbtWeight: 0.5,
    },
  ] satisfies NowcastOptions[]
) {
  Deno.test(
    `the nowcast at t never reads reference values at t or later (${options.target}, ` +
      `${options.features.join("+") || "shared features"})`,
    pure,
    () => {
      const series = syntheticSeries(520, 11);
      const t = 455; // inside the block 400..499, refit on target hours before 400
      const before = estimates(series, options, 440, 470);
      const refs = ["co_mg_m3", "nox_ppb", "no2_ug_m3", "c6h6_ug_m3"] as const;
      const rand = mulberry32(5);
      const perturbed: HourlySeries = {
        ...series,
        columns: {
          ...series.columns,
          ...Object.fromEntries(refs.map((f) => [
            f,
            Float64Array.from(
              series.columns[f],
              (v, i) => i < t ? v : rand() < 0.2 ? NaN : v * (1 + 5 * rand()),
            ),
          ])),
        },
      };
      const after = estimates(perturbed, options, 440, 470);
      for (let s = 0; s < TARGETS.length; s++) {
        assert.ok(Number.isFinite(before[s]![t]!), `${TARGETS[s]} at ${t}`);
        for (let u = 440; u <= t; u++) assert.equal(after[s]![u], before[s]![u], `${u}`);
      }
      // control: the reference at t - 1 is an input, so changing it moves the estimate at t
      const moved: HourlySeries = {
        ...series,
        columns: {
          ...series.columns,
          co_mg_m3: Float64Array.from(series.columns.co_mg_m3, (v, i) => (i === t - 1 ? 40 : v)),
        },
      };
      assert.notEqual(estimates(moved, options, 440, 470)[0]![t], before[0]![t]);
    },
  );
}
