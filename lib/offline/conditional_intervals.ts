/**
 * Regime-aware 90 % intervals for `best` (issue 17, part 4): group-conditional conformal intervals
 * ({@linkcode conditionalConformalIntervals}) whose groups are known when the forecast is made —
 * whether the target hour is a weekday rush hour or a daytime hour, a bin of the forecast level,
 * and whether it is issued during or just after an outage of the target — optionally on the log1p
 * scale. The rule (`conformal.conditional` in config/forecast.json) is
 * chosen on the validation window (`deno task evaluate --select --intervals`).
 *
 * Served: `results` (for `best`) and `coverage_by_regime` score these intervals, and
 * `served_intervals` holds each group's half-width after the test window's last hour, which the
 * real-time forecaster serves (lib/realtime/engine_records.ts, same groups from
 * lib/scoring/interval_groups.ts). The pooled rule served before stays beside them in
 * `coverage_by_regime_pooled` and `results[].pooled_interval`.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { HOUR_MS } from "../features/mod.ts";
import type { EvaluationReport } from "../records/evaluation.ts";
import { coverageByRegime, type Regime, type RegimeCoverageRow } from "./regimes.ts";
import { INTERVAL_GROUPINGS, type IntervalGrouping, offsetMinutes } from "./forecast_config.ts";
import {
  baseGroupCount,
  clockOf,
  conditionalConformalIntervals,
  type ConditionalConformalResult,
  type ConformalOptions,
  groupIndex,
  type IntervalGroupRule,
  type IntervalTails,
  type OutageRule,
  quantileSorted,
  recentOutage,
  type ResidualScale,
} from "../scoring/mod.ts";

export { INTERVAL_GROUPINGS, type IntervalGrouping };

/** Settings of the regime-aware intervals (`conformal.conditional`). */
export interface ConditionalIntervalSettings {
  readonly scale: ResidualScale;
  readonly grouping: IntervalGrouping;
  /** Quantiles of the target's values before the scored window that cut the forecast into bins. */
  readonly levelQuantiles: readonly number[];
  /** Local clock hours (inclusive) that count as daytime for `day_level`. */
  readonly dayHours: readonly [number, number];
  /** A group for forecasts issued during or just after an outage (`regimes`' outage settings). */
  readonly outage?: boolean | undefined;
  /** Symmetric (absent) or equal-tailed intervals. */
  readonly tails?: IntervalTails | undefined;
}

/** Where the hours are: the series' start, its clock offset, the rush hours of `regimes`. */
export interface IntervalCalendar {
  readonly startMs: number;
  readonly utcOffsetMin: number;
  readonly rushHours: readonly number[];
  /** What an outage is, for the outage group. */
  readonly outage: OutageRule;
}

/** A short description of the rule, for the report. */
export function describeConditionalRule(s: ConditionalIntervalSettings): string {
  const groups: Record<IntervalGrouping, string> = {
    none: "one group",
    rush: "weekday rush hour of the target hour or not",
    level: `forecast level bins cut at the ${s.levelQuantiles.join(", ")} quantiles`,
    rush_level: `weekday rush hour or not x forecast level bins (${
      s.levelQuantiles.join(", ")
    } quantiles)`,
    day_level: `local hour ${s.dayHours[0]}-${s.dayHours[1]} or not x forecast level bins (${
      s.levelQuantiles.join(", ")
    } quantiles)`,
  };
  return `group-conditional rolling conformal on ${
    s.scale === "log1p" ? "log1p (multiplicative)" : "absolute"
  } residuals${
    s.tails === "equal" ? ", equal-tailed (signed residual quantiles, a miss rate per tail)" : ""
  }, groups: ${groups[s.grouping]}${
    s.outage === true
      ? "; forecasts issued during or just after an outage in their own group (until it has " +
        "enough residuals: their group's quantile at alpha / 2)"
      : ""
  }`;
}

/** The outage rule of the intervals: `regimes`' outage length, and its after-outage hours. */
export function outageRuleOf(
  regimes: { outageMinMissingH: number; afterOutageH: number },
): OutageRule {
  return { minMissingH: regimes.outageMinMissingH, withinH: regimes.afterOutageH };
}

/**
 * The group rule of one target: the level bins from the target's observed values before
 * `calibrationEnd` (the scored window's start).
 */
export function groupRuleOf(
  y: Float64Array,
  settings: ConditionalIntervalSettings,
  calendar: IntervalCalendar,
  calibrationEnd: number,
): IntervalGroupRule {
  const before = Float64Array.from(y.subarray(0, calibrationEnd).filter((v) => v === v)).sort();
  return {
    grouping: settings.grouping,
    levelEdges: settings.levelQuantiles.map((q) => quantileSorted(before, q)),
    dayHours: settings.dayHours,
    rushHours: calendar.rushHours,
    outage: settings.outage === true ? calendar.outage : null,
  };
}

/**
 * Per information index t, whether the forecast made at t is issued during or just after an
 * outage of `y` (from `y` up to t only; hours before the series count as observed).
 */
export function outageFlags(y: Float64Array, rule: OutageRule): Uint8Array {
  return Uint8Array.from(
    y,
    (_, t) => recentOutage((lag) => (t - lag >= 0 ? y[t - lag]! : 0), rule) ? 1 : 0,
  );
}

/**
 * The regime-aware intervals of `pred` (by information index, for `y[t + horizonH]`), and each
 * group's half-width for a forecast made at the last hour (what the live forecaster serves).
 */
export function conditionalIntervalsOf(
  pred: Float64Array,
  y: Float64Array,
  horizonH: number,
  conformal: ConformalOptions,
  settings: ConditionalIntervalSettings,
  calendar: IntervalCalendar,
  calibrationEnd: number,
): ConditionalConformalResult & { rule: IntervalGroupRule } {
  const rule = groupRuleOf(y, settings, calendar, calibrationEnd);
  const flags = rule.outage === null ? null : outageFlags(y, rule.outage);
  const result = conditionalConformalIntervals(
    pred,
    y,
    horizonH,
    {
      ...conformal,
      scale: settings.scale,
      groups: baseGroupCount(rule),
      outage: rule.outage !== null,
      tails: settings.tails ?? "symmetric",
    },
    (t) =>
      groupIndex(
        rule,
        pred[t]!,
        clockOf(calendar.startMs + (t + horizonH) * HOUR_MS, calendar.utcOffsetMin),
        flags !== null && flags[t] === 1,
      ),
    0,
  );
  return { ...result, rule };
}

/** The served rule's state for one target and horizon: what the live forecaster looks up. */
export interface ServedGroups {
  target: string;
  horizon_h: number;
  level_edges: number[];
  /** By group index (lib/scoring/interval_groups.ts), on the rule's scale; null: none yet. */
  half_widths: (number | null)[];
  /** The lower sides, when the rule's tails differ. */
  lower_half_widths?: (number | null)[];
}

/**
 * The regime-aware intervals of `best` for one target and horizon over the test window of
 * `window` (the level bins from the target's values before the test window), their coverage by
 * regime, and each group's half-width after the last hour (null when not configured).
 */
export function conditionalCoverage(
  y: Float64Array,
  best: Float64Array,
  horizonH: number,
  config: {
    conformal: ConformalOptions & { conditional?: ConditionalIntervalSettings | undefined };
    regimes: { rushHours: readonly number[]; outageMinMissingH: number; afterOutageH: number };
    utcOffset: string;
  },
  window: { testFrom: number; testTo: number },
  startMs: number,
  where: { target: string; isIn: (regime: Regime, tau: number) => boolean },
): {
  intervals: { lower: Float64Array; upper: Float64Array };
  rows: RegimeCoverageRow[];
  served: ServedGroups;
} | null {
  const settings = config.conformal.conditional;
  if (settings === undefined) return null;
  const calendar = {
    startMs,
    utcOffsetMin: offsetMinutes(config.utcOffset),
    rushHours: config.regimes.rushHours,
    outage: outageRuleOf(config.regimes),
  };
  const iv = conditionalIntervalsOf(
    best,
    y,
    horizonH,
    config.conformal,
    settings,
    calendar,
    window.testFrom,
  );
  const rows = coverageByRegime(y, iv.lower, iv.upper, config.conformal.alpha, {
    target: where.target,
    horizonH,
    testFrom: window.testFrom,
    testTo: window.testTo,
  }, where.isIn);
  return {
    intervals: iv,
    rows,
    served: {
      target: where.target,
      horizon_h: horizonH,
      level_edges: [...iv.rule.levelEdges],
      half_widths: Array.from(iv.lastHalfWidths, (q) => (q === q ? q : null)),
      ...(settings.tails === "equal"
        ? { lower_half_widths: Array.from(iv.lastLowerWidths, (q) => (q === q ? q : null)) }
        : {}),
    },
  };
}

/** The earlier served rule, kept in `coverage_by_regime_pooled` and `pooled_interval`. */
export const POOLED_RULE = "rolling conformal on absolute residuals, one group";

/** The regime-aware rule's fields: served live when configured, the pooled rule beside it. */
export function servedPart(
  config: {
    conformal: ConformalOptions & { conditional?: ConditionalIntervalSettings | undefined };
    regimes: { rushHours: readonly number[]; outageMinMissingH: number; afterOutageH: number };
  },
  served: RegimeCoverageRow[],
  pooled: RegimeCoverageRow[],
  groups: ServedGroups[],
): Pick<
  EvaluationReport,
  "coverage_by_regime_conditional" | "coverage_by_regime_pooled" | "served_intervals"
> {
  const c = config.conformal.conditional;
  if (c === undefined) {
    return {
      coverage_by_regime_conditional: null,
      coverage_by_regime_pooled: null,
      served_intervals: null,
    };
  }
  const rule = describeConditionalRule(c);
  return {
    coverage_by_regime_conditional: { rule, served_live: true, rows: served },
    coverage_by_regime_pooled: { rule: POOLED_RULE, rows: pooled },
    served_intervals: {
      rule,
      scale: c.scale,
      grouping: c.grouping,
      tails: c.tails ?? "symmetric",
      day_hours: [...c.dayHours],
      rush_hours: [...config.regimes.rushHours],
      outage: c.outage === true
        ? {
          min_missing_h: config.regimes.outageMinMissingH,
          within_h: config.regimes.afterOutageH,
        }
        : null,
      calibration: {
        alpha: config.conformal.alpha,
        window: config.conformal.window,
        gamma: config.conformal.gamma,
        min_residuals: config.conformal.minResiduals,
      },
      groups,
    },
  };
}
