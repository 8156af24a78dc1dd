import assert from "node:assert/strict";
import { coverageByRegime, regimeMembership } from "../../lib/offline/regimes.ts";
import {
  episodeLeadTimes,
  exceedanceProbability,
  warningAtLead,
} from "../../lib/offline/warning.ts";

const pure = { permissions: "none" } as const;
const options = { highQuantile: 0.9, rushHours: [8], outageMinMissingH: 3, afterOutageH: 2 };
// 2005-01-03 (a Monday) 00:00 UTC; with +01:00 index 7 is 08:00 local
const MONDAY = Date.parse("2005-01-03T00:00:00Z");

Deno.test(
  "regimeMembership() takes the high threshold from before the test window only",
  pure,
  () => {
    const y = Float64Array.from({ length: 200 }, (_, i) => (i < 100 ? i % 10 : 1000));
    const { threshold, isIn } = regimeMembership(y, MONDAY, 60, 100, options);
    // values 0..9 ten times each: type-7 quantile 0.9 is sorted[89] + 0.1 (sorted[90] - sorted[89])
    assert.ok(Math.abs(threshold - 8.1) < 1e-12, `${threshold}`);
    assert.ok(isIn("high_pollution", 150) && isIn("high_pollution", 9));
    assert.ok(!isIn("high_pollution", 8));
    assert.ok(isIn("rush_hour", 7) && !isIn("rush_hour", 8)); // 08:00 local, 09:00 local
    assert.ok(!isIn("rush_hour", 5 * 24 + 7)); // Saturday 08:00
    assert.ok(
      isIn("weekend", 5 * 24 + 7) && isIn("weekend", 6 * 24 + 22) && !isIn("weekend", 7 * 24),
    );
  },
);

Deno.test("regimeMembership() marks the first hours after an outage of the target", pure, () => {
  const y = new Float64Array(40).fill(5);
  for (const i of [10, 11, 12]) y[i] = NaN; // an outage of 3 h
  for (const i of [20, 21]) y[i] = NaN; // 2 h: too short
  const { isIn } = regimeMembership(y, MONDAY, 60, 40, options);
  assert.deepEqual(
    Array.from({ length: 40 }, (_, i) => i).filter((i) => isIn("after_outage", i)),
    [13, 14],
  );
});

Deno.test(
  "coverageByRegime() scores the interval made h hours before each target hour",
  pure,
  () => {
    const y = Float64Array.from([0, 0, 5, 5, 20, 5]);
    // intervals by information index t bound y[t + 2]
    const lower = Float64Array.from([NaN, 4, 4, 4, 0, 0]);
    const upper = Float64Array.from([NaN, 6, 6, 6, 0, 0]);
    const all = (_: string, __: number) => true;
    const [row] = coverageByRegime(y, lower, upper, 0.1, {
      target: "x",
      horizonH: 2,
      testFrom: 2,
      testTo: 5,
    }, all);
    // tau 2: t 0 has no interval; tau 3 [4,6] covers 5; tau 4 [4,6] misses 20 by 14; tau 5 covers
    assert.equal(row!.n, 3);
    assert.equal(row!.coverage, 2 / 3);
    assert.equal(row!.interval_score, (2 + (2 + 20 * 14) + 2) / 3);
  },
);

Deno.test("exceedanceProbability() uses only residuals already verified", pure, () => {
  const n = 300;
  const y = Float64Array.from({ length: n }, (_, t) => 100 + (t % 2) * 150); // 100, 250, ...
  const forecast = new Float64Array(n).fill(150);
  const rule = { threshold: 200, residualWindowH: 100, minResiduals: 10, cutoffs: [0.5] };
  const p = exceedanceProbability(y, forecast, 3, rule);
  assert.ok(Number.isNaN(p[11]!)); // 9 residuals verified by t = 11 (targets 3..11)
  assert.equal(p[12], 5 / 10); // targets 3..12: half are 250
  // future outcomes do not move the probability at t
  const changed = y.slice();
  for (let t = 200; t < n; t++) changed[t] = 1000;
  assert.equal(exceedanceProbability(changed, forecast, 3, rule)[196], p[196]);
});

Deno.test(
  "warningAtLead() picks its cut-off on validation and scores test against persistence",
  pure,
  () => {
    // exceedances every 12 h for 2 h; the forecast sees them coming (it is the truth shifted)
    const n = 1200, lead = 3;
    const y = Float64Array.from({ length: n }, (_, t) => (t % 12 < 2 ? 260 : 60));
    const forecast = Float64Array.from({ length: n }, (_, t) => y[t + lead] ?? NaN);
    const rule = {
      threshold: 200,
      residualWindowH: 200,
      minResiduals: 20,
      cutoffs: [0.3, 0.6, 0.9],
    };
    const { row, warn } = warningAtLead(y, forecast, lead, rule, { from: 300, to: 699 }, {
      from: 700,
      to: 1199,
    });
    assert.equal(row.f1, 1);
    assert.equal(row.validation_f1, 1);
    assert.equal(row.probability_cutoff, 0.3); // ties go to the lowest cut-off
    assert.equal(row.persistence_f1, 0); // 3 h later the 2 h episode is always over
    // 720 and 721 exceed: warned from 717 and 718 only
    assert.ok(warn(717) && warn(718) && !warn(716) && !warn(719));
    const episodes = episodeLeadTimes(y, 200, 700, 1199, new Map([[lead, warn]]));
    assert.equal(episodes.count, 41); // onsets 708, 720, ..., 1188
    assert.equal(episodes.warned, 41);
    assert.equal(episodes.medianLeadH, 3);
  },
);
