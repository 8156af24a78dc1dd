import assert from "node:assert/strict";
import {
  blockResample,
  classify,
  conformalIntervals,
  dieboldMariano,
  intervalScores,
  mae,
  naiveScale,
  quantileSorted,
  rmse,
  skillInterval,
  skillScore,
} from "../../lib/scoring/mod.ts";
import { mulberry32 } from "../../lib/models/mod.ts";

const pure = { permissions: "none" } as const;
const reference = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/forecast/reference.json", import.meta.url)),
);
const close = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

Deno.test(
  "mae(), rmse() and naiveScale() match hand-computed values, skipping missing pairs",
  pure,
  () => {
    const obs = [2, 4, NaN, 8, 10];
    const pred = [1, 5, 7, 8, NaN];
    assert.equal(mae(pred, obs), (1 + 1 + 0) / 3);
    close(rmse(pred, obs), Math.sqrt((1 + 1 + 0) / 3));
    // |4-2|, |8-NaN| skipped, |10-8| with period 1 over [2, 4, NaN, 8, 10]: pairs (4,2), (10,8)
    assert.equal(naiveScale(obs, 1), 2);
    // period 2: (NaN,2) skipped, (8,4)=4, (10,NaN) skipped
    assert.equal(naiveScale(obs, 2), 4);
    assert.equal(skillScore(0.8, 1), 1 - 0.8);
    assert.ok(Number.isNaN(mae([NaN], [1])));
  },
);

Deno.test("classify() counts hits, false alarms and misses", pure, () => {
  const s = classify([true, true, true, false, false, false], [
    true,
    true,
    false,
    true,
    false,
    false,
  ]);
  assert.deepEqual([s.tp, s.fp, s.fn, s.tn], [2, 1, 1, 2]);
  close(s.precision, 2 / 3);
  close(s.recall, 2 / 3);
  close(s.f1, 2 / 3);
  const none = classify([false, false], [true, false]);
  assert.deepEqual([none.precision, none.recall, none.f1], [0, 0, 0]);
});

Deno.test("dieboldMariano() matches statsmodels/scipy reference values", pure, () => {
  for (const c of reference.diebold_mariano) {
    const r = dieboldMariano(c.d, c.h);
    assert.equal(r.n, c.n);
    close(r.meanDifference, c.mean);
    close(r.dm, c.dm);
    close(r.statistic, c.statistic);
    close(r.pValue, c.p_value, 1e-7);
  }
});

Deno.test("mulberry32() is the generator the Python fixtures ported", pure, () => {
  const rng = mulberry32(1);
  assert.deepEqual([rng(), rng(), rng()], reference.mulberry32_seed1_first3);
});

Deno.test("skillInterval() matches the independent Python block bootstrap", pure, () => {
  for (const c of reference.bootstrap) {
    const ci = skillInterval(Float64Array.from(c.e_model), Float64Array.from(c.e_ref), {
      resamples: c.resamples,
      blockLength: c.block,
      seed: c.seed,
      level: c.level,
    });
    close(ci.lo, c.lo);
    close(ci.hi, c.hi);
  }
});

Deno.test("blockResample() keeps blocks of consecutive points inside the range", pure, () => {
  const idx = blockResample(100, 24, mulberry32(5));
  assert.equal(idx.length, 100);
  for (let k = 0; k < idx.length; k++) {
    assert.ok(idx[k]! >= 0 && idx[k]! < 100);
    if (k % 24 !== 0) assert.equal(idx[k], idx[k - 1]! + 1);
  }
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
});

Deno.test("the block bootstrap of a mean of iid data has about the textbook spread", pure, () => {
  const rng = mulberry32(9);
  const n = 400;
  // uniform(0,1): sd = 1/sqrt(12); the mean's sd is that / sqrt(n)
  const x = Float64Array.from({ length: n }, () => rng());
  const ones = new Float64Array(n).fill(1);
  const ci = skillInterval(x, ones, { resamples: 2000, blockLength: 5, seed: 3, level: 0.95 });
  const width = ci.hi - ci.lo;
  const expected = 2 * 1.96 * (1 / Math.sqrt(12)) / Math.sqrt(n);
  assert.ok(Math.abs(width / expected - 1) < 0.15, `${width} vs ${expected}`);
});

Deno.test("conformalIntervals() covers about 90 % of stationary noise and is causal", pure, () => {
  const rng = mulberry32(11);
  const n = 3000;
  const obs = Float64Array.from({ length: n }, () => rng() * 10);
  const pred = new Float64Array(n).fill(5);
  const opts = { alpha: 0.1, window: 500, gamma: 0.005, minResiduals: 50 };
  const { lower, upper } = conformalIntervals(pred, obs, 6, opts);
  const shifted = (a: Float64Array) => Float64Array.from({ length: n }, (_, t) => a[t - 6] ?? NaN);
  const score = intervalScores(shifted(lower), shifted(upper), obs);
  assert.ok(score.coverage > 0.88 && score.coverage < 0.92, `${score.coverage}`);
  assert.ok(Math.abs(score.meanWidth - 9) < 0.6, `${score.meanWidth}`);
  // changing outcomes after t never changes the interval made at t
  const t = 2000;
  const changed = obs.slice();
  for (let i = t + 1; i < n; i++) changed[i] = 1e6;
  const again = conformalIntervals(pred, changed, 6, opts);
  assert.equal(again.upper[t], upper[t]);
  assert.equal(again.lower[t], lower[t]);
});
