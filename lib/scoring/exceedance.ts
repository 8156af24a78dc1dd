/**
 * The probability that a forecast quantity exceeds a threshold, from the
 * forecast's own recent multiplicative errors (issue 17, part 5): with
 * r = log1p(observed) - log1p(forecast) over the latest `windowH` verified
 * forecasts of one lead, P(y > threshold) is the share of r with
 * log1p(forecast) + r > log1p(threshold).
 *
 * One implementation for both sides: evaluate's warning
 * (lib/offline/warning.ts) walks a series through it, and the live alerter
 * (lib/alerts/served_warning.ts) feeds it each station's forecasts as their
 * hours are observed, so the warnings served are the ones evaluated.
 *
 * Pure: no `Deno.*`, no I/O; no allocation after construction.
 *
 * @module
 */

/** Settings of the empirical exceedance probability. */
export interface ExceedanceOptions {
  /** The level whose crossing is asked about (200 µg/m³ for the EU NO2 hourly limit). */
  readonly threshold: number;
  /** How many of the latest verified residuals count. */
  readonly residualWindowH: number;
  /** Below this many residuals there is no probability (NaN). */
  readonly minResiduals: number;
}

/**
 * The latest `residualWindowH` multiplicative errors of one forecast stream,
 * and the exceedance probability they give a new forecast.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ResidualExceedance } from "./exceedance.ts";
 * const e = new ResidualExceedance({ threshold: 200, residualWindowH: 4, minResiduals: 2 });
 * e.add(220, 200); // observed 10 % above its forecast
 * e.add(180, 200); // observed 10 % below
 * assert.equal(e.probability(195), 0.5); // only the error above carries 195 past 200
 * ```
 */
export class ResidualExceedance {
  readonly #ring: Float64Array;
  readonly #limit: number;
  readonly #min: number;
  #size = 0;
  #head = 0;

  /** An empty window. */
  constructor(options: ExceedanceOptions) {
    if (!(options.residualWindowH >= 1)) {
      throw new RangeError(`residualWindowH must be at least 1, got ${options.residualWindowH}`);
    }
    this.#ring = new Float64Array(options.residualWindowH);
    this.#limit = Math.log1p(options.threshold);
    this.#min = options.minResiduals;
  }

  /** Verified residuals held (at most `residualWindowH`). */
  get size(): number {
    return this.#size;
  }

  /** Forgets every residual. */
  clear(): void {
    this.#size = 0;
    this.#head = 0;
  }

  /** Adds the error of a verified forecast: log1p(observed) - log1p(max(0, forecast)). */
  add(observed: number, forecast: number): void {
    const ring = this.#ring;
    ring[this.#head] = Math.log1p(observed) - Math.log1p(Math.max(0, forecast));
    this.#head = (this.#head + 1) % ring.length;
    if (this.#size < ring.length) this.#size++;
  }

  /** P(y > threshold) for `forecast`; NaN for a NaN forecast or fewer than `minResiduals` residuals. */
  probability(forecast: number): number {
    const size = this.#size;
    if (forecast !== forecast || size < this.#min) return NaN;
    const base = Math.log1p(Math.max(0, forecast)), limit = this.#limit, ring = this.#ring;
    let above = 0;
    for (let k = 0; k < size; k++) if (base + ring[k]! > limit) above++;
    return above / size;
  }
}

/**
 * How the probability rule is combined with persistence (the latest observed value above the
 * threshold): alone, either one, or both. Chosen on validation with the cut-off.
 */
export const COMBINATIONS = [
  "probability",
  "probability_or_persistence",
  "probability_and_persistence",
] as const;
/** One of {@linkcode COMBINATIONS}. */
export type Combination = typeof COMBINATIONS[number];

/** A warning rule at one lead: its probability cut-off and its combination with persistence. */
export interface WarningDecision {
  readonly cutoff: number;
  readonly combination: Combination;
}

/**
 * Whether the rule warns: P (NaN: no probability) against the cut-off, combined with persistence
 * (`latest`, the latest observed value, above `threshold`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { warns } from "./exceedance.ts";
 * const rule = { cutoff: 0.3, combination: "probability_or_persistence" } as const;
 * assert.equal(warns(0.1, 230, rule, 200), true); // persistence alone
 * assert.equal(warns(NaN, 150, rule, 200), false);
 * ```
 */
export function warns(
  p: number,
  latest: number,
  rule: WarningDecision,
  threshold: number,
): boolean {
  const byP = p >= rule.cutoff;
  if (rule.combination === "probability") return byP;
  const now = latest > threshold;
  return rule.combination === "probability_or_persistence" ? byP || now : byP && now;
}
