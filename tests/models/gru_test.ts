import assert from "node:assert/strict";
import { GruNetwork, useTfBackend } from "../../lib/models/gru.ts";
import { mulberry32 } from "../../lib/models/mod.ts";

Deno.test("the GRU learns a seasonal series better than persistence, and repeats with its seed", async () => {
  await useTfBackend("wasm");
  // a daily cycle with AR(1) noise; forecast 6 h ahead from 24 h windows
  const rng = mulberry32(5);
  let a = 0;
  const y = Float64Array.from({ length: 900 }, (_, t) => {
    a = 0.5 * a + 0.4 * (rng() - 0.5);
    return Math.sin((2 * Math.PI * t) / 24) + a;
  });
  const L = 24, h = 6, inputs = 3;
  const windows = (from: number, to: number) => {
    const infos = Array.from({ length: to - from }, (_, j) => from + j);
    const x = new Float32Array(infos.length * L * inputs);
    infos.forEach((t, r) => {
      for (let l = 0; l < L; l++) {
        const i = t - L + 1 + l;
        const at = (r * L + l) * inputs;
        x[at] = y[i]!;
        x[at + 1] = Math.sin((2 * Math.PI * i) / 24);
        x[at + 2] = Math.cos((2 * Math.PI * i) / 24);
      }
    });
    // the change from the last value, as the walk-forward trains it
    return { x, y: Float32Array.from(infos, (t) => y[t + h]! - y[t]!), infos };
  };
  const train = windows(L, 600);
  const test = windows(600, 900 - h);
  const params = { lookback: L, inputs, outputs: 1, units: 8, learningRate: 0.01, batchSize: 32 };
  const fitted = () => {
    const net = new GruNetwork({ ...params, seed: 3 });
    net.fit(train.x, train.y, train.infos.length, 4);
    const out = net.predict(test.x, test.infos.length);
    net.dispose();
    return out;
  };
  const out = fitted();
  let model = 0, persistence = 0;
  test.infos.forEach((t, r) => {
    model += Math.abs(y[t]! + out[r]! - y[t + h]!);
    persistence += Math.abs(y[t]! - y[t + h]!);
  });
  assert.ok(model < 0.5 * persistence, `GRU MAE ${model} against persistence ${persistence}`);
  assert.deepEqual(fitted(), out, "same seed, same forecasts");
});

Deno.test("the GRU ignores missing targets in its loss", async () => {
  await useTfBackend("wasm");
  const params = { lookback: 2, inputs: 1, outputs: 2, units: 4, learningRate: 0.01, batchSize: 8 };
  const x = Float32Array.from({ length: 16 * 2 }, (_, i) => (i % 5) / 5);
  const y = Float32Array.from({ length: 16 * 2 }, (_, i) => (i % 2 === 0 ? 1 : NaN));
  const net = new GruNetwork({ ...params, seed: 1 });
  const loss = net.fit(x, y, 16, 3);
  net.dispose();
  assert.ok(Number.isFinite(loss), `loss ${loss}`);
});
