import assert from "node:assert/strict";
import { sequenceWalkForward } from "../../lib/offline/sequence.ts";
import { useTfBackend } from "../../lib/models/gru.ts";
import type { SequenceSettings } from "../../lib/offline/forecast_config.ts";
import { syntheticSeries } from "../features/_synthetic.ts";
import { futureChanged } from "./_future.ts";

const SETTINGS: SequenceSettings = {
  enabled: true,
  backend: "wasm",
  lookbackH: 12,
  units: 4,
  learningRate: 0.01,
  batchSize: 32,
  epochs: 2,
  fineTuneEpochs: 1,
  fineTuneEveryH: 48,
  trainWindowH: 200,
  seed: 7,
  cacheDir: "var/cache/sequence-test",
  blendWeight: {},
};
const OPTIONS = {
  targets: ["CO(GT)", "NO2(GT)"],
  horizonsH: [1, 6],
  fromTarget: 400,
  toTarget: 480,
  anchor: 400,
  utcOffsetMin: 60,
};

Deno.test("the sequence walk-forward forecasts its window, fine-tunes per block and never sees the future", async () => {
  await useTfBackend("wasm");
  const series = syntheticSeries(560, 3);
  const run = sequenceWalkForward(series, SETTINGS, OPTIONS);
  // blocks start at 352 (first information time 394 = 400 - 6), 400, 448: one fit, two fine-tunes
  assert.equal(run.fits, 3);
  for (const target of OPTIONS.targets) {
    for (const h of OPTIONS.horizonsH) {
      const f = run.forecasts.get(target)!.get(h)!;
      for (let t = 0; t < series.length; t++) {
        const inRun = t + h >= OPTIONS.fromTarget && t + h <= OPTIONS.toTarget;
        assert.equal(Number.isFinite(f[t]!), inRun, `${target} h=${h} t=${t}`);
      }
    }
  }
  // changing anything after t must not change a forecast made at t or before (cuts just after
  // block starts catch a fit that trains on targets from its own block)
  for (const t of [355, 399, 401, 430, 449]) {
    const again = sequenceWalkForward(futureChanged(series, t), SETTINGS, OPTIONS);
    for (const target of OPTIONS.targets) {
      for (const h of OPTIONS.horizonsH) {
        const a = run.forecasts.get(target)!.get(h)!, b = again.forecasts.get(target)!.get(h)!;
        for (let u = 390; u <= t; u++) assert.equal(b[u], a[u], `${target} h=${h} t=${u} cut ${t}`);
        // and the change is seen after t (the test can fail)
        assert.ok(
          Array.from(b.subarray(t + 1, OPTIONS.toTarget - h)).some((v, i) => v !== a[t + 1 + i]),
        );
      }
    }
  }
});
