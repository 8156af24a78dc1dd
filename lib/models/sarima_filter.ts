/**
 * A fitted SARIMA run as a state-space model, for the live path: one hourly
 * value in (constant work), the forecasts at a few horizons out, in the original
 * units. It computes what ctsa's predict (npm `arima`, wrapped by
 * `SarimaModel.forecastFrom`) computes, without re-running it over
 * the window at every origin.
 *
 * **The model** (ctsa's conventions, see `SarimaCoefficients`):
 * z = transform(y); w = (1 - B)^d (1 - B^s)^D z (minus the mean when d = D = 0);
 * w is ARMA(p + sP, q + sQ) with the multiplied-out polynomials
 * (1 - sum phi_i B^i)(1 - sum PHI_j B^js) and (1 - sum theta_i B^i)(1 - sum THETA_j B^js).
 *
 * **What ctsa's predict does** (AS 182 on AS 154, Gardner, Harvey and Phillips
 * 1980): it differences the window it is handed, starts a Kalman filter of the
 * ARMA state (dimension r = max(p + sP, q + sQ + 1), 26 for (1,0,1)(1,1,1,24))
 * from the stationary prior (a = 0, P = the state's stationary covariance: the
 * exact-likelihood initialisation, not a diffuse prior) at the window's first
 * differenced value, updates it with each differenced value as an exact
 * observation of a[0] (no measurement noise, no switch to steady-state gains),
 * then propagates the state without noise and undoes the differencing.
 *
 * **Two modes**, both with O(1) work per hourly value:
 * - `windowH` given (what the live path should use): exactly ctsa's forecasts
 *   from the last `windowH` hours, at every origin. Because the filter restarts
 *   at the window's start, its gains depend only on the position in the window,
 *   not on the data; so its state at the window's end, and each forecast, is a
 *   fixed linear combination (computed once per fit, `_sarima_system.ts`) of the
 *   window's `windowH - (d + sD)` differenced values and the last d + sD values.
 *   An update stores one differenced value in a ring; a forecast is one dot
 *   product of that length per horizon (976 multiply-adds for windowH = 1000).
 *   Until the window is full, the filter from the first value is used, which is
 *   ctsa's on the shorter window.
 * - no `windowH`: one Kalman filter over every hour fed, O(r^2) per update and
 *   O(horizon x nonzero AR coefficients) per forecast. Exact ctsa at the origin
 *   where it was warmed on `windowH` hours, then it drifts away: it conditions on
 *   all hours since, where ctsa forgets everything before the window. With the
 *   seasonal MA coefficient near 1, which the fits on this file often reach
 *   (THETA 0.90 to 1.00), the filter's memory of the daily profile is nearly
 *   infinite, and on the test window that was worse (MAE up to 5 % higher than
 *   ctsa's over 2,300 origins after one fit; see the report of issue 13). Kept
 *   for comparison and for fits without a window.
 *
 * `tests/models/sarima_filter_test.ts` compares both with ctsa on the real file.
 *
 * **Missing values**: the same fill as {@linkcode fillForState}, the value 24
 * hours earlier (filled itself), i.e. a seasonal difference of 0, fed as an
 * observation. Chosen over a prediction step without an update because the
 * blend weights of SARIMA in `best` were chosen on forecasts made exactly so
 * (`deno task evaluate` fills the same way), so the live forecasts stay the
 * evaluated ones; and because a true missing-value step would need the
 * unobserved lags in the state (r + 24 dimensions) and would break the fixed
 * weights of the window mode. Before 24 values have been seen, a missing value
 * takes the last value seen; leading missing values are skipped.
 * {@linkcode SarimaFilter.warm} fills its history with `fillForState` itself,
 * whose only difference from filling the whole series is at the history's start
 * (a leading gap takes the first value): warm on a day more than the window.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { forward, inverse } from "./matrix.ts";
import { fillForState } from "./sarima.ts";
import {
  FILL_PERIOD,
  type SarimaFilterSpec,
  type SarimaSystem,
  sarimaSystem,
} from "./_sarima_system.ts";

export type { SarimaFilterSpec } from "./_sarima_system.ts";

/** Options of a {@linkcode SarimaFilter}. */
export interface SarimaFilterOptions {
  /** Hours ahead {@linkcode SarimaFilter.forecast} returns, in this order (1..168); default 1, 6, 24. */
  readonly horizons?: readonly number[];
  /**
   * `windowH` (ctsa's, the fit's length): forecast from the last `windowH` hours
   * only, exactly as ctsa does. Omitted: one Kalman filter over all hours fed.
   */
  readonly windowH?: number;
}

/** One series' SARIMA state; feed it every hour with {@linkcode SarimaFilter.update}. */
export class SarimaFilter {
  /** Hours ahead of each forecast value. */
  readonly horizons: readonly number[];
  /** The sliding window in hours, or null (all hours). */
  readonly windowH: number | null;
  readonly #sys: SarimaSystem;
  /** ARMA state a, its covariance P (packed), the gain of the last update. */
  readonly #a: Float64Array;
  readonly #p: Float64Array;
  readonly #gain: Float64Array;
  /** The last `keep` values of z (ring; position `#n % keep`). */
  readonly #z: Float64Array;
  /** Differenced values of the window twice over (position `#filtered % nt` and + nt). */
  readonly #w: Float64Array;
  /** Differenced values per window (windowH - nd), 0 without a window. */
  readonly #nt: number;
  /** Hours fed; differenced values filtered. */
  #n = 0;
  #filtered = 0;
  #lastSeen = NaN;
  /** Scratch for Kalman forecasts: the propagated state, then z's tail and forecasts. */
  readonly #scratchA: Float64Array;
  readonly #scratchZ: Float64Array;
  readonly #maxH: number;

  /**
   * An empty filter for a fitted SARIMA (its AR part must be stationary). Filters of
   * the same `spec` object share its constant matrices (and window weights).
   */
  constructor(spec: SarimaFilterSpec, options: SarimaFilterOptions = {}) {
    const horizons = options.horizons ?? [1, 6, 24];
    if (horizons.length === 0 || horizons.some((h) => !Number.isInteger(h) || h < 1 || h > 168)) {
      throw new RangeError(`SARIMA filter horizons must be whole hours 1..168, got ${horizons}`);
    }
    const sys = sarimaSystem(spec);
    const nd = sys.diff.length;
    const windowH = options.windowH ?? null;
    if (windowH !== null && !(Number.isInteger(windowH) && windowH > nd)) {
      throw new RangeError(`windowH must be a whole number of hours above ${nd}, got ${windowH}`);
    }
    this.horizons = [...horizons];
    this.windowH = windowH;
    this.#sys = sys;
    this.#maxH = Math.max(...horizons);
    this.#a = new Float64Array(sys.r);
    this.#p = new Float64Array(sys.p0.length);
    this.#gain = new Float64Array(sys.r);
    this.#z = new Float64Array(sys.keep);
    this.#nt = windowH === null ? 0 : windowH - nd;
    this.#w = new Float64Array(2 * this.#nt);
    this.#scratchA = new Float64Array(sys.r + this.#maxH);
    this.#scratchZ = new Float64Array(nd + this.#maxH);
    if (windowH !== null) sys.windowWeights(this.#nt, this.horizons); // computed now, not on a reading
  }

  /**
   * A filter fed `history` (hourly, oldest first, `NaN` = missing) filled as
   * {@linkcode fillForState} fills it. With `windowH` and at least `windowH` hours of
   * history, its forecasts are ctsa's from the last `windowH` hours.
   */
  static warm(
    spec: SarimaFilterSpec,
    history: ArrayLike<number>,
    options: SarimaFilterOptions = {},
  ): SarimaFilter {
    const filter = new SarimaFilter(spec, options);
    const filled = fillForState(history, FILL_PERIOD);
    for (let i = 0; i < filled.length; i++) filter.update(filled[i]!);
    return filter;
  }

  /** Hours fed so far. */
  get hours(): number {
    return this.#n;
  }

  /** Whether {@linkcode SarimaFilter.forecast} has a state to forecast from. */
  get ready(): boolean {
    return this.#filtered > 0;
  }

  /** Feeds the next hour's value (original units; `NaN` = missing, filled as the module doc says). */
  update(y: number): void {
    const sys = this.#sys, keep = sys.keep, zs = this.#z;
    let z: number;
    if (y === y) {
      z = forward(sys.transform, y);
      this.#lastSeen = z;
    } else {
      z = this.#n >= FILL_PERIOD ? zs[(this.#n - FILL_PERIOD) % keep]! : this.#lastSeen;
    }
    if (z !== z) return; // nothing seen yet: the series starts at its first value
    const nd = sys.diff.length, n = this.#n;
    let w = z - sys.mean;
    if (n >= nd) { for (let k = 0; k < nd; k++) w += sys.diff[k]! * zs[(n - 1 - k) % keep]!; }
    zs[n % keep] = z; // after the differencing: this slot held z from `keep` hours ago
    this.#n = n + 1;
    if (n < nd) return; // not enough values to difference yet
    const nt = this.#nt;
    if (nt > 0) {
      const at = this.#filtered % nt;
      this.#w[at] = w;
      this.#w[at + nt] = w;
      // until the window is full, the filter from the first value is ctsa's on the shorter window
      if (this.#filtered >= nt) {
        this.#filtered++;
        return;
      }
    }
    this.#kalman(w);
    this.#filtered++;
  }

  /** One Kalman step (prediction, then update) with the exact observation w of a[0]. */
  #kalman(w: number): void {
    const sys = this.#sys, r = sys.r, a = this.#a, p = this.#p;
    if (this.#filtered === 0) {
      // the stationary prior is the prediction of the first differenced value
      a.fill(0);
      p.set(sys.p0);
    } else {
      const a0 = a[0]!;
      a.copyWithin(0, 1);
      a[r - 1] = 0;
      const lags = sys.phiLags, phi = sys.phi;
      for (let k = 0; k < lags.length; k++) a[lags[k]!]! += phi[lags[k]!]! * a0;
      sys.predictCovariance(p);
    }
    const gain = this.#gain;
    sys.updateCovariance(p, gain);
    const u = w - a[0]!;
    for (let j = 1; j < r; j++) a[j]! += gain[j]! * u;
    a[0] = w;
  }

  /**
   * The forecasts at {@linkcode SarimaFilter.horizons} (in that order) in the original
   * units (`expm1` clipped at 0 for log1p, as `SarimaModel.forecastFrom`),
   * into `out` when given. `NaN` until {@linkcode SarimaFilter.ready}.
   */
  forecast(out: Float64Array = new Float64Array(this.horizons.length)): Float64Array {
    const horizons = this.horizons;
    if (!this.ready) return out.fill(NaN, 0, horizons.length);
    const sys = this.#sys, keep = sys.keep, nd = sys.diff.length, nt = this.#nt;
    if (nt > 0 && this.#filtered > nt) {
      const { wWeights, zWeights } = sys.windowWeights(nt, horizons);
      const start = this.#filtered % nt; // the window, oldest first, is #w[start .. start + nt)
      const ws = this.#w, zs = this.#z, n = this.#n;
      for (let k = 0; k < horizons.length; k++) {
        const ww = wWeights[k]!, zw = zWeights[k]!;
        let z = sys.mean;
        for (let i = 0; i < nt; i++) z += ww[i]! * ws[start + i]!;
        for (let m = 0; m < nd; m++) {
          const c = zw[m]!;
          if (c !== 0) z += c * zs[(n - nd + m) % keep]!;
        }
        out[k] = inverse(sys.transform, z);
      }
      return out;
    }
    // Kalman: propagate a without noise; after step h, buf[h .. h + r) is a(t + h)
    const r = sys.r, maxH = this.#maxH;
    const buf = this.#scratchA;
    buf.set(this.#a);
    buf.fill(0, r, r + maxH);
    const lags = sys.phiLags, phi = sys.phi;
    const zf = this.#scratchZ; // the last nd values of z, then the forecasts
    for (let k = 0; k < nd; k++) zf[k] = this.#z[(this.#n - nd + k) % keep]!;
    for (let h = 1; h <= maxH; h++) {
      const a0 = buf[h - 1]!;
      for (let k = 0; k < lags.length; k++) buf[h + lags[k]!]! += phi[lags[k]!]! * a0;
      let z = buf[h]! + sys.mean;
      for (let k = 0; k < nd; k++) z -= sys.diff[k]! * zf[nd + h - 2 - k]!;
      zf[nd + h - 1] = z;
    }
    for (let k = 0; k < horizons.length; k++) {
      out[k] = inverse(sys.transform, zf[nd + horizons[k]! - 1]!);
    }
    return out;
  }
}
