/**
 * Regime-aware 90 % intervals for `best` (issue 17, part 4): group-conditional conformal intervals
 * ({@linkcode conditionalConformalIntervals}) whose groups are known when the forecast is made —
 * whether the target hour is a weekday rush hour or a daytime hour, and a bin of the forecast level
 * — optionally on the log1p scale. The rule (`conformal.conditional` in config/forecast.json) is
 * chosen on the validation window (`deno task evaluate --select --intervals`).
 *
 * Offline only: the real-time forecaster serves `best ± half the evaluated mean width`
 * (lib/realtime/models.ts), so these intervals are reported beside the served rule, in
 * `coverage_by_regime_conditional`, not in `results`.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { HOUR_MS } from "../features/mod.ts";
import { coverageByRegime, type Regime, type RegimeCoverageRow } from "./regimes.ts";
import { INTERVAL_GROUPINGS, type IntervalGrouping, offsetMinutes } from "./forecast_config.ts";
import {
  conditionalConformalIntervals,
  type ConformalIntervals,
  type ConformalOptions,
  quantileSorted,
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
}

/** Where the hours are: the series' start, its clock offset, the rush hours of `regimes`. */
export interface IntervalCalendar {
  readonly startMs: number;
  readonly utcOffsetMin: number;
  readonly rushHours: readonly number[];
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
  } residuals, groups: ${groups[s.grouping]}`;
}

/**
 * The regime-aware intervals of `pred` (by information index, for `y[t + horizonH]`). The level
 * bins come from the target's observed values before `calibrationEnd` (the scored window's start).
 */
export function conditionalIntervalsOf(
  pred: Float64Array,
  y: Float64Array,
  horizonH: number,
  conformal: ConformalOptions,
  settings: ConditionalIntervalSettings,
  calendar: IntervalCalendar,
  calibrationEnd: number,
): ConformalIntervals {
  const before = Float64Array.from(y.subarray(0, calibrationEnd).filter((v) => v === v)).sort();
  const edges = settings.levelQuantiles.map((q) => quantileSorted(before, q));
  const levels = settings.grouping === "none" || settings.grouping === "rush"
    ? 1
    : edges.length + 1;
  const levelOf = (v: number) => {
    let b = 0;
    while (b < edges.length && v >= edges[b]!) b++;
    return levels === 1 ? 0 : b;
  };
  const rush = new Set(calendar.rushHours);
  const clock = (tau: number) => {
    const d = new Date(calendar.startMs + tau * HOUR_MS + calendar.utcOffsetMin * 60_000);
    return { hour: d.getUTCHours(), weekend: d.getUTCDay() === 0 || d.getUTCDay() === 6 };
  };
  const classOf = (tau: number): number => {
    const { hour, weekend } = clock(tau);
    switch (settings.grouping) {
      case "rush":
      case "rush_level":
        return !weekend && rush.has(hour) ? 1 : 0;
      case "day_level":
        return hour >= settings.dayHours[0] && hour <= settings.dayHours[1] ? 1 : 0;
      default:
        return 0;
    }
  };
  const classes = settings.grouping === "none" || settings.grouping === "level" ? 1 : 2;
  return conditionalConformalIntervals(
    pred,
    y,
    horizonH,
    { ...conformal, scale: settings.scale, groups: classes * levels },
    (t) => classOf(t + horizonH) * levels + levelOf(pred[t]!),
    0,
  );
}

/**
 * Coverage by regime of the regime-aware intervals of `best` for one target and horizon on the
 * test window of `window` (the level bins from the target's values before the test window).
 */
export function conditionalCoverage(
  y: Float64Array,
  best: Float64Array,
  horizonH: number,
  config: {
    conformal: ConformalOptions & { conditional?: ConditionalIntervalSettings | undefined };
    regimes: { rushHours: readonly number[] };
    utcOffset: string;
  },
  window: { testFrom: number; testTo: number },
  startMs: number,
  where: { target: string; isIn: (regime: Regime, tau: number) => boolean },
): RegimeCoverageRow[] {
  const settings = config.conformal.conditional;
  if (settings === undefined) return [];
  const calendar = {
    startMs,
    utcOffsetMin: offsetMinutes(config.utcOffset),
    rushHours: config.regimes.rushHours,
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
  return coverageByRegime(y, iv.lower, iv.upper, config.conformal.alpha, {
    target: where.target,
    horizonH,
    testFrom: window.testFrom,
    testTo: window.testTo,
  }, where.isIn);
}
