/**
 * SARIMA through npm `arima` (ctsa compiled to WebAssembly, inside a JS file).
 *
 * - **Fitting**: exact maximum likelihood (ctsa method 0, L-BFGS) of a fixed
 *   order, e.g. SARIMA(1,0,1)(1,1,1,24), on a window of hours.
 * - **Forecasting from any origin with fitted coefficients**: ctsa's predict
 *   re-runs the state recursion over the series it is given, with the
 *   coefficients of the fit. {@linkcode SarimaModel.forecastFrom} hands it the
 *   window of the same length that ends at the origin, so one fit per week
 *   serves every hourly origin of the week (about 2 ms per origin).
 * - **Missing values** are filled for the state recursion only, by
 *   {@linkcode fillForState}: the filled value 24 h earlier (the daily
 *   pattern continues, and the seasonal difference is 0, i.e. no innovation),
 *   else the last observed value. Forecasts are never scored on filled hours.
 * - **stdout**: the Emscripten glue binds its `print` to `console.log` once,
 *   when the module is instantiated, and ctsa's C code can `printf` even with
 *   `verbose: false`. {@linkcode loadSarima} instantiates it while
 *   `console.log` points at a sink, so anything the C code prints goes to
 *   {@linkcode SarimaEngine.output} (bounded) and never to stdout, which
 *   carries JSON.
 *
 * Pure apart from loading the package: no `Deno.*`, no I/O.
 *
 * @module
 */
import { forward, inverse, type TargetTransform } from "./matrix.ts";

/** A fixed SARIMA order (p, d, q)(P, D, Q, s). */
export interface SarimaOrder {
  readonly p: number;
  readonly d: number;
  readonly q: number;
  readonly P: number;
  readonly D: number;
  readonly Q: number;
  readonly s: number;
}

/** Order plus the scale the model is fitted on. */
export interface SarimaParams extends SarimaOrder {
  /** `log1p`: fitted on log1p(y), forecasts are expm1 (the median on the original scale). */
  readonly transform: TargetTransform;
}

interface ArimaInstance {
  train(ts: number[]): ArimaInstance;
  predict(length: number): [number[], number[]];
  destroy(): void;
  ts: Uint8Array;
}
type ArimaConstructor = new (options: Record<string, unknown>) => ArimaInstance;

/** The loaded package, and whatever its C code printed. */
export interface SarimaEngine {
  /** Fits a model on `y` (no `NaN`: fill first). */
  fit(y: ArrayLike<number>, params: SarimaParams): SarimaModel;
  /** Lines the C code printed (at most the last 1,000); never on stdout. */
  readonly output: readonly string[];
}

let engine: Promise<SarimaEngine> | undefined;

/**
 * Loads npm `arima` once, with its stdout redirected to
 * {@linkcode SarimaEngine.output}. Call it before anything else imports
 * `arima`: the redirection is bound at instantiation.
 */
export function loadSarima(): Promise<SarimaEngine> {
  engine ??= (async () => {
    const output: string[] = [];
    const sink = (...args: unknown[]) => {
      output.push(args.map(String).join(" "));
      if (output.length > 1000) output.shift();
    };
    // deno-lint-ignore no-console -- the redirection this module exists for
    const log = console.log;
    // deno-lint-ignore no-console
    console.log = sink;
    let ARIMA: ArimaConstructor;
    try {
      ARIMA = (await import("arima")).default as unknown as ArimaConstructor;
    } finally {
      // deno-lint-ignore no-console
      console.log = log;
    }
    return {
      output,
      fit: (y, params) => new SarimaModel(ARIMA, y, params),
    };
  })();
  return engine;
}

/** One fitted SARIMA; free it with {@linkcode SarimaModel.destroy}. */
export class SarimaModel {
  /** Length of the fitted window; forecasts take a history of this length. */
  readonly length: number;
  readonly params: SarimaParams;
  #model: ArimaInstance | null;

  constructor(ARIMA: ArimaConstructor, y: ArrayLike<number>, params: SarimaParams) {
    const ts = Array.from(y, (v) => forward(params.transform, v));
    if (ts.some((v) => !Number.isFinite(v))) {
      throw new RangeError("SARIMA input has missing values; fill them with fillForState() first");
    }
    this.length = ts.length;
    this.params = params;
    const { p, d, q, P, D, Q, s } = params;
    this.#model = new ARIMA({ p, d, q, P, D, Q, s, method: 0, optimizer: 6, verbose: false })
      .train(ts);
  }

  /**
   * Forecasts 1..`steps` hours after the last value of `history` (exactly
   * {@linkcode SarimaModel.length} values, no `NaN`), with the fitted
   * coefficients. Results are on the original scale, clipped at 0 for log1p.
   */
  forecastFrom(history: ArrayLike<number>, steps: number): Float64Array {
    const model = this.#model;
    if (model === null) throw new Error("SarimaModel used after destroy()");
    if (history.length !== this.length) {
      throw new RangeError(`history must hold ${this.length} values, got ${history.length}`);
    }
    const ts = Float64Array.from(history, (v) => forward(this.params.transform, v));
    if (ts.some((v) => !Number.isFinite(v))) throw new RangeError("history has missing values");
    model.ts = new Uint8Array(ts.buffer);
    const [pred] = model.predict(steps);
    return Float64Array.from(pred, (v) => inverse(this.params.transform, v));
  }

  /** Frees the WebAssembly memory of the fit. */
  destroy(): void {
    this.#model?.destroy();
    this.#model = null;
  }
}

/**
 * Fills missing values for the state recursion only, causally (the value at i
 * depends on values up to i): the filled value `period` hours earlier, else
 * the last observed one, else (at the start of the series) the first observed
 * one. All-missing input stays `NaN`.
 */
export function fillForState(y: ArrayLike<number>, period = 24): Float64Array {
  const out = Float64Array.from(y);
  let last = NaN;
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    if (v === v) {
      last = v;
      continue;
    }
    const seasonal = i >= period ? out[i - period]! : NaN;
    out[i] = seasonal === seasonal ? seasonal : last;
  }
  const first = out.findIndex((v) => v === v);
  if (first > 0) out.fill(out[first]!, 0, first);
  return out;
}
