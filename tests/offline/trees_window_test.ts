/**
 * The forecast trees' own window and row subsample (`walkForward.trees`, issue 17): in evaluate's
 * walk-forward ridge keeps its window and the trees (level and change) fit theirs; the models
 * `deno task train` writes (and the forecaster serves) forecast what the walk-forward refit at
 * the same hour forecasts.
 */
import assert from "node:assert/strict";
import {
  buildFeatureMatrix,
  fieldOf,
  sliceSeries,
  toHourlySeries,
} from "../../lib/features/mod.ts";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { changeOffsetAt } from "../../lib/models/mod.ts";
import {
  bestOf,
  type ForecastConfig,
  forecastTreesOf,
  trainModels,
  walkForward,
  type WalkForwardOptions,
} from "../../lib/offline/mod.ts";
import { assembleModels, modelKey } from "../../lib/realtime/mod.ts";
import { CompiledBlend } from "../../lib/realtime/models.ts";
import { UCI_PATH } from "../_data.ts";
import { smallForecastConfig } from "../_models.ts";

const rows = await Array.fromAsync(readUciFile(UCI_PATH));
const series = toHourlySeries(rows.slice(0, 3000));
const T = 2800;

/** The small config without `walkForward.trees`: one window (1,000 h) for ridge and trees. */
async function oneWindowConfig(): Promise<ForecastConfig> {
  const small = await smallForecastConfig();
  const { trees: _, ...walk } = small.walkForward;
  return { ...small, walkForward: walk };
}

/** The small config with the trees on all history at row subsample 0.5, learning rate 0.05. */
async function treesConfig(): Promise<ForecastConfig> {
  const small = await oneWindowConfig();
  return {
    ...small,
    walkForward: {
      ...small.walkForward,
      trees: { trainWindowH: null, rowSubsample: 0.5, learningRate: 0.05 },
    },
  };
}

/** Evaluate's walk-forward of every target at `h`, one weekly block from `T`. */
function run(config: ForecastConfig, h: number, options: Partial<WalkForwardOptions> = {}) {
  const features = buildFeatureMatrix(series, { mode: "forecast", horizonH: h, utcOffsetMin: 60 });
  return walkForward(features, config.targets.map((t) => series.columns[fieldOf(t)]), {
    horizonH: h,
    fromTarget: T + h,
    toTarget: T + 167 + h,
    anchor: T,
    refitEveryH: 168,
    trainWindowH: config.walkForward.trainWindowH,
    ridge: config.ridge,
    gbt: config.gbt,
    changeLookbackH: config.change?.lookbackH ?? null,
    trees: forecastTreesOf(config),
    ...options,
  });
}

Deno.test("walk-forward: ridge keeps its window, the trees (level and change) fit their own", async () => {
  const config = await treesConfig();
  const both = run(config, 6);
  const ridgeAlone = run(config, 6, { trees: null });
  const treesAlone = run(config, 6, {
    trees: null,
    trainWindowH: null,
    gbt: { ...config.gbt, rowSubsample: 0.5, learningRate: 0.05 },
  });
  // without walkForward.trees (the defaults) the walk-forward is the one without `trees`
  const absent = run(await oneWindowConfig(), 6);
  let differs = 0;
  for (const [s, r] of both.entries()) {
    assert.deepEqual([...r.ridge], [...ridgeAlone[s]!.ridge]);
    assert.deepEqual([...r.change!.ridge], [...ridgeAlone[s]!.change!.ridge]);
    assert.deepEqual([...r.gbt], [...treesAlone[s]!.gbt]);
    assert.deepEqual([...r.change!.gbt], [...treesAlone[s]!.change!.gbt]);
    assert.deepEqual([...absent[s]!.gbt], [...ridgeAlone[s]!.gbt]);
    r.gbt.forEach((v, i) => {
      if (v === v && v !== ridgeAlone[s]!.gbt[i]) differs++;
    });
  }
  assert.ok(differs > 0, "the trees' own window changed no forecast: the check could not fail");
});

Deno.test("the trained forecast models forecast what evaluate's walk-forward refit forecasts", async () => {
  const config = await treesConfig();
  const models = assembleModels(
    trainModels(sliceSeries(series, 0, T), config, "2026-01-01T00:00:00.000Z"),
    null,
    60,
  );
  let compared = 0;
  for (const h of [1, 6]) {
    const runs = run(config, h);
    const x = buildFeatureMatrix(series, { mode: "forecast", horizonH: h, utcOffsetMin: 60 });
    for (const [s, target] of config.targets.entries()) {
      const blend = models.blends.get(modelKey(target, h))!;
      const gbt = blend.parts.find((p) => p.artifact.name === "gbt")!.artifact;
      const ridge = blend.parts.find((p) => p.artifact.name === "ridge")!.artifact;
      assert.ok(gbt.trainingWindow.rows > ridge.trainingWindow.rows, `${target} ${h} h rows`);
      const offline = bestOf(config, target, h, runs[s]!, undefined);
      const y = series.columns[fieldOf(target)];
      const compiled = new CompiledBlend(blend);
      for (let t = T; t <= T + 167; t++) {
        const row = x.data.subarray((t - x.from) * x.p, (t - x.from + 1) * x.p);
        const lookback = compiled.change?.lookbackH ?? null;
        const live = compiled.predict(
          row,
          undefined,
          lookback === null ? NaN : changeOffsetAt(y, t, lookback),
        );
        const expected = offline[t]!;
        assert.ok(
          Math.abs(live - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
          `${target} ${h} h at ${t}: ${live} vs ${expected}`,
        );
        compared++;
      }
    }
  }
  assert.equal(compared, 2 * 4 * 168);
});
