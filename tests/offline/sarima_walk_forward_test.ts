import assert from "node:assert/strict";
import { sarimaWalkForward } from "../../lib/offline/mod.ts";
import { loadSarima, mulberry32 } from "../../lib/models/mod.ts";

function series(n: number): Float64Array {
  const rng = mulberry32(11);
  let a = 0;
  return Float64Array.from({ length: n }, (_, t) => {
    a = 0.6 * a + (rng() - 0.5);
    return 5 + 2 * Math.sin((2 * Math.PI * t) / 24) + a;
  });
}

Deno.test("sarimaWalkForward is causal, refits per block and survives missing values", async () => {
  const engine = await loadSarima();
  const y = series(900);
  for (let t = 500; t < 530; t++) y[t] = NaN; // an outage inside a fit window
  y[700] = NaN;
  const options = {
    params: { p: 1, d: 0, q: 1, P: 1, D: 1, Q: 1, s: 24, transform: "none" as const },
    windowH: 400,
    horizonsH: [1, 6, 24],
    fromTarget: 700,
    toTarget: 760,
    anchor: 700,
    refitEveryH: 48,
  };
  const run = sarimaWalkForward(engine, y, options);
  assert.equal(run.fits, 3); // blocks starting at 652, 700, 748
  assert.equal(run.failedFits, 0);
  for (const [h, f] of run.forecasts) {
    for (let t = 0; t < y.length; t++) {
      const inRun = t + h >= 700 && t + h <= 760;
      assert.equal(Number.isFinite(f[t]!), inRun, `h=${h} t=${t}`);
    }
  }
  // changing anything after t must not change the forecasts made at t
  const t = 720;
  const z = Float64Array.from(y);
  for (let i = t + 1; i < z.length; i++) z[i] = i % 3 === 0 ? NaN : z[i]! * 3;
  const again = sarimaWalkForward(engine, z, options);
  for (const h of options.horizonsH) {
    for (let u = 650; u <= t; u++) {
      assert.equal(again.forecasts.get(h)![u], run.forecasts.get(h)![u], `h=${h} t=${u}`);
    }
  }
});
