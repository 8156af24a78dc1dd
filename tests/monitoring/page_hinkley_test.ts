/**
 * The Page-Hinkley test with the settings of config/monitoring.json, on
 * seeded absolute errors in units of the offline MAE (half-normal, mean 1):
 * quiet while the errors are stationary, firing within a bounded delay after
 * they double.
 */
import assert from "node:assert/strict";
import { PageHinkley } from "../../lib/monitoring/mod.ts";
import { mulberry32 } from "../../lib/random.ts";
import { CONFIG } from "./_helpers.ts";

const pure = { permissions: "none" } as const;
const { delta, lambda, minScored, clip } = CONFIG.pageHinkley;
const OPTIONS = { delta, lambda, minScored };
/** Mean of |N(0, 1)| is sqrt(2 / pi): scaling by its inverse gives errors with MAE 1. */
const UNIT = Math.sqrt(Math.PI / 2);

/** Absolute errors with mean `level` (half-normal), clipped as the monitor clips them. */
function errors(seed: number): (level: number) => number {
  const random = mulberry32(seed);
  return (level) => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return Math.min(level * Math.abs(z) * UNIT, clip);
  };
}

Deno.test("PageHinkley stays quiet on 20,000 stationary errors (seed 42)", pure, () => {
  const ph = new PageHinkley(1, OPTIONS);
  const next = errors(42);
  let max = 0;
  for (let t = 0; t < 20_000; t++) {
    assert.equal(ph.update(0, next(1)), false, `false alarm at value ${t}`);
    max = Math.max(max, ph.statistic(0));
  }
  assert.ok(max < lambda / 2, `statistic reached ${max}`);
});

Deno.test("PageHinkley finds errors that double within 200 values, for 20 seeds", pure, () => {
  const delays: number[] = [];
  for (let seed = 1; seed <= 20; seed++) {
    const ph = new PageHinkley(1, OPTIONS);
    const next = errors(seed);
    for (let t = 0; t < 2_000; t++) assert.equal(ph.update(0, next(1)), false, `seed ${seed}`);
    let delay = 1;
    while (!ph.update(0, next(2))) delay++;
    delays.push(delay);
    const { count, statistic } = ph.lastDetection(0);
    assert.equal(count, 2_000 + delay);
    assert.ok(statistic > lambda);
    assert.equal(ph.count(0), 0, "restarted after firing");
  }
  delays.sort((a, b) => a - b);
  assert.ok(delays.at(-1)! <= 200, `delays ${delays.join(", ")}`);
  assert.ok(delays[0]! >= 20, "not on the first few larger errors");
});

Deno.test("PageHinkley does not fire before minScored values, and ignores a decrease", pure, () => {
  const ph = new PageHinkley(2, OPTIONS);
  for (let t = 0; t < minScored - 1; t++) assert.equal(ph.update(0, t < 10 ? 0 : 4), false);
  // falling errors: one-sided test, nothing to report
  const next = errors(7);
  for (let t = 0; t < 500; t++) ph.update(1, next(1));
  for (let t = 0; t < 5_000; t++) assert.equal(ph.update(1, next(0.3)), false);
  assert.equal(ph.statistic(1), 0);
});

Deno.test("PageHinkley keeps its tests apart and reset() restarts them", pure, () => {
  const ph = new PageHinkley(3, { delta: 0, lambda: 1, minScored: 1 });
  ph.update(0, 1);
  ph.update(0, 3); // mean 2, sum = (1 - 1) + (3 - 2) = 1, min 0
  assert.equal(ph.statistic(0), 1);
  assert.equal(ph.count(1), 0);
  assert.equal(ph.mean(0), 2);
  ph.reset();
  assert.equal(ph.count(0), 0);
  assert.equal(ph.statistic(0), 0);
});
