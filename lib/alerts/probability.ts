/**
 * The probability that a forecast quantity exceeds a threshold, from its 90 %
 * prediction interval read as a (split) normal distribution. Pure arithmetic:
 * no allocation, safe on the hot path.
 *
 * @module
 */

/** The 95th percentile of the standard normal: a central 90 % interval spans ±Z90 σ. */
export const Z90 = 1.6448536269514722;

/**
 * The standard normal CDF Φ(x), to about 1e-14 absolute (Hart 1968, algorithm
 * 5666, as given by G. West, "Better approximations to cumulative normal
 * functions", Wilmott 2005). Accurate in both tails: Φ(−8) ≈ 6.2e-16, not 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalCdf } from "./probability.ts";
 * assert.ok(Math.abs(normalCdf(1) - 0.8413447460685429) < 1e-14);
 * ```
 */
export function normalCdf(x: number): number {
  if (x !== x) return NaN;
  const a = Math.abs(x);
  let tail: number;
  if (a > 37) {
    tail = 0;
  } else {
    const e = Math.exp(-a * a / 2);
    if (a < 7.07106781186547) {
      let n = 3.52624965998911e-2 * a + 0.700383064443688;
      n = n * a + 6.37396220353165;
      n = n * a + 33.912866078383;
      n = n * a + 112.079291497871;
      n = n * a + 221.213596169931;
      n = n * a + 220.206867912376;
      let d = 8.83883476483184e-2 * a + 1.75566716318264;
      d = d * a + 16.064177579207;
      d = d * a + 86.7807322029461;
      d = d * a + 296.564248779674;
      d = d * a + 637.333633378831;
      d = d * a + 793.826512519948;
      d = d * a + 440.413735824752;
      tail = e * n / d;
    } else {
      let b = a + 0.65;
      b = a + 4 / b;
      b = a + 3 / b;
      b = a + 2 / b;
      b = a + 1 / b;
      tail = e / b / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

/**
 * P(X > threshold) for a forecast `value` with a 90 % interval
 * `[lower, upper]`, read as a split normal with median `value`: σ above the
 * median is `(upper − value) / Z90`, below it `(value − lower) / Z90`. The
 * halves differ when the forecaster clips the lower bound at 0. A zero-width
 * half makes the answer 0 or 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exceedanceProbability, Z90 } from "./probability.ts";
 * // 200 lies one σ (= 20) above a forecast of 180: P = 1 − Φ(1)
 * const p = exceedanceProbability(180, 180 - 20 * Z90, 180 + 20 * Z90, 200);
 * assert.ok(Math.abs(p - 0.15865525393145707) < 1e-12);
 * ```
 */
export function exceedanceProbability(
  value: number,
  lower: number,
  upper: number,
  threshold: number,
): number {
  const sigma = (threshold >= value ? upper - value : value - lower) / Z90;
  if (!(sigma > 0)) return value > threshold ? 1 : 0;
  return normalCdf((value - threshold) / sigma);
}
