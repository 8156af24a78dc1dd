import assert from "node:assert/strict";
import {
  blockResample,
  classify,
  conformalIntervals,
  dieboldMariano,
  holmAdjust,
  intervalScore,
  intervalScores,
  mae,
  naiveScale,
  neweyWestLags,
  neweyWestVariance,
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

Deno.test(
  "dieboldMariano() matches Newey-West references from statsmodels and arch (auto bandwidth)",
  pure,
  () => {
    // reference.json: lags from arch 8.0.0 Bartlett(force_int=True).bandwidth (Newey-West 1994),
    // at least h - 1; variance from statsmodels 0.15.0 OLS HAC (use_correction=False), checked
    // against arch's long_run; p from scipy 1.17.1 t(n - 1). See tests/fixtures/forecast/README.md.
    for (const c of reference.diebold_mariano) {
      assert.equal(neweyWestLags(c.d), c.auto_lags);
      const r = dieboldMariano(c.d, c.h);
      assert.equal(r.n, c.n);
      assert.equal(r.lags, c.lags);
      close(r.longRunVariance, c.long_run_variance);
      close(neweyWestVariance(c.d, c.lags), c.long_run_variance);
      close(r.meanDifference, c.mean);
      close(r.dm, c.dm);
      close(r.statistic, c.statistic);
      close(r.pValue, c.p_value, 1e-7);
    }
  },
);

Deno.test(
  "dieboldMariano() widens its bandwidth with the autocorrelation, not only with h",
  pure,
  () => {
    // AR(1) with phi 0.9 at h = 1: the old h - 1 = 0 lag rule used no autocovariance at all
    const rng = mulberry32(4);
    const d = new Float64Array(2000);
    for (let i = 1; i < d.length; i++) d[i] = 0.9 * d[i - 1]! + (rng() - 0.5);
    const r = dieboldMariano(Float64Array.from(d, (v) => v + 0.05), 1);
    assert.ok(r.lags >= 10, `${r.lags}`);
    let g0 = 0;
    const m = r.meanDifference;
    for (const v of d) g0 += (v + 0.05 - m) ** 2;
    g0 /= d.length;
    // the AR(1) long-run variance is about (1 + phi) / (1 - phi) = 19 times g0
    assert.ok(r.longRunVariance > 5 * g0, `${r.longRunVariance} vs ${g0}`);
  },
);

Deno.test("holmAdjust() matches statsmodels multipletests(method='holm')", pure, () => {
  const adjusted = holmAdjust(reference.holm.p);
  reference.holm.adjusted.forEach((p: number, i: number) => close(adjusted[i]!, p));
  assert.deepEqual(holmAdjust([0.2, NaN, 0.01]), [0.2, NaN, 0.02]);
});

Deno.test("intervalScore() adds the width and 2/alpha times each miss", pure, () => {
  // widths 4, 4, 4; misses: none, below by 1, above by 2; alpha 0.2 -> 2/alpha = 10
  const s = intervalScore([0, 0, 0, NaN], [4, 4, 4, 1], [2, -1, 6, 0], 0.2);
  close(s, (4 + (4 + 10) + (4 + 20)) / 3);
  assert.ok(Number.isNaN(intervalScore([NaN], [1], [0], 0.1)));
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
