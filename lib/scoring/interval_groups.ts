/**
 * The groups of the regime-aware 90 % intervals (issue 17, part 4), in one place for the offline
 * evaluation (lib/offline/conditional_intervals.ts) and the real-time forecaster
 * (lib/realtime/served_intervals.ts), so both put a forecast in the same group and build the same
 * interval around it.
 *
 * A group is known when the forecast is made: the clock of the target hour, a bin of the forecast
 * level, and whether the forecast is issued during an outage of the target or within `withinH`
 * hours after one (from the target's values up to the issue time). Never the realised value.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import {
  INTERVAL_GROUPINGS,
  INTERVAL_TAILS,
  type IntervalGrouping,
  type IntervalTails,
} from "../records/mod.ts";
import type { ResidualScale } from "./conditional_conformal.ts";

// the names are the evaluation record's (lib/records/evaluation.ts), so the schema and the rules agree
export { INTERVAL_GROUPINGS, INTERVAL_TAILS, type IntervalGrouping, type IntervalTails };

/** An outage: a run of at least `minMissingH` missing target hours; `withinH`: hours it affects. */
export interface OutageRule {
  readonly minMissingH: number;
  readonly withinH: number;
}

/** Everything that puts a forecast of one target in its group. */
export interface IntervalGroupRule {
  readonly grouping: IntervalGrouping;
  /** Forecast-level bin edges (ascending); ignored by `none` and `rush`. */
  readonly levelEdges: readonly number[];
  /** Local clock hours (inclusive) that count as daytime for `day_level`. */
  readonly dayHours: readonly [number, number];
  /** Local clock hours that are rush hours on weekdays (`rush`, `rush_level`). */
  readonly rushHours: readonly number[];
  /** The outage group; null: none. */
  readonly outage: OutageRule | null;
}

/** The local clock of an hour: hour of day and whether it is a Saturday or Sunday. */
export interface HourClock {
  readonly hour: number;
  readonly weekend: boolean;
}

/** The clock of UTC time `ms` at `utcOffsetMin` minutes east of UTC. */
export function clockOf(ms: number, utcOffsetMin: number): HourClock {
  const d = new Date(ms + utcOffsetMin * 60_000);
  const day = d.getUTCDay();
  return { hour: d.getUTCHours(), weekend: day === 0 || day === 6 };
}

/** Number of level bins of `rule`. */
export function levelCount(rule: IntervalGroupRule): number {
  return rule.grouping === "none" || rule.grouping === "rush" ? 1 : rule.levelEdges.length + 1;
}

/** Number of groups without the outage split: clock classes x level bins. */
export function baseGroupCount(rule: IntervalGroupRule): number {
  const classes = rule.grouping === "none" || rule.grouping === "level" ? 1 : 2;
  return classes * levelCount(rule);
}

/** Number of group indices {@linkcode groupIndex} returns: the base groups, twice with outages. */
export function groupCount(rule: IntervalGroupRule): number {
  return baseGroupCount(rule) * (rule.outage === null ? 1 : 2);
}

/**
 * The group of a forecast `value` of the hour with clock `target`, issued `afterOutage` or not:
 * `base` (clock class x level bin) in 0..B-1, plus B when `afterOutage` and the rule has outages.
 */
export function groupIndex(
  rule: IntervalGroupRule,
  value: number,
  target: HourClock,
  afterOutage: boolean,
): number {
  const levels = levelCount(rule);
  let bin = 0;
  if (levels > 1) {
    const edges = rule.levelEdges;
    while (bin < edges.length && value >= edges[bin]!) bin++;
  }
  let cls = 0;
  if (rule.grouping === "rush" || rule.grouping === "rush_level") {
    cls = !target.weekend && rule.rushHours.includes(target.hour) ? 1 : 0;
  } else if (rule.grouping === "day_level") {
    cls = target.hour >= rule.dayHours[0] && target.hour <= rule.dayHours[1] ? 1 : 0;
  }
  const base = cls * levels + bin;
  return afterOutage && rule.outage !== null ? base + baseGroupCount(rule) : base;
}

/**
 * Whether the hour of lag 0 is in an outage or within `withinH - 1` hours after one: some run of
 * at least `minMissingH` missing values (NaN) ends at a lag below `withinH`. `valueAt(lag)` is the
 * target's value `lag` hours before the issue time; it reads lags 0..withinH + minMissingH - 2
 * only, so the cost is constant.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recentOutage } from "./interval_groups.ts";
 * const y = [1, NaN, NaN, NaN, 5, 6]; // lag 0 is the last value
 * const at = (lag: number) => y[y.length - 1 - lag] ?? 1;
 * assert.equal(recentOutage(at, { minMissingH: 3, withinH: 6 }), true);
 * assert.equal(recentOutage(at, { minMissingH: 3, withinH: 2 }), false);
 * assert.equal(recentOutage(at, { minMissingH: 4, withinH: 6 }), false);
 * ```
 */
export function recentOutage(valueAt: (lag: number) => number, rule: OutageRule): boolean {
  let run = 0;
  const last = rule.withinH + rule.minMissingH - 2;
  for (let lag = last; lag >= 0; lag--) {
    const v = valueAt(lag);
    run = v === v ? 0 : run + 1;
    // the run of missing values that covers lags lag..lag+run-1 ends at `lag` or below
    if (run >= rule.minMissingH && lag < rule.withinH) return true;
  }
  return false;
}

/**
 * What an interval from `lo` to `hi` around the forecast on `scale` multiplies or adds, computed
 * once per group: [e^lo, e^hi] on the log1p scale, [lo, hi] on the absolute one (lo = -q, hi = q
 * for a symmetric half-width q).
 */
export function boundFactors(
  lo: number,
  hi: number,
  scale: ResidualScale,
): readonly [number, number] {
  return scale === "log1p" ? [Math.exp(lo), Math.exp(hi)] : [lo, hi];
}

/**
 * The interval around `value` for `factors` of {@linkcode boundFactors}, the lower bound at least
 * `floor`: (1 + value) x e^lo - 1 to (1 + value) x e^hi - 1 on the log1p scale (that is,
 * expm1(log1p(value) + lo) to expm1(log1p(value) + hi), value clipped at 0), value + lo to
 * value + hi on the absolute one.
 */
export function applyFactors(
  value: number,
  factors: readonly [number, number],
  scale: ResidualScale,
  floor: number,
): { lower: number; upper: number } {
  if (scale === "log1p") {
    const base = 1 + Math.max(0, value);
    return { lower: Math.max(floor, base * factors[0] - 1), upper: base * factors[1] - 1 };
  }
  return { lower: Math.max(floor, value + factors[0]), upper: value + factors[1] };
}
