import assert from "node:assert/strict";
import { conformalIntervals, intervalScores } from "../../lib/scoring/mod.ts";
import { conditionalConformalIntervals } from "../../lib/scoring/conditional_conformal.ts";
import { mulberry32 } from "../../lib/models/mod.ts";

const pure = { permissions: "none" } as const;
const opts = { alpha: 0.1, window: 500, gamma: 0.005, minResiduals: 50 };
const h = 3;
const shifted = (a: Float64Array) => Float64Array.from(a, (_, t) => a[t - h] ?? NaN);

/** Coverage of the intervals (by information index) on the target hours of one group. */
function coverageOf(
  iv: { lower: Float64Array; upper: Float64Array },
  obs: Float64Array,
  inGroup: (tau: number) => boolean,
): number {
  const keep = (a: Float64Array) => shifted(a).map((v, tau) => (inGroup(tau) ? v : NaN));
  return intervalScores(keep(iv.lower), keep(iv.upper), obs).coverage;
}

Deno.test(
  "conditionalConformalIntervals() covers each group where pooled intervals do not, and is causal",
  pure,
  () => {
    const rng = mulberry32(5);
    const n = 6000;
    // the target hour's group is known in advance: every third hour is five times as noisy
    const noisy = (tau: number) => tau % 3 === 0;
    const obs = Float64Array.from(
      { length: n },
      (_, tau) => (rng() - 0.5) * (noisy(tau) ? 50 : 10),
    );
    const pred = new Float64Array(n).fill(0);
    const groupOf = (t: number) => (noisy(t + h) ? 1 : 0);
    const pooled = conformalIntervals(pred, obs, h, opts);
    const grouped = conditionalConformalIntervals(pred, obs, h, {
      ...opts,
      scale: "absolute",
      groups: 2,
    }, groupOf);
    const late = (g: (tau: number) => boolean) => (tau: number) => tau > 1000 && g(tau);
    // pooled: one width for both, far too narrow for the noisy hours
    assert.ok(coverageOf(pooled, obs, late(noisy)) < 0.8);
    for (const g of [noisy, (tau: number) => !noisy(tau)]) {
      const c = coverageOf(grouped, obs, late(g));
      assert.ok(c > 0.87 && c < 0.93, `${c}`);
    }
    // changing outcomes after t never changes the interval made at t
    const t = 4000;
    const changed = obs.slice();
    for (let i = t + 1; i < n; i++) changed[i] = 1e6;
    const again = conditionalConformalIntervals(pred, changed, h, {
      ...opts,
      scale: "absolute",
      groups: 2,
    }, groupOf);
    assert.equal(again.upper[t], grouped.upper[t]);
    assert.equal(again.lower[t], grouped.lower[t]);
    assert.notEqual(again.upper[t + h + 1], grouped.upper[t + h + 1]);
  },
);

Deno.test(
  "conditionalConformalIntervals() on log1p is multiplicative: wider for higher forecasts",
  pure,
  () => {
    const rng = mulberry32(9);
    const n = 3000;
    const pred = Float64Array.from({ length: n }, (_, t) => (t % 2 === 0 ? 20 : 200));
    // obs = forecast times a lognormal-ish factor, so log1p residuals are about the same at both levels
    const obs = Float64Array.from(
      { length: n },
      (_, tau) => (pred[tau - h] ?? 20) * Math.exp((rng() - 0.5) * 0.8),
    );
    const iv = conditionalConformalIntervals(
      pred,
      obs,
      h,
      {
        ...opts,
        scale: "log1p",
        groups: 1,
      },
      () => 0,
      0,
    );
    const t = 2500; // forecast 20 at even t, 200 at odd t
    const width = (i: number) => iv.upper[i]! - iv.lower[i]!;
    assert.ok(width(t + 1) > 5 * width(t), `${width(t + 1)} vs ${width(t)}`);
    assert.ok(iv.lower[t]! < 20 && iv.upper[t]! > 20 && iv.lower[t]! >= 0);
    const cov = intervalScores(shifted(iv.lower), shifted(iv.upper), obs).coverage;
    assert.ok(cov > 0.87 && cov < 0.93, `${cov}`);
    assert.throws(
      () =>
        conditionalConformalIntervals(
          pred,
          obs,
          h,
          { ...opts, scale: "log1p", groups: 1 },
          () => 1,
        ),
      /group 1 of hour 0 is not in 0..0/,
    );
  },
);
