/**
 * Ridge regression in closed form on standardized features.
 *
 * Missing values, explicitly: each column is standardized with the mean and
 * standard deviation of its non-missing training values, and a missing value
 * becomes 0 after standardization, i.e. it is imputed with the training mean.
 * The feature set carries missing-value indicators, so the model can still
 * tell an imputed value from a real one. Columns constant in training get a
 * zero coefficient. The penalty is `lambda * n * ||beta||^2` (lambda per sample),
 * the intercept is not penalized.
 *
 * @module
 */
import { CholeskyDecomposition, Matrix } from "ml-matrix";
import { type DesignMatrix, forward, inverse, type TargetTransform } from "./matrix.ts";

/** Settings of a ridge fit. */
export interface RidgeParams {
  /** Penalty per training row on the standardized coefficients. */
  readonly lambda: number;
  /** Target transform before fitting. */
  readonly transform: TargetTransform;
}

/** A fitted ridge model: everything `predictRidge` needs, JSON-safe. */
export interface RidgeModel {
  readonly kind: "ridge";
  readonly params: RidgeParams;
  /** Training means of the features (0 for all-missing columns). */
  readonly means: number[];
  /** Training standard deviations (1 for constant or all-missing columns). */
  readonly scales: number[];
  /** Coefficients on the standardized features. */
  readonly coef: number[];
  /** Intercept on the transformed target scale. */
  readonly intercept: number;
}

/**
 * Fits ridge regression of `y` (length `x.n`, no missing values) on `x`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitRidge, predictRidge } from "./ridge.ts";
 * const x = { n: 4, p: 1, data: new Float64Array([0, 1, 2, 3]) };
 * const model = fitRidge(x, new Float64Array([1, 3, 5, 7]), { lambda: 0, transform: "none" });
 * assert.ok(Math.abs(predictRidge(model, { n: 1, p: 1, data: new Float64Array([4]) })[0]! - 9) < 1e-9);
 * ```
 */
export function fitRidge(x: DesignMatrix, y: ArrayLike<number>, params: RidgeParams): RidgeModel {
  const { n, p, data } = x;
  if (y.length !== n || n === 0) {
    throw new RangeError(
      `fitRidge() needs as many targets as rows (> 0); got ${y.length} and ${n}`,
    );
  }
  const means = new Array<number>(p).fill(0);
  const scales = new Array<number>(p).fill(1);
  for (let j = 0; j < p; j++) {
    let sum = 0, count = 0;
    for (let i = 0; i < n; i++) {
      const v = data[i * p + j]!;
      if (v === v) {
        sum += v;
        count++;
      }
    }
    const mean = count > 0 ? sum / count : 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const v = data[i * p + j]!;
      if (v === v) ss += (v - mean) * (v - mean);
    }
    const sd = count > 1 ? Math.sqrt(ss / count) : 0;
    means[j] = mean;
    scales[j] = sd > 1e-12 ? sd : 0;
  }
  const z = new Float64Array(n);
  let zMean = 0;
  for (let i = 0; i < n; i++) zMean += z[i] = forward(params.transform, y[i]!);
  zMean /= n;
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  // standardized rows, four at a time: one pass over xtx per four rows
  const zs = new Float64Array(4 * p);
  for (let i0 = 0; i0 < n; i0 += 4) {
    const m = Math.min(4, n - i0);
    zs.fill(0);
    for (let r = 0; r < m; r++) {
      standardizeRow(data, i0 + r, p, means, scales, zs.subarray(r * p, (r + 1) * p));
      const zi = z[i0 + r]! - zMean;
      for (let a = 0; a < p; a++) xty[a] = xty[a]! + zs[r * p + a]! * zi;
    }
    for (let a = 0; a < p; a++) {
      const r0 = zs[a]!, r1 = zs[p + a]!, r2 = zs[2 * p + a]!, r3 = zs[3 * p + a]!;
      const base = a * p;
      for (let b = a; b < p; b++) {
        xtx[base + b] = xtx[base + b]! + r0 * zs[b]! + r1 * zs[p + b]! + r2 * zs[2 * p + b]! +
          r3 * zs[3 * p + b]!;
      }
    }
  }
  const a = new Matrix(p, p);
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) {
      const v = xtx[i * p + j]! / n;
      a.set(i, j, v);
      a.set(j, i, v);
    }
    // constant columns: an identity row keeps the system solvable and their coefficient 0
    a.set(i, i, a.get(i, i) + params.lambda + (scales[i] === 0 ? 1 : 0));
  }
  const b = Matrix.columnVector(Array.from(xty, (v) => v / n));
  const beta = new CholeskyDecomposition(a).solve(b).getColumn(0);
  return {
    kind: "ridge",
    params,
    means,
    scales: scales.map((s) => (s === 0 ? 1 : s)),
    coef: beta.map((c, j) => (scales[j] === 0 ? 0 : c)),
    intercept: zMean,
  };
}

function standardizeRow(
  data: Float64Array,
  i: number,
  p: number,
  means: readonly number[],
  scales: readonly number[],
  out: Float64Array,
): void {
  for (let j = 0; j < p; j++) {
    const v = data[i * p + j]!;
    const s = scales[j]!;
    out[j] = v === v && s !== 0 ? (v - means[j]!) / s : 0;
  }
}

/** Predictions of a ridge model for every row of `x`, on the original target scale. */
export function predictRidge(model: RidgeModel, x: DesignMatrix): Float64Array {
  const { n, p, data } = x;
  if (p !== model.coef.length) {
    throw new RangeError(`predictRidge(): the model has ${model.coef.length} features, x has ${p}`);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = model.intercept;
    for (let j = 0; j < p; j++) {
      const v = data[i * p + j]!;
      if (v === v) s += ((v - model.means[j]!) / model.scales[j]!) * model.coef[j]!;
    }
    out[i] = inverse(model.params.transform, s);
  }
  return out;
}

/** The positions of a row's observed (non-NaN) values, ascending, found once for several models. */
export interface ObservedRow {
  readonly observed: Int32Array;
  readonly observedCount: number;
}

/** Writes the positions of the observed (non-NaN) values of `x` into `out`, ascending; returns their count. */
export function observedPositions(x: ArrayLike<number>, out: Int32Array): number {
  let count = 0;
  for (let j = 0; j < x.length; j++) {
    const v = x[j]!;
    out[count] = j;
    count += +(v === v); // no branch: missing values come at random
  }
  return count;
}

/**
 * A ridge model compiled for one row at a time (typed arrays, no allocation per
 * call), with predictions identical to `predictRidge`: the same terms, summed in
 * the same order, over the observed values only.
 */
export class CompiledRidge {
  readonly #means: Float64Array;
  readonly #scales: Float64Array;
  readonly #coef: Float64Array;
  readonly #intercept: number;
  readonly #transform: TargetTransform;
  readonly #scratch: Int32Array;

  /** Copies the model's coefficients. */
  constructor(model: RidgeModel) {
    this.#means = Float64Array.from(model.means);
    this.#scales = Float64Array.from(model.scales);
    this.#coef = Float64Array.from(model.coef);
    this.#intercept = model.intercept;
    this.#transform = model.params.transform;
    this.#scratch = new Int32Array(model.coef.length);
  }

  /**
   * The prediction for one row `x`, on the original target scale; `row`, the positions
   * of `x`'s observed values, saves finding them again.
   *
   * @throws {RangeError} when `x` has another number of features than the model.
   */
  predict(x: Float64Array, row?: ObservedRow): number {
    const coef = this.#coef;
    if (x.length !== coef.length) {
      throw new RangeError(
        `CompiledRidge.predict(): the model has ${coef.length} features, x has ${x.length}`,
      );
    }
    const observed = row?.observed ?? this.#scratch;
    const count = row?.observedCount ?? observedPositions(x, observed);
    const s = ridgeSum(x, observed, count, this.#means, this.#scales, coef, this.#intercept);
    return inverse(this.#transform, s);
  }
}

/** `intercept` plus the terms of the observed features, added one by one in order. */
function ridgeSum(
  x: Float64Array,
  observed: Int32Array,
  count: number,
  means: Float64Array,
  scales: Float64Array,
  coef: Float64Array,
  intercept: number,
): number {
  let s = intercept;
  let k = 0;
  // four terms at a time, still added in order (unrolled: the inlined loop runs twice as fast)
  for (; k + 4 <= count; k += 4) {
    const j0 = observed[k]!, j1 = observed[k + 1]!, j2 = observed[k + 2]!, j3 = observed[k + 3]!;
    const t0 = ((x[j0]! - means[j0]!) / scales[j0]!) * coef[j0]!;
    const t1 = ((x[j1]! - means[j1]!) / scales[j1]!) * coef[j1]!;
    const t2 = ((x[j2]! - means[j2]!) / scales[j2]!) * coef[j2]!;
    const t3 = ((x[j3]! - means[j3]!) / scales[j3]!) * coef[j3]!;
    s += t0;
    s += t1;
    s += t2;
    s += t3;
  }
  for (; k < count; k++) {
    const j = observed[k]!;
    s += ((x[j]! - means[j]!) / scales[j]!) * coef[j]!;
  }
  return s;
}
