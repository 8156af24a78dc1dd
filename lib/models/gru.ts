/**
 * A GRU sequence network (tfjs): windows of `lookback` hours of `inputs`
 * channels in, `outputs` numbers out, trained on a masked mean squared error
 * (a missing target, `NaN`, adds nothing to the loss). The only module that
 * imports tfjs; the WebAssembly backend (faster here than the plain JavaScript
 * one, see docs/forecasting.md) reads its `.wasm` file from the npm package's
 * folder in the Deno cache, so the process needs read access there.
 *
 * Seeded: the initial weights and the batch order come from `seed`, so a fit
 * repeats exactly on the same backend.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tfl from "@tensorflow/tfjs-layers";
import { mulberry32 } from "../random.ts";

/** The tfjs backends airq can use: WebAssembly, or plain JavaScript. */
export type TfBackendName = "wasm" | "cpu";

/** The tfjs version the network runs on (part of the sequence cache key). */
export const TFJS_VERSION: string = tf.version_core;

/** Settings of the network and its optimiser. */
export interface GruParams {
  /** Hours in an input window. */
  readonly lookback: number;
  /** Channels per hour. */
  readonly inputs: number;
  /** Numbers forecast per window. */
  readonly outputs: number;
  /** GRU units. */
  readonly units: number;
  /** Adam's learning rate. */
  readonly learningRate: number;
  readonly batchSize: number;
  readonly seed: number;
}

let active: TfBackendName | null = null;

/**
 * Selects the tfjs backend for the networks made after it. Quiet: tfjs runs in production mode,
 * so its console advice never reaches stdout or stderr.
 */
export async function useTfBackend(name: TfBackendName): Promise<void> {
  if (active === name) return;
  tf.enableProdMode();
  if (name === "wasm") {
    const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
    const dir = new URL(".", entry);
    setWasmPaths(dir.protocol === "file:" ? decodeURIComponent(dir.pathname) : dir.href);
  }
  if (!await tf.setBackend(name)) throw new Error(`tfjs backend ${name} failed to start`);
  await tf.ready();
  active = name;
}

/** A GRU layer and a linear read-out; windows are `Float32Array`s of `n * lookback * inputs`. */
export class GruNetwork {
  readonly params: GruParams;
  readonly #model: tfl.Sequential;
  readonly #optimizer: tf.Optimizer;
  readonly #random: () => number;

  constructor(params: GruParams) {
    if (active === null) throw new Error("call useTfBackend() first");
    this.params = params;
    const { lookback, inputs, outputs, units, seed } = params;
    this.#model = tfl.sequential();
    this.#model.add(tfl.layers.gru({
      units,
      inputShape: [lookback, inputs],
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
      // the default orthogonal initialiser is unseeded and needs tfjs's chained ops
      recurrentInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
    }));
    this.#model.add(tfl.layers.dense({
      units: outputs,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 2 }),
    }));
    this.#optimizer = tf.train.adam(params.learningRate);
    this.#random = mulberry32(seed + 3);
  }

  /**
   * Trains `epochs` passes over `n` windows `x` with targets `y` (`n * outputs`, `NaN` =
   * missing), in seeded random batches; returns the last epoch's mean loss.
   */
  fit(x: Float32Array, y: Float32Array, n: number, epochs: number): number {
    const { lookback, inputs, outputs, batchSize } = this.params;
    const step = lookback * inputs;
    const weights = this.#model.trainableWeights.map((w) => w.read() as tf.Variable);
    let last = NaN;
    for (let e = 0; e < epochs; e++) {
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(this.#random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      let sum = 0, batches = 0;
      for (let b = 0; b < n; b += batchSize) {
        const rows = order.slice(b, b + batchSize);
        const xb = new Float32Array(rows.length * step);
        const yb = new Float32Array(rows.length * outputs);
        const mb = new Float32Array(rows.length * outputs);
        rows.forEach((r, k) => {
          xb.set(x.subarray(r * step, (r + 1) * step), k * step);
          for (let o = 0; o < outputs; o++) {
            const v = y[r * outputs + o]!;
            if (v === v) {
              yb[k * outputs + o] = v;
              mb[k * outputs + o] = 1;
            }
          }
        });
        const observed = mb.reduce((a, v) => a + v, 0);
        if (observed === 0) continue;
        const loss = tf.tidy((): tf.Scalar => {
          const xt = tf.tensor3d(xb, [rows.length, lookback, inputs]);
          const yt = tf.tensor2d(yb, [rows.length, outputs]);
          const mt = tf.tensor2d(mb, [rows.length, outputs]);
          const value = this.#optimizer.minimize(
            () => {
              const pred = this.#model.apply(xt, { training: true }) as tf.Tensor;
              return tf.div(tf.sum(tf.mul(mt, tf.square(tf.sub(pred, yt)))), observed) as tf.Scalar;
            },
            true,
            weights,
          );
          if (value === null) throw new Error("the optimiser returned no loss");
          return value;
        });
        sum += loss.dataSync()[0]!;
        loss.dispose();
        batches++;
      }
      last = batches === 0 ? NaN : sum / batches;
    }
    return last;
  }

  /** Forecasts of `n` windows: `n * outputs` numbers, window by window. */
  predict(x: Float32Array, n: number): Float32Array {
    const { lookback, inputs } = this.params;
    return tf.tidy(() => {
      const out = this.#model.predict(tf.tensor3d(x, [n, lookback, inputs]), {
        batchSize: 512,
      }) as tf.Tensor;
      return out.dataSync() as Float32Array;
    });
  }

  /** Frees the weights and the optimiser's state. */
  dispose(): void {
    this.#model.dispose();
    this.#optimizer.dispose();
  }
}
