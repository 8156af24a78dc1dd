/**
 * A plain, slow reference of the exceedance policy for tests: explicit
 * means over arrays, then the threshold, hysteresis, cool-down and minimum
 * valid hours written out. Independent of `lib/alerts` (only the config).
 *
 * @module
 */
import type { AlertsConfig, Limit } from "../../lib/alerts/mod.ts";

const HOURS = { "1h": 1, "8h_running_max_daily": 8, "24h": 24 } as const;

/**
 * The limit's metric at each hour: `values[i]` is the reading of hour i
 * (`undefined`: no reading, `null`: a missing value). Null where there is no
 * reading or fewer valid hours than the config requires. Means are rounded
 * to 1e-9, as the alerter does.
 */
export function referenceMetric(
  values: readonly (number | null | undefined)[],
  limit: Limit,
  config: AlertsConfig,
): (number | null)[] {
  const n = HOURS[limit.averaging];
  const minValid = n === 1 ? 1 : n === 8 ? config.minValidHours["8h"] : config.minValidHours["24h"];
  return values.map((v, i) => {
    if (v === undefined) return null;
    const window = values.slice(Math.max(0, i - n + 1), i + 1)
      .filter((x): x is number => x !== null && x !== undefined);
    if (window.length < minValid) return null;
    return Math.round(window.reduce((a, b) => a + b, 0) / window.length * 1e9) / 1e9;
  });
}

/** Hours at which the policy fires and resolves episodes of one limit. */
export function referenceEpisodes(
  values: readonly (number | null | undefined)[],
  limit: Limit,
  config: AlertsConfig,
): { fired: number[]; resolved: number[] } {
  const fired: number[] = [], resolved: number[] = [];
  let firing = false, lastResolved = -Infinity;
  referenceMetric(values, limit, config).forEach((m, i) => {
    if (m === null) return;
    if (!firing && m > limit.threshold && i - lastResolved >= config.cooldown.hours) {
      firing = true;
      fired.push(i);
    } else if (firing && m < limit.threshold * (1 - config.hysteresis.fraction)) {
      firing = false;
      lastResolved = i;
      resolved.push(i);
    }
  });
  return { fired, resolved };
}
