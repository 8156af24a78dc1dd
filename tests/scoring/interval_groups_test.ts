import assert from "node:assert/strict";
import {
  conditionalConformalIntervals,
  groupIndex,
  type IntervalGroupRule,
  intervalScores,
  recentOutage,
} from "../../lib/scoring/mod.ts";
import { conditionalIntervalsOf, outageFlags } from "../../lib/offline/conditional_intervals.ts";
import { mulberry32 } from "../../lib/models/mod.ts";

const pure = { permissions: "none" } as const;
const OUTAGE = { minMissingH: 3, withinH: 6 };

Deno.test("recentOutage(): a run of >= N missing hours ending fewer than K hours ago", pure, () => {
  const flagsOf = (y: number[]) => Array.from(outageFlags(Float64Array.from(y), OUTAGE));
  const y = [1, 2, NaN, NaN, NaN, 3, 4, 5, 6, 7, 8, 9, NaN, NaN, 10];
  // during the outage from its third missing hour, then the 5 hours after it (lags 1..5)
  assert.deepEqual(flagsOf(y), [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
  // two missing hours are no outage
  assert.deepEqual(flagsOf([1, NaN, NaN, 2, 3]), [0, 0, 0, 0, 0]);
  // a long outage: flagged all through it
  assert.deepEqual(flagsOf([1, NaN, NaN, NaN, NaN, NaN, NaN, NaN]), [0, 0, 0, 1, 1, 1, 1, 1]);
  // it reads only the lags it needs, never lag -1 (the hour after the issue time)
  const read: number[] = [];
  recentOutage((lag) => (read.push(lag), 1), OUTAGE);
  assert.deepEqual(read.sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("the outage flag of hour t never depends on the values after t", pure, () => {
  const rng = mulberry32(3);
  const y = Float64Array.from({ length: 400 }, () => (rng() < 0.3 ? NaN : rng()));
  const flags = outageFlags(y, OUTAGE);
  for (const t of [50, 123, 250, 399]) {
    const future = y.slice();
    for (let i = t + 1; i < y.length; i++) future[i] = i % 2 === 0 ? NaN : 5;
    assert.equal(outageFlags(future, OUTAGE)[t], flags[t], `hour ${t}`);
  }
});

Deno.test(
  "groupIndex(): level bin, clock class, and the outage groups after the others",
  pure,
  () => {
    const rule: IntervalGroupRule = {
      grouping: "rush_level",
      levelEdges: [1, 2],
      dayHours: [7, 20],
      rushHours: [8],
      outage: OUTAGE,
    };
    const rush = { hour: 8, weekend: false }, night = { hour: 3, weekend: false };
    assert.equal(groupIndex(rule, 0.5, night, false), 0);
    assert.equal(groupIndex(rule, 1, night, false), 1); // edges are inclusive upward
    assert.equal(groupIndex(rule, 5, rush, false), 5);
    assert.equal(groupIndex(rule, 5, { hour: 8, weekend: true }, false), 2);
    assert.equal(groupIndex(rule, 0.5, night, true), 6);
    assert.equal(groupIndex(rule, 5, rush, true), 11);
    assert.equal(groupIndex({ ...rule, outage: null }, 5, rush, true), 5);
  },
);

Deno.test(
  "the outage group widens the intervals of forecasts issued after an outage, causally",
  pure,
  () => {
    const rng = mulberry32(11);
    const n = 4000, h = 1;
    const y = new Float64Array(n);
    const pred = new Float64Array(n);
    const flags = new Uint8Array(n);
    for (let t = 0; t < n; t++) y[t] = 50 + 5 * (rng() - 0.5);
    for (let start = 60; start < n - 20; start += 97) {
      for (let i = start; i < start + 4; i++) y[i] = NaN; // an outage of 4 hours
    }
    flags.set(outageFlags(y, OUTAGE));
    // forecasts issued after an outage are 8 times as wrong
    for (let t = 0; t < n; t++) pred[t] = 50 + (flags[t] ? 40 : 5) * (rng() - 0.5);
    const calendar = { startMs: 0, utcOffsetMin: 0, rushHours: [8], outage: OUTAGE };
    const settings = {
      scale: "absolute",
      grouping: "none",
      levelQuantiles: [],
      dayHours: [7, 20],
    } as const;
    const opts = { alpha: 0.1, window: 720, gamma: 0.005, minResiduals: 50 };
    const coverage = (iv: { lower: Float64Array; upper: Float64Array }) => {
      const keep = (a: Float64Array) =>
        Float64Array.from(a, (_, tau) => (tau > 1000 && flags[tau - h] ? a[tau - h]! : NaN));
      return intervalScores(keep(iv.lower), keep(iv.upper), y).coverage;
    };
    const without = conditionalIntervalsOf(pred, y, h, opts, settings, calendar, 500);
    const withOutage = conditionalIntervalsOf(
      pred,
      y,
      h,
      opts,
      { ...settings, outage: true },
      calendar,
      500,
    );
    assert.ok(coverage(without) < 0.6, `without: ${coverage(without)}`);
    assert.ok(coverage(withOutage) > 0.85, `with: ${coverage(withOutage)}`);
    // the same rule by hand: group 1 = issued after an outage
    const byHand = conditionalConformalIntervals(
      pred,
      y,
      h,
      {
        ...opts,
        scale: "absolute",
        groups: 1,
        outage: true,
      },
      (t) => flags[t]!,
      0,
    );
    assert.deepEqual(byHand.upper, withOutage.upper);
    assert.deepEqual(byHand.lastHalfWidths, withOutage.lastHalfWidths);
  },
);

Deno.test("a rare outage group borrows its base group's window at alpha / 2", pure, () => {
  const n = 300;
  const obs = Float64Array.from({ length: n }, (_, t) => (t % 10) + 1); // residuals 1..10
  const pred = new Float64Array(n);
  const opts = { alpha: 0.2, window: 1000, gamma: 0, minResiduals: 50, scale: "absolute" } as const;
  const iv = conditionalConformalIntervals(
    pred,
    obs,
    1,
    { ...opts, groups: 1, outage: true },
    (t) => t === n - 1 ? 1 : 0,
  );
  // base group: ceil(301 * 0.8) = 241st of 300 sorted residuals = 9; outage: ceil(301 * 0.9) = 271st = 10
  assert.equal(iv.lastHalfWidths[0], 9);
  assert.equal(iv.lastHalfWidths[1], 10);
  assert.equal(iv.upper[n - 1], 10);
  assert.equal(iv.upper[n - 2], 9);
});
