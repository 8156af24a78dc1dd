/**
 * The pollution alerter's limits prepared for the hot path, and the
 * probability a forecast's 90 % interval gives a limit's crossing (split
 * normal; for a running mean, the mean of observed hours and the forecast).
 *
 * @module
 */
import type { AlertSeverity } from "../records/alert.ts";
import type { Interval } from "../records/forecast.ts";
import { type AlertsConfig, AVERAGING_HOURS, type Limit } from "./alerts_config.ts";
import { exceedanceProbability } from "./probability.ts";
import type { StationState } from "./_station.ts";

/** A limit prepared for the hot path. */
export interface Compiled {
  readonly index: number;
  readonly limit: Limit;
  /** Index of the limit's field among the station ring's fields. */
  readonly f: number;
  readonly hours: number;
  readonly minValid: number;
  readonly threshold: number;
  /** A firing exceedance resolves below this. */
  readonly clearBelow: number;
  /** Severity of the early warning: one level below the limit's. */
  readonly warning: AlertSeverity;
}

const LOWER: Record<AlertSeverity, AlertSeverity> = {
  critical: "warning",
  warning: "info",
  info: "info",
};

/** Limit `index` of `config`, its field at its index in `fields`. */
export function compileLimit(
  config: AlertsConfig,
  fields: readonly string[],
  limit: Limit,
  index: number,
): Compiled {
  const hours = AVERAGING_HOURS[limit.averaging];
  return {
    index,
    limit,
    f: fields.indexOf(limit.field),
    hours,
    minValid: hours === 8
      ? config.minValidHours["8h"]
      : hours === 24
      ? config.minValidHours["24h"]
      : 1,
    threshold: limit.threshold,
    clearBelow: limit.threshold * (1 - config.hysteresis.fraction),
    warning: LOWER[limit.severity],
  };
}

/**
 * P(limit `c` crossed at `target`) under the forecast `value` with its 90 % `interval` read as a
 * split normal. For an hourly limit, P(F > threshold). For a running mean ending at `target`, the
 * mean combines observed hours with the forecast F (`StationState.forecastMean`): it is
 * `(a + b·F) / n`, linear in F, so P(mean > T) = P(F > (n·T − a) / b); the errors of the
 * interpolated hours are taken as fully correlated with the forecast's. NaN with fewer than the
 * minimum valid hours.
 */
export function intervalProbability(
  st: StationState,
  c: Compiled,
  value: number,
  interval: Interval,
  target: number,
): number {
  if (c.hours === 1) {
    return exceedanceProbability(value, interval.lower, interval.upper, c.threshold);
  }
  const n = st.forecastMean(c.f, c.hours, target);
  if (n < c.minValid) return NaN;
  return exceedanceProbability(
    value,
    interval.lower,
    interval.upper,
    (n * c.threshold - st.forecastA) / st.forecastB,
  );
}
