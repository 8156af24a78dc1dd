/**
 * The constant parts of a fitted SARIMA as a state-space model (AS 154's form,
 * as ctsa's predict builds it), shared by every {@linkcode SarimaFilter} of the
 * same fit: the multiplied-out ARMA polynomials, the differencing polynomial,
 * the stationary covariance of the state, the Kalman covariance steps, and the
 * weights that turn a window of differenced values into forecasts.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import type { TargetTransform } from "./matrix.ts";
import type { SarimaCoefficients, SarimaOrder } from "./sarima.ts";

/** What a filter needs of a fitted SARIMA. */
export interface SarimaFilterSpec {
  readonly order: SarimaOrder;
  readonly transform: TargetTransform;
  readonly coefficients: Pick<SarimaCoefficients, "phi" | "theta" | "PHI" | "THETA" | "mean">;
}

/** Hours back the fill rule reaches (as `fillForState`'s default period). */
export const FILL_PERIOD = 24;

/**
 * The ARMA polynomials multiplied out, as ctsa's predict does: `phi[k]` is the
 * coefficient of w at lag k + 1, `theta[k]` that of the innovation at lag k + 1
 * (MA polynomial 1 + sum theta[k] B^(k+1)); both of length r = max(p + sP, q + sQ + 1).
 */
function armaPolynomials(spec: SarimaFilterSpec): { phi: Float64Array; theta: Float64Array } {
  const { p, q, P, Q, s } = spec.order;
  const c = spec.coefficients;
  const seasonal = s > 0;
  const ip = p + (seasonal ? s * P : 0), iq = q + (seasonal ? s * Q : 0);
  const r = Math.max(ip, iq + 1);
  const phi = new Float64Array(r), theta = new Float64Array(r);
  for (let i = 0; i < p; i++) phi[i] = c.phi[i]!;
  for (let i = 0; i < q; i++) theta[i] = -c.theta[i]!;
  if (seasonal) {
    for (let j = 0; j < P; j++) {
      phi[(j + 1) * s - 1]! += c.PHI[j]!;
      for (let i = 0; i < p; i++) phi[(j + 1) * s + i]! -= c.phi[i]! * c.PHI[j]!;
    }
    for (let j = 0; j < Q; j++) {
      theta[(j + 1) * s - 1]! -= c.THETA[j]!;
      for (let i = 0; i < q; i++) theta[(j + 1) * s + i]! += c.theta[i]! * c.THETA[j]!;
    }
  }
  return { phi, theta };
}

/** Coefficients c_1..c_n of (1 - B)^d (1 - B^s)^D = 1 + sum c_k B^k. */
function differencing({ d, D, s }: SarimaOrder): Float64Array {
  let poly = [1];
  const times = (factor: number[]) => {
    const out = new Array<number>(poly.length + factor.length - 1).fill(0);
    poly.forEach((a, i) => factor.forEach((b, j) => (out[i + j]! += a * b)));
    poly = out;
  };
  for (let i = 0; i < d; i++) times([1, -1]);
  if (s > 0) { for (let i = 0; i < D; i++) times([1, ...new Array<number>(s - 1).fill(0), -1]); }
  return Float64Array.from(poly.slice(1));
}

/**
 * The stationary covariance of the ARMA state, packed (upper triangle row by
 * row): the solution of P = T P T' + R R' by doubling (P += A P A', A = A^2).
 *
 * @throws {RangeError} when the AR part is not stationary.
 */
function stationaryCovariance(phi: Float64Array, rr: Float64Array): Float64Array {
  const r = phi.length;
  let a = new Float64Array(r * r); // T: column 0 is phi, then the shift
  for (let i = 0; i < r; i++) {
    a[i * r] = phi[i]!;
    if (i + 1 < r) a[i * r + i + 1]! += 1;
  }
  const p = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) p[i * r + j] = rr[i]! * rr[j]!;
  const mul = (x: Float64Array, y: Float64Array, yTransposed: boolean) => {
    const out = new Float64Array(r * r);
    for (let i = 0; i < r; i++) {
      for (let k = 0; k < r; k++) {
        const v = x[i * r + k]!;
        if (v === 0) continue;
        for (let j = 0; j < r; j++) {
          out[i * r + j]! += v * (yTransposed ? y[j * r + k]! : y[k * r + j]!);
        }
      }
    }
    return out;
  };
  for (let iteration = 0;; iteration++) {
    const apa = mul(mul(a, p, false), a, true);
    let change = 0, size = 0;
    for (let i = 0; i < r * r; i++) {
      p[i]! += apa[i]!;
      change = Math.max(change, Math.abs(apa[i]!));
      size = Math.max(size, Math.abs(p[i]!));
    }
    if (change <= 1e-17 * size) break;
    if (iteration >= 60 || !Number.isFinite(size)) {
      throw new RangeError("SARIMA AR part is not stationary: no stationary state covariance");
    }
    a = mul(a, a, false);
  }
  const packed = new Float64Array((r * (r + 1)) / 2);
  let k = 0;
  for (let i = 0; i < r; i++) {
    for (let j = i; j < r; j++) packed[k++] = (p[i * r + j]! + p[j * r + i]!) / 2;
  }
  return packed;
}

/** A fitted SARIMA's constant matrices; get one with {@linkcode sarimaSystem}. */
export class SarimaSystem {
  /** Dimension of the ARMA state. */
  readonly r: number;
  readonly phi: Float64Array;
  /** Positions (as in `phi`) of the nonzero AR coefficients. */
  readonly phiLags: Int32Array;
  /** R R', packed like P. */
  readonly v: Float64Array;
  /** Stationary covariance of the state: the prior of the first differenced value. */
  readonly p0: Float64Array;
  /** c_1..c_nd of the differencing polynomial. */
  readonly diff: Float64Array;
  /** Values of z kept: for the differencing and the fill rule. */
  readonly keep: number;
  /** Subtracted before filtering (ctsa: the fitted mean when d = D = 0, else 0). */
  readonly mean: number;
  readonly transform: TargetTransform;
  readonly #weights = new Map<string, WindowWeights>();

  constructor(spec: SarimaFilterSpec) {
    const { phi, theta } = armaPolynomials(spec);
    const r = phi.length;
    this.r = r;
    this.phi = phi;
    this.phiLags = Int32Array.from(Array.from(phi).flatMap((v, i) => (v !== 0 ? [i] : [])));
    const rr = Float64Array.from({ length: r }, (_, i) => (i === 0 ? 1 : theta[i - 1]!));
    this.v = new Float64Array((r * (r + 1)) / 2);
    let k = 0;
    for (let i = 0; i < r; i++) for (let j = i; j < r; j++) this.v[k++] = rr[i]! * rr[j]!;
    this.p0 = stationaryCovariance(phi, rr);
    this.diff = differencing(spec.order);
    this.keep = Math.max(this.diff.length, FILL_PERIOD);
    const { d, D, s } = spec.order;
    this.mean = d === 0 && (D === 0 || s === 0) ? spec.coefficients.mean : 0;
    this.transform = spec.transform;
  }

  /**
   * P = T P T' + V in place. Valid after an update (P's first row is then 0, so
   * T P T' is P shifted up and left by one).
   */
  predictCovariance(p: Float64Array): void {
    const r = this.r, v = this.v;
    let out = 0, src = r; // start of row i, and of row i + 1 (from its diagonal)
    for (let i = 0; i < r; i++) {
      const len = r - i;
      for (let j = 0; j < len - 1; j++) p[out + j] = p[src + j]! + v[out + j]!;
      p[out + len - 1] = v[out + len - 1]!;
      out += len;
      src += len - 1;
    }
  }

  /**
   * The update of P with an exact observation of the state's first element; the
   * gain P[0][j] / P[0][0] goes to `gain` (gain[0] = 1). P's first row is 0 after.
   */
  updateCovariance(p: Float64Array, gain: Float64Array): void {
    const r = this.r;
    const f = Math.abs(p[0]!);
    gain[0] = 1;
    let row = r; // start of row j
    for (let j = 1; j < r; j++) {
      const g = p[j]! / f;
      gain[j] = g;
      for (let l = j; l < r; l++) p[row + l - j]! -= g * p[l]!;
      row += r - j;
    }
    p.fill(0, 0, r);
  }

  /** The weights of a window of `nt` differenced values for `horizons` (cached per argument). */
  windowWeights(nt: number, horizons: readonly number[]): WindowWeights {
    const key = `${nt}|${horizons.join(",")}`;
    let w = this.#weights.get(key);
    if (w === undefined) {
      w = computeWindowWeights(this, nt, horizons);
      this.#weights.set(key, w);
    }
    return w;
  }
}

/**
 * Forecasts from a full window as dot products: z(t + h) = sum_i w[i] x
 * wWeights[h][i] + sum_m z(t - nd + 1 + m) x zWeights[h][m] + mean.
 */
export interface WindowWeights {
  /** Per horizon, `nt` weights on the window's differenced values, oldest first. */
  readonly wWeights: readonly Float64Array[];
  /** Per horizon, `nd` weights on the last `nd` values of z, oldest first. */
  readonly zWeights: readonly Float64Array[];
}

/**
 * The filter started from the stationary prior at the window's first value has
 * data-independent gains K_1..K_nt, so its state at the window's end is linear in
 * the window: a = sum_i [L_nt .. L_(i+1)] K_i w_i with L = (I - K e1') T, and the
 * forecast of w(t + j) is e1' T^j a. The weights come from one backward pass per
 * j with the row vector rho = e1' T^j L_nt .. L_(i+1) (O(nt r) each). Undoing the
 * differencing is linear too: z(t + h) = sum_j psi_(h-j) w(t + j) + (a combination
 * of the last nd values of z), psi being 1 / (1 + sum c_k B^k) expanded.
 */
function computeWindowWeights(
  sys: SarimaSystem,
  nt: number,
  horizons: readonly number[],
): WindowWeights {
  const r = sys.r, nd = sys.diff.length;
  const maxH = Math.max(...horizons);
  const gains = new Float64Array(nt * r);
  const p = Float64Array.from(sys.p0);
  for (let i = 0; i < nt; i++) {
    if (i > 0) sys.predictCovariance(p);
    sys.updateCovariance(p, gains.subarray(i * r, (i + 1) * r));
  }
  // psi: the weight of w(t + j) in z(t + h) is psi[h - j]
  const psi = new Float64Array(maxH);
  for (let m = 0; m < maxH; m++) {
    let v = m === 0 ? 1 : 0;
    for (let k = 0; k < nd && k < m; k++) v -= sys.diff[k]! * psi[m - 1 - k]!;
    psi[m] = v;
  }
  // weights on w(t + j) for j = 1..maxH, computed as needed
  const ahead = new Map<number, Float64Array>();
  const rho = new Float64Array(r), next = new Float64Array(r);
  const timesT = (x: Float64Array) => {
    // (x T)_0 = sum_i x_i phi_i; (x T)_k = x_(k-1)
    let first = 0;
    for (let k = 0; k < sys.phiLags.length; k++) {
      first += x[sys.phiLags[k]!]! * sys.phi[sys.phiLags[k]!]!;
    }
    next[0] = first;
    for (let k = 1; k < r; k++) next[k] = x[k - 1]!;
    x.set(next);
  };
  const weightsAhead = (j: number): Float64Array => {
    let out = ahead.get(j);
    if (out !== undefined) return out;
    out = new Float64Array(nt);
    rho.fill(0);
    rho[0] = 1;
    for (let k = 0; k < j; k++) timesT(rho);
    for (let i = nt - 1; i >= 0; i--) {
      let c = 0;
      for (let k = 0; k < r; k++) c += rho[k]! * gains[i * r + k]!;
      out[i] = c;
      rho[0]! -= c; // rho (I - K e1'), then T
      timesT(rho);
    }
    ahead.set(j, out);
    return out;
  };
  const wWeights = horizons.map((h) => {
    const out = new Float64Array(nt);
    for (let j = 1; j <= h; j++) {
      const c = psi[h - j]!;
      if (c === 0) continue;
      const wj = weightsAhead(j);
      for (let i = 0; i < nt; i++) out[i]! += c * wj[i]!;
    }
    return out;
  });
  // z weights: run the undifferencing on coefficient vectors over the last nd values of z
  const zCoef: Float64Array[] = Array.from({ length: nd }, (_, m) => {
    const e = new Float64Array(nd);
    e[m] = 1;
    return e;
  });
  for (let h = 1; h <= maxH; h++) {
    const e = new Float64Array(nd);
    for (let k = 0; k < nd; k++) {
      const prev = zCoef[nd + h - 2 - k]!;
      for (let m = 0; m < nd; m++) e[m]! -= sys.diff[k]! * prev[m]!;
    }
    zCoef.push(e);
  }
  const zWeights = horizons.map((h) => zCoef[nd + h - 1]!);
  return { wWeights, zWeights };
}

const systems = new WeakMap<SarimaFilterSpec, SarimaSystem>();

/** The system of `spec`, built once per spec object. */
export function sarimaSystem(spec: SarimaFilterSpec): SarimaSystem {
  let sys = systems.get(spec);
  if (sys === undefined) {
    sys = new SarimaSystem(spec);
    systems.set(spec, sys);
  }
  return sys;
}
