import assert from "node:assert/strict";
import {
  applyBins,
  binOf,
  fitBinCuts,
  fitGbt,
  fitRidge,
  type GbtParams,
  lastObserved,
  mulberry32,
  parseModelArtifact,
  persistenceForecast,
  predictGbt,
  predictModel,
  predictRidge,
  seasonalNaiveForecast,
} from "../../lib/models/mod.ts";

const pure = { permissions: "none" } as const;
const reference = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/forecast/reference.json", import.meta.url)),
);

const GBT: GbtParams = {
  trees: 60,
  learningRate: 0.1,
  maxDepth: 4,
  minSamplesLeaf: 10,
  treeFeatureFraction: 1,
  splitFeatureFraction: 0.7,
  rowSubsample: 0.8,
  maxBins: 64,
  l2: 1,
  seed: 1,
  transform: "none",
};

function friedman(n: number, seed: number) {
  const rng = mulberry32(seed);
  const p = 6;
  const data = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) data[i * p + j] = rng();
    const x = data.subarray(i * p, i * p + p);
    y[i] = 10 * Math.sin(Math.PI * x[0]! * x[1]!) + 20 * (x[2]! - 0.5) ** 2 + 10 * x[3]! +
      5 * x[4]! + (rng() - 0.5);
  }
  return { x: { n, p, data }, y };
}

Deno.test("persistence and seasonal naive use the last observed value up to t", pure, () => {
  const y = [1, 2, NaN, 4, NaN, NaN];
  assert.equal(lastObserved(y, 5), 4);
  assert.equal(persistenceForecast(y, 2, 1), 2);
  assert.ok(Number.isNaN(lastObserved([NaN, NaN], 1)));
  const daily = Array.from({ length: 200 }, (_, i) => i);
  assert.equal(seasonalNaiveForecast(daily, 100, 1, 24), 77);
  assert.equal(seasonalNaiveForecast(daily, 100, 24, 24), 100);
  assert.equal(seasonalNaiveForecast(daily, 180, 6, 168), 18);
  daily[77] = NaN;
  assert.equal(seasonalNaiveForecast(daily, 100, 1, 24), 76);
});

Deno.test("fitRidge() matches numpy's closed-form solution", pure, () => {
  const r = reference.ridge;
  const n = r.x.length, p = r.x[0].length;
  const x = { n, p, data: Float64Array.from(r.x.flat()) };
  const model = fitRidge(x, r.y, { lambda: r.lambda, transform: "none" });
  const pred = predictRidge(model, { n: 1, p, data: Float64Array.from(r.x_new.flat()) });
  assert.ok(Math.abs(pred[0]! - r.prediction) < 1e-9, `${pred[0]} vs ${r.prediction}`);
});

Deno.test(
  "fitRidge() imputes missing values with the training mean and ignores constant columns",
  pure,
  () => {
    const x = { n: 4, p: 2, data: new Float64Array([0, 5, 1, 5, 2, 5, 3, 5]) };
    const model = fitRidge(x, [1, 3, 5, 7], { lambda: 0, transform: "none" });
    assert.equal(model.coef[1], 0);
    const pred = predictRidge(model, { n: 1, p: 2, data: new Float64Array([NaN, 5]) });
    assert.ok(Math.abs(pred[0]! - 4) < 1e-9); // the mean of x is 1.5 -> 1 + 2 * 1.5
  },
);

Deno.test("binning: missing values get bin 0, at most maxBins bins, order kept", pure, () => {
  const data = Float64Array.from({ length: 1000 }, (_, i) => (i % 17 === 0 ? NaN : i % 300));
  const cuts = fitBinCuts({ n: 1000, p: 1, data }, 16);
  assert.ok(cuts[0]!.length <= 15);
  const bins = applyBins({ n: 1000, p: 1, data }, cuts);
  assert.equal(bins[0], 0);
  assert.ok(Math.max(...bins) <= 15);
  assert.ok(binOf(cuts[0]!, 10) <= binOf(cuts[0]!, 200));
});

Deno.test(
  "fitGbt() learns a nonlinear function far better than the mean, reproducibly",
  pure,
  () => {
    const train = friedman(2000, 1), test = friedman(500, 2);
    const model = fitGbt(train.x, train.y, GBT);
    const pred = predictGbt(model, test.x);
    const mean = train.y.reduce((s, v) => s + v, 0) / train.y.length;
    let se = 0, st = 0;
    for (let i = 0; i < test.y.length; i++) {
      se += (pred[i]! - test.y[i]!) ** 2;
      st += (mean - test.y[i]!) ** 2;
    }
    assert.ok(1 - se / st > 0.8, `R2 ${1 - se / st}`);
    const again = predictGbt(fitGbt(train.x, train.y, GBT), test.x);
    assert.deepEqual(Array.from(again), Array.from(pred));
    const other = predictGbt(fitGbt(train.x, train.y, { ...GBT, seed: 2 }), test.x);
    assert.notDeepEqual(Array.from(other), Array.from(pred));
  },
);

Deno.test("fitGbt() sends missing values their own way", pure, () => {
  const n = 400;
  const data = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? NaN : i));
  const y = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 10 : 0));
  const model = fitGbt({ n, p: 1, data }, y, { ...GBT, rowSubsample: 1, splitFeatureFraction: 1 });
  const pred = predictGbt(model, { n: 2, p: 1, data: new Float64Array([NaN, 101]) });
  assert.ok(pred[0]! > 9 && pred[1]! < 1, `${pred[0]}, ${pred[1]}`);
});

Deno.test("fitGbt() fits 7,000 x 120 in a few seconds", pure, () => {
  const rng = mulberry32(4);
  const n = 7000, p = 120;
  const data = Float64Array.from({ length: n * p }, () => (rng() < 0.05 ? NaN : rng()));
  const y = Float64Array.from({ length: n }, (_, i) => 3 * (data[i * p] || 0) + rng());
  const t0 = performance.now();
  fitGbt({ n, p, data }, y, { ...GBT, trees: 100, maxDepth: 6, treeFeatureFraction: 0.4 });
  const seconds = (performance.now() - t0) / 1000;
  assert.ok(seconds < 6, `${seconds} s`); // about 1 s here when the machine is idle
});

Deno.test("model artifacts round-trip through JSON and are validated", pure, () => {
  const train = friedman(300, 3);
  const model = fitGbt(train.x, train.y, GBT);
  const artifact = {
    format: "airq-model",
    version: 1,
    target: "CO(GT)",
    mode: "forecast",
    horizonH: 1,
    name: "gbt",
    blendWeight: 0.5,
    features: ["a", "b", "c", "d", "e", "f"],
    trainingWindow: { from: "2004-03-10T17:00:00.000Z", to: "2004-04-10T17:00:00.000Z", rows: 300 },
    metrics: { in_sample_mae: 1, validation_mae: null },
    intervalHalfWidth: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    model,
  };
  const back = parseModelArtifact(JSON.stringify(artifact));
  assert.deepEqual(
    Array.from(predictModel(back.model, train.x)),
    Array.from(predictGbt(model, train.x)),
  );
  assert.throws(
    () => parseModelArtifact(JSON.stringify({ ...artifact, version: 2 }), "x.json"),
    (e: unknown) => e instanceof TypeError && /x\.json/.test(e.message),
  );
});
