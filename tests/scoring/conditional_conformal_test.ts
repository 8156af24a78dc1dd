import assert from "node:assert/strict";
import { conformalIntervals, intervalScores } from "../../lib/scoring/mod.ts";
import { SortedWindow } from "../../lib/scoring/conformal.ts";
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

Deno.test(
  "equal-tailed intervals follow skewed errors: each tail misses about alpha / 2, where symmetric ones miss the long tail",
  pure,
  () => {
    const rng = mulberry32(11);
    const n = 8000;
    const pred = new Float64Array(n).fill(0);
    // right-skewed errors: an exponential, centred (most misses of a symmetric rule are above)
    const obs = Float64Array.from({ length: n }, () => -Math.log(1 - rng()) - 1);
    const options = { ...opts, scale: "absolute", groups: 1 } as const;
    const symmetric = conditionalConformalIntervals(pred, obs, h, options, () => 0);
    const equal = conditionalConformalIntervals(
      pred,
      obs,
      h,
      { ...options, tails: "equal" },
      () => 0,
    );
    /** Shares of the late target hours below and above the intervals. */
    const misses = (iv: { lower: Float64Array; upper: Float64Array }) => {
      let below = 0, above = 0, count = 0;
      for (let tau = 1000; tau < n; tau++) {
        const lo = iv.lower[tau - h]!, hi = iv.upper[tau - h]!;
        if (lo !== lo) continue;
        count++;
        if (obs[tau]! < lo) below++;
        else if (obs[tau]! > hi) above++;
      }
      return { below: below / count, above: above / count };
    };
    const s = misses(symmetric), e = misses(equal);
    assert.ok(s.above > 0.08 && s.below < 0.01, JSON.stringify(s));
    for (const tail of [e.below, e.above]) {
      assert.ok(tail > 0.035 && tail < 0.065, JSON.stringify(e));
    }
    // the sides differ (the exponential's 5 % and 95 % points are 0.95 below and 2.0 above), and
    // the result reports both
    const t = n - 1;
    assert.ok(equal.upper[t]! - pred[t]! > 1.5 * (pred[t]! - equal.lower[t]!));
    assert.equal(equal.lastHalfWidths[0], equal.upper[t]);
    assert.equal(equal.lastLowerWidths[0], -equal.lower[t]!);
    assert.equal(symmetric.lastLowerWidths[0], symmetric.lastHalfWidths[0]);
  },
);

Deno.test(
  "SortedWindow grows with the values it holds and answers as a window of its full capacity",
  pure,
  () => {
    const rng = mulberry32(3);
    const capacity = 300;
    const w = new SortedWindow(capacity);
    const seen: number[] = [];
    assert.equal(w.bytes, 2 * 64 * 8); // starts small
    for (let i = 0; i < 1000; i++) {
      const v = Math.round((rng() - 0.5) * 100) / 10 + 0; // ties too (+ 0: no -0)
      w.push(v);
      seen.push(v);
      const held = seen.slice(-capacity).sort((a, b) => a - b);
      const m = held.length;
      assert.equal(w.size, m);
      for (const alpha of [0.05, 0.1, 0.5]) {
        const up = held[Math.min(m, Math.max(1, Math.ceil((m + 1) * (1 - alpha)))) - 1];
        const low = held[Math.min(m, Math.max(1, Math.floor((m + 1) * alpha))) - 1];
        assert.equal(w.conformalQuantile(alpha), up, `push ${i}, alpha ${alpha}`);
        assert.equal(w.lowerQuantile(alpha), low, `push ${i}, alpha ${alpha}`);
      }
      assert.ok(w.bytes <= 2 * capacity * 8 && w.bytes >= 2 * Math.min(m, capacity) * 8);
    }
    assert.equal(w.bytes, 2 * capacity * 8);
  },
);
