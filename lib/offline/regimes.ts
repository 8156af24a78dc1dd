/**
 * Interval coverage by regime (issue 17, part 4): the 90 % conformal intervals
 * of a forecast scored separately on high-pollution hours, rush hours,
 * weekends and the first hours after an outage, so an interval that is right
 * on average but wrong when it matters shows.
 *
 * A regime is a property of the target hour (the hour forecast), never of the
 * forecast itself. The high-pollution threshold is a quantile of the target's
 * observed values before the test window only.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { HOUR_MS } from "../features/mod.ts";
import { intervalScore, intervalScores, quantileSorted } from "../scoring/mod.ts";

/** Settings of the regimes (`regimes` in config/forecast.json). */
export interface RegimeOptions {
  /** Quantile of the target's pre-test values above which an hour is high-pollution (0.9). */
  readonly highQuantile: number;
  /** Local clock hours (0-23) that are rush hours, on weekdays only. */
  readonly rushHours: readonly number[];
  /** A run of at least this many missing target hours is an outage. */
  readonly outageMinMissingH: number;
  /** The first this many hours after an outage form the after-outage regime. */
  readonly afterOutageH: number;
}

/** Names of the regimes, in report order. */
export const REGIMES = ["all", "high_pollution", "rush_hour", "weekend", "after_outage"] as const;
/** One regime. */
export type Regime = typeof REGIMES[number];

/** One row of `coverage_by_regime`. */
export interface RegimeCoverageRow {
  target: string;
  horizon_h: number;
  regime: Regime;
  /** Share of the regime's scored target hours inside the 90 % interval. */
  coverage: number;
  n: number;
  /** Mean interval score (Gneiting and Raftery 2007) on those hours; lower is better. */
  interval_score: number;
  interval_mean_width: number;
}

/**
 * Per target hour, which regimes it belongs to. `y` is the target column;
 * `testFrom` bounds the data the high-pollution quantile may use.
 */
export function regimeMembership(
  y: Float64Array,
  startMs: number,
  utcOffsetMin: number,
  testFrom: number,
  options: RegimeOptions,
): { threshold: number; isIn: (regime: Regime, tau: number) => boolean } {
  const before = Float64Array.from(y.subarray(0, testFrom).filter((v) => v === v)).sort();
  const threshold = quantileSorted(before, options.highQuantile);
  const rush = new Set(options.rushHours);
  // hours since the end of the last outage (Infinity when none)
  const sinceOutage = new Float64Array(y.length).fill(Infinity);
  let missingRun = 0, lastOutageEnd = -Infinity;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== y[i]) {
      missingRun++;
      continue;
    }
    if (missingRun >= options.outageMinMissingH) lastOutageEnd = i - 1;
    missingRun = 0;
    sinceOutage[i] = i - lastOutageEnd;
  }
  const local = (tau: number) => new Date(startMs + tau * HOUR_MS + utcOffsetMin * 60_000);
  const weekend = (d: Date) => d.getUTCDay() === 0 || d.getUTCDay() === 6;
  const isIn = (regime: Regime, tau: number): boolean => {
    switch (regime) {
      case "all":
        return true;
      case "high_pollution":
        return y[tau]! > threshold;
      case "rush_hour": {
        const d = local(tau);
        return !weekend(d) && rush.has(d.getUTCHours());
      }
      case "weekend":
        return weekend(local(tau));
      case "after_outage":
        return sinceOutage[tau]! <= options.afterOutageH;
    }
  };
  return { threshold, isIn };
}

/**
 * Coverage, interval score and width per regime of intervals by information
 * index (`lower[t]`, `upper[t]` bound `y[t + h]`) on the target hours
 * `testFrom..testTo`.
 */
export function coverageByRegime(
  y: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  alpha: number,
  where: { target: string; horizonH: number; testFrom: number; testTo: number },
  isIn: (regime: Regime, tau: number) => boolean,
): RegimeCoverageRow[] {
  const h = where.horizonH;
  return REGIMES.map((regime) => {
    const lo: number[] = [], hi: number[] = [], obs: number[] = [];
    for (let tau = Math.max(h, where.testFrom); tau <= where.testTo; tau++) {
      const t = tau - h;
      if (y[tau] !== y[tau] || lower[t] !== lower[t] || !isIn(regime, tau)) continue;
      lo.push(lower[t]!);
      hi.push(upper[t]!);
      obs.push(y[tau]!);
    }
    const scores = intervalScores(lo, hi, obs);
    return {
      target: where.target,
      horizon_h: h,
      regime,
      coverage: scores.coverage,
      n: scores.n,
      interval_score: intervalScore(lo, hi, obs, alpha),
      interval_mean_width: scores.meanWidth,
    };
  });
}
