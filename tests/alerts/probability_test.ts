import assert from "node:assert/strict";
import fc from "fast-check";
import jStatModule from "jstat";
import { exceedanceProbability, normalCdf, Z90 } from "../../lib/alerts/mod.ts";

const pure = { permissions: "none" } as const;
// jstat has no types.
const jStat = (jStatModule as unknown as { jStat?: unknown }).jStat ?? jStatModule;
const jstatCdf = (x: number) =>
  (jStat as { normal: { cdf(x: number, m: number, s: number): number } }).normal.cdf(x, 0, 1);

Deno.test("normalCdf() matches table values", pure, () => {
  // Abramowitz & Stegun, table 26.1 (and Φ(1.6448536…) = 0.95 by definition of Z90).
  const table: [number, number][] = [
    [0, 0.5],
    [0.5, 0.6914624612740131],
    [1, 0.8413447460685429],
    [2, 0.9772498680518208],
    [3, 0.9986501019683699],
    [Z90, 0.95],
    [-1.959963984540054, 0.025],
  ];
  for (const [x, p] of table) assert.ok(Math.abs(normalCdf(x) - p) < 1e-14, `Φ(${x})`);
  assert.ok(
    Math.abs(normalCdf(-8) / 6.22096057427178e-16 - 1) < 1e-6,
    "lower tail keeps precision",
  );
  assert.equal(normalCdf(-40), 0);
  assert.equal(normalCdf(40), 1);
  assert.equal(normalCdf(Infinity), 1);
  assert.equal(normalCdf(-Infinity), 0);
  assert.ok(Number.isNaN(normalCdf(NaN)));
});

Deno.test("normalCdf() agrees with jstat to 1e-14 on [-8, 8]", pure, () => {
  fc.assert(
    fc.property(fc.double({ min: -8, max: 8, noNaN: true }), (x) => {
      assert.ok(Math.abs(normalCdf(x) - jstatCdf(x)) < 1e-14, `x = ${x}`);
    }),
    { seed: 20040310, numRuns: 2000 },
  );
});

Deno.test("exceedanceProbability() reads the 90 % interval as a split normal", pure, () => {
  // symmetric: σ = 20 on both sides
  const lo = 180 - 20 * Z90, hi = 180 + 20 * Z90;
  assert.ok(Math.abs(exceedanceProbability(180, lo, hi, 200) - (1 - 0.8413447460685429)) < 1e-12);
  assert.ok(Math.abs(exceedanceProbability(180, lo, hi, 160) - 0.8413447460685429) < 1e-12);
  assert.equal(exceedanceProbability(180, lo, hi, 180), 0.5);
  // the upper bound is the 95th percentile, the lower one the 5th
  assert.ok(Math.abs(exceedanceProbability(180, lo, hi, hi) - 0.05) < 1e-12);
  assert.ok(Math.abs(exceedanceProbability(180, lo, hi, lo) - 0.95) < 1e-12);
  // asymmetric halves: each side uses its own σ
  assert.ok(Math.abs(exceedanceProbability(10, 0, 10 + 4 * Z90, 14) - 0.15865525393145707) < 1e-12);
  // degenerate interval: certain
  assert.equal(exceedanceProbability(201, 201, 201, 200), 1);
  assert.equal(exceedanceProbability(199, 199, 199, 200), 0);
  assert.equal(exceedanceProbability(200, 200, 200, 200), 0, "exceeding means strictly above");
});

Deno.test("exceedanceProbability() is monotone in value and threshold", pure, () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 500, noNaN: true }),
      fc.double({ min: 0.1, max: 100, noNaN: true }),
      fc.double({ min: 0, max: 500, noNaN: true }),
      fc.double({ min: 0, max: 50, noNaN: true }),
      (value, half, threshold, step) => {
        const lo = Math.max(0, value - half), hi = value + half;
        const p = exceedanceProbability(value, lo, hi, threshold);
        assert.ok(p >= 0 && p <= 1);
        assert.ok(exceedanceProbability(value, lo, hi, threshold + step) <= p + 1e-15);
        assert.ok(
          exceedanceProbability(value + step, lo + step, hi + step, threshold) >= p - 1e-15,
        );
      },
    ),
    { seed: 7, numRuns: 1000 },
  );
});
