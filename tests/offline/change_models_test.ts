/**
 * The change models (issue 17): ridge and trees fitted to the log1p change since the target's
 * last value observed in the lookback, walked forward beside the level models.
 */
import assert from "node:assert/strict";
import { buildFeatureMatrix, fieldOf, type HourlySeries } from "../../lib/features/mod.ts";
import { changeForecast, changeOffsetAt } from "../../lib/models/mod.ts";
import {
  bestOf,
  type ForecastConfig,
  walkForward,
  type WalkForwardOptions,
} from "../../lib/offline/mod.ts";
import { syntheticSeries } from "../features/_synthetic.ts";
import { smallForecastConfig } from "../_models.ts";
import { futureChanged } from "./_future.ts";

const TARGETS = ["CO(GT)", "NO2(GT)"] as const;

/** Walk-forward of `TARGETS` at 6 h over hours 400..480 of `series`, weekly blocks at 400. */
function run(
  series: HourlySeries,
  config: ForecastConfig,
  change: Pick<WalkForwardOptions, "changeLookbackH" | "changeOffsets" | "changeOnly">,
) {
  const features = buildFeatureMatrix(series, { mode: "forecast", horizonH: 6, utcOffsetMin: 60 });
  return walkForward(features, TARGETS.map((t) => series.columns[fieldOf(t)]), {
    horizonH: 6,
    fromTarget: 400,
    toTarget: 480,
    anchor: 400,
    refitEveryH: 48,
    trainWindowH: 300,
    ridge: config.ridge,
    gbt: config.gbt,
    ...change,
  });
}

Deno.test("changeOffsetAt: log1p of the latest value observed at i or in the lookback before it", () => {
  const y = [2, NaN, NaN, 5, NaN, NaN, NaN];
  assert.equal(changeOffsetAt(y, 0, 1), Math.log1p(2));
  assert.equal(changeOffsetAt(y, 2, 3), Math.log1p(2)); // lags 0..2 reach index 0
  assert.ok(Number.isNaN(changeOffsetAt(y, 2, 2))); // lags 0..1: indices 1 and 2, both missing
  assert.equal(changeOffsetAt(y, 6, 4), Math.log1p(5));
  assert.ok(Number.isNaN(changeOffsetAt(y, 6, 3)));
  assert.equal(changeForecast(Math.log(2), Math.log1p(5)), 11); // (1 + 5) x 2 - 1
  assert.equal(changeForecast(-10, 0), 0); // clipped at 0
});

Deno.test("the change models leave the level models alone and never see the future", async () => {
  const config = await smallForecastConfig();
  const series = syntheticSeries(560, 3);
  const level = run(series, config, { changeLookbackH: null });
  const both = run(series, config, { changeLookbackH: 168 });
  for (const [s, r] of both.entries()) {
    // the level models are the same, bit for bit
    assert.deepEqual([...r.ridge], [...level[s]!.ridge]);
    assert.deepEqual([...r.gbt], [...level[s]!.gbt]);
    assert.equal(level[s]!.change, undefined);
    const change = r.change!;
    for (let t = 0; t < series.length; t++) {
      const inRun = t + 6 >= 400 && t + 6 <= 480;
      assert.equal(Number.isFinite(change.ridge[t]!), inRun, `ridge t=${t}`);
      assert.equal(Number.isFinite(change.gbt[t]!), inRun, `gbt t=${t}`);
    }
  }
  // a change after t moves no forecast made at t or before, and some later one
  for (const t of [399, 401, 430, 449]) {
    const changed = run(futureChanged(series, t), config, { changeLookbackH: 168 });
    let later = 0;
    for (const [s, r] of changed.entries()) {
      const before = both[s]!.change!;
      for (let i = 394; i <= 474; i++) {
        for (const kind of ["ridge", "gbt"] as const) {
          if (i <= t) assert.equal(r.change![kind][i], before[kind][i], `${kind} ${i} (cut ${t})`);
          else if (r.change![kind][i] !== before[kind][i]) later++;
        }
      }
    }
    assert.ok(later > 0, `nothing after ${t} moved: the check could not fail`);
  }
});

Deno.test("changeOnly: the same change models without the level ones; offsets can be given", async () => {
  const config = await smallForecastConfig();
  const series = syntheticSeries(560, 3);
  const ys = TARGETS.map((t) => series.columns[fieldOf(t)]);
  const both = run(series, config, { changeLookbackH: 168 });
  const offsets = ys.map((y) => Float64Array.from(y, (_, i) => changeOffsetAt(y, i, 168)));
  const only = run(series, config, { changeOffsets: offsets, changeOnly: true });
  for (const [s, r] of only.entries()) {
    assert.deepEqual([...r.change!.ridge], [...both[s]!.change!.ridge]);
    assert.deepEqual([...r.change!.gbt], [...both[s]!.change!.gbt]);
    assert.ok(r.ridge.every(Number.isNaN) && r.gbt.every(Number.isNaN), "no level forecasts");
    assert.equal(r.refits, both[s]!.refits);
  }
  assert.throws(() => run(series, config, { changeOnly: true }), RangeError);
});

Deno.test("best blends the change models in with weight u, and the level blend stands alone where they have no value", async () => {
  const base: ForecastConfig = { ...await smallForecastConfig(), change: undefined };
  const config: ForecastConfig = {
    ...base,
    change: {
      lookbackH: 168,
      gbtWeight: { "CO(GT)": { "6": 0.25 } },
      weight: { "CO(GT)": { "6": 0.4 } },
    },
  };
  const n = 5;
  const runs = {
    ridge: Float64Array.from({ length: n }, (_, i) => 1 + i),
    gbt: Float64Array.from({ length: n }, (_, i) => 2 + i),
    change: {
      ridge: Float64Array.from([10, 10, NaN, 10, 10]),
      gbt: Float64Array.from([20, 20, NaN, 20, 20]),
    },
  };
  const w = config.gbtWeight["CO(GT)"]!["6"]!;
  const best = bestOf(config, "CO(GT)", 6, runs, undefined);
  for (let i = 0; i < n; i++) {
    const level = (1 - w) * runs.ridge[i]! + w * runs.gbt[i]!;
    const expected = i === 2 ? level : 0.6 * level + 0.4 * (0.75 * 10 + 0.25 * 20);
    assert.ok(Math.abs(best[i]! - expected) < 1e-12, `${i}: ${best[i]} against ${expected}`);
  }
  // u = 0 elsewhere: the change runs are not needed there
  assert.deepEqual(
    [...bestOf(config, "NO2(GT)", 6, { ridge: runs.ridge, gbt: runs.gbt }, undefined)],
    [...bestOf(base, "NO2(GT)", 6, { ridge: runs.ridge, gbt: runs.gbt }, undefined)],
  );
  assert.throws(
    () => bestOf(config, "CO(GT)", 6, { ridge: runs.ridge, gbt: runs.gbt }, undefined),
    /needs the change models/,
  );
});
