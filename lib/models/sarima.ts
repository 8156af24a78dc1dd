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
 * - **Coefficients**: the package's JavaScript API does not return them, so
 *   {@linkcode SarimaModel.coefficients} reads them from the fitted
 *   `sarimax_object` in the module's WebAssembly memory (captured when
 *   {@linkcode loadSarima} instantiates it), at the offsets of ctsa's
 *   `struct sarimax_set` in wasm32; it checks the order fields it finds there
 *   against the fitted order and throws if the layout is not the expected one.
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
  /** Address of the `sarimax_object` (a pointer to the fitted `struct sarimax_set`). */
  model: number | null;
}

/**
 * Fitted coefficients in ctsa's sign convention: the AR polynomials are
 * `1 - sum(phi_i B^i)` and `1 - sum(PHI_j B^(js))`, the MA polynomials
 * `1 - sum(theta_i B^i)` and `1 - sum(THETA_j B^(js))`.
 */
export interface SarimaCoefficients {
  readonly phi: readonly number[];
  readonly theta: readonly number[];
  readonly PHI: readonly number[];
  readonly THETA: readonly number[];
  /** Mean of the series (used only when d = D = 0). */
  readonly mean: number;
  /** Innovation variance (on the fitted scale). */
  readonly sigma2: number;
  readonly loglik: number;
  readonly aic: number;
  /** ctsa's exit code of the fit (1: probable success). */
  readonly retval: number;
}
type ArimaConstructor = new (options: Record<string, unknown>) => ArimaInstance;

/** The loaded package, and whatever its C code printed. */
export interface SarimaEngine {
  /** Fits a model on `y` (no `NaN`: fill first; on the original scale, the transform is applied here). */
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
    // the Emscripten glue instantiates its module synchronously at import: note the instance
    // to find its memory (the fitted coefficients live there)
    const Instance = WebAssembly.Instance;
    const instances: WebAssembly.Instance[] = [];
    WebAssembly.Instance = new Proxy(Instance, {
      construct(target, args, newTarget) {
        const instance = Reflect.construct(target, args, newTarget) as WebAssembly.Instance;
        instances.push(instance);
        return instance;
      },
    });
    let ARIMA: ArimaConstructor;
    try {
      ARIMA = (await import("arima")).default as unknown as ArimaConstructor;
    } finally {
      // deno-lint-ignore no-console
      console.log = log;
      WebAssembly.Instance = Instance;
    }
    const memories = instances.flatMap((i) =>
      Object.values(i.exports).filter((e) => e instanceof WebAssembly.Memory)
    );
    const memory = memories.length === 1 ? memories[0] as WebAssembly.Memory : null;
    return {
      output,
      fit: (y, params) => new SarimaModel(ARIMA, y, params, memory),
    };
  })();
  return engine;
}

/**
 * Byte offsets in ctsa's `struct sarimax_set` on wasm32 (4-byte ints and
 * pointers, 8-byte aligned doubles): 14 ints, 6 pointers, an int, a pointer,
 * then the doubles.
 */
const S = {
  N: 0,
  p: 16,
  d: 20,
  q: 24,
  s: 28,
  P: 32,
  D: 36,
  Q: 40,
  phi: 56,
  theta: 60,
  PHI: 64,
  THETA: 68,
  mean: 88,
  var: 96,
  loglik: 104,
  aic: 112,
  retval: 120,
} as const;

/** One fitted SARIMA; free it with {@linkcode SarimaModel.destroy}. */
export class SarimaModel {
  /** Length of the fitted window; forecasts take a history of this length. */
  readonly length: number;
  readonly params: SarimaParams;
  #model: ArimaInstance | null;
  readonly #memory: WebAssembly.Memory | null;

  constructor(
    ARIMA: ArimaConstructor,
    y: ArrayLike<number>,
    params: SarimaParams,
    memory: WebAssembly.Memory | null = null,
  ) {
    const ts = Array.from(y, (v) => forward(params.transform, v));
    if (ts.some((v) => !Number.isFinite(v))) {
      throw new RangeError("SARIMA input has missing values; fill them with fillForState() first");
    }
    this.length = ts.length;
    this.params = params;
    this.#memory = memory;
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

  /**
   * The fitted coefficients, read from the fit's `struct sarimax_set`.
   *
   * @throws {Error} when the module's memory was not captured or the struct is not laid
   * out as expected (its order fields differ from the fitted order).
   */
  coefficients(): SarimaCoefficients {
    const model = this.#model;
    if (model === null) throw new Error("SarimaModel used after destroy()");
    if (this.#memory === null || typeof model.model !== "number") {
      throw new Error("npm arima's WebAssembly memory was not found: cannot read coefficients");
    }
    const view = new DataView(this.#memory.buffer);
    const at = view.getUint32(model.model, true); // sarimax_object is a pointer to the struct
    const int = (offset: number) => view.getInt32(at + offset, true);
    const f64 = (offset: number) => view.getFloat64(at + offset, true);
    const array = (pointerOffset: number, n: number) => {
      const base = view.getUint32(at + pointerOffset, true);
      return Array.from({ length: n }, (_, i) => view.getFloat64(base + 8 * i, true));
    };
    const { p, d, q, P, D, Q, s } = this.params;
    const found = [int(S.p), int(S.d), int(S.q), int(S.s), int(S.P), int(S.D), int(S.Q)];
    const seasonal = P + D + Q > 0 && s > 0;
    const expected = [
      p,
      d,
      q,
      seasonal ? s : 0,
      seasonal ? P : 0,
      seasonal ? D : 0,
      seasonal ? Q : 0,
    ];
    if (found.join() !== expected.join() || int(S.N) !== this.length) {
      throw new Error(
        `npm arima's sarimax_object is not laid out as expected: order fields ${found}, want ${expected}`,
      );
    }
    return {
      phi: array(S.phi, p),
      theta: array(S.theta, q),
      PHI: array(S.PHI, expected[4]!),
      THETA: array(S.THETA, expected[6]!),
      mean: f64(S.mean),
      sigma2: f64(S.var),
      loglik: f64(S.loglik),
      aic: f64(S.aic),
      retval: int(S.retval),
    };
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
