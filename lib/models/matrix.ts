/**
 * The dense row-major design matrix every model here takes: `NaN` marks a
 * missing feature value.
 *
 * @module
 */

/** A row-major `n x p` matrix of features. */
export interface DesignMatrix {
  /** Rows. */
  readonly n: number;
  /** Columns. */
  readonly p: number;
  /** Row-major values; `NaN` is missing. */
  readonly data: Float64Array;
}

/** The rows `rows` (indices) of a matrix, copied. */
export function takeRows(x: DesignMatrix, rows: ArrayLike<number>): DesignMatrix {
  const { p } = x;
  const data = new Float64Array(rows.length * p);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    data.set(x.data.subarray(i * p, (i + 1) * p), r * p);
  }
  return { n: rows.length, p, data };
}

/** How the target is transformed before fitting: `log1p` suits skewed, non-negative pollutants. */
export type TargetTransform = "none" | "log1p";

/** Applies a target transform. */
export function forward(transform: TargetTransform, y: number): number {
  return transform === "log1p" ? Math.log1p(Math.max(y, 0)) : y;
}

/** Undoes a target transform; `log1p` predictions are never negative. */
export function inverse(transform: TargetTransform, z: number): number {
  return transform === "log1p" ? Math.expm1(Math.max(z, 0)) : z;
}
