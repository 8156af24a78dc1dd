/**
 * The early warnings of a parity run (`live.early_warnings` of `deno task bench parity`): the NO2
 * hourly limit's early warnings the forecaster raised on the test window, and the same store's
 * readings and forecasts replayed through the pollution alerter twice, with the served evaluated
 * rule and with the interval rule it replaced (docs/alerts.md), so the two are compared on the
 * same forecasts. An exceedance episode (consecutive hours above the limit, starting in the test
 * window) counts as warned when an early warning of the limit was firing at the hour before it.
 *
 * @module
 */
import { CONFIG_DIR, loadConfig } from "../../config/mod.ts";
import {
  ALERTS_CONFIG_FILE,
  AlertsConfigSchema,
  PollutionAlerter,
  type ServedWarningRule,
} from "../../alerts/mod.ts";
import type { Alert, CleanReading, ForecastRecord } from "../../records/mod.ts";
import type { ParityResult } from "../../records/bench.ts";
import { openStore } from "../../storage/mod.ts";

const HOUR_MS = 3_600_000;

/** What {@linkcode parityWarnings} reports. */
export type ParityWarnings = NonNullable<ParityResult["live"]["early_warnings"]>;

/**
 * Counts for the store at `db` after a parity replay; `served` is the rule the forecaster served
 * (null: it warned from the intervals only), `testFromMs` the test window's start.
 */
export async function parityWarnings(
  db: string,
  served: ServedWarningRule | null,
  testFromMs: number,
): Promise<ParityWarnings> {
  const config = await loadConfig(new URL(ALERTS_CONFIG_FILE, CONFIG_DIR), AlertsConfigSchema);
  const limit = config.limits.find((l) => l.id === "eu_no2_1h")!;
  const store = await openStore(db);
  try {
    const readings = await store.readings({});
    const forecasts = await store.forecasts({ from_ms: testFromMs });
    const liveFired = (await store.alerts()).filter((a) =>
      a.kind === "early_warning" && a.field === limit.field && a.state === "firing"
    ).length;
    const alerters: [string, PollutionAlerter][] = [["interval", new PollutionAlerter(config)]];
    if (served !== null) {
      alerters.push(["served", new PollutionAlerter(config, { served })]);
    }
    const rules = alerters.map(([rule, alerter]) => ({
      rule,
      ...replayCounts(alerter, readings, forecasts, limit.field, limit.threshold, testFromMs),
    }));
    return {
      limit: limit.id,
      served: served === null ? null : {
        leads_h: [...served.leads.keys()],
        cutoffs: [...served.leads.values()].map((d) =>
          d.cutoff
        ),
      },
      live_fired: liveFired,
      test_episodes: rules[0]!.test_episodes,
      rules: rules.map(({ test_episodes: _, ...r }) => r),
    };
  } finally {
    await store.close();
  }
}

/** One alerter over the readings and the forecasts made from them, in time order. */
function replayCounts(
  alerter: PollutionAlerter,
  readings: readonly CleanReading[],
  forecasts: readonly ForecastRecord[],
  field: string,
  threshold: number,
  testFromMs: number,
) {
  const byTs = new Map<string, ForecastRecord[]>();
  for (const f of forecasts) {
    const list = byTs.get(`${f.station_id}|${f.ts}`);
    if (list === undefined) byTs.set(`${f.station_id}|${f.ts}`, [f]);
    else list.push(f);
  }
  // per station, the hours that ended with an early warning of the limit firing
  const firingAt = new Set<string>();
  const firing = new Map<string, boolean>();
  let fired = 0;
  const note = (alerts: readonly Alert[], station: string) => {
    for (const a of alerts) {
      if (a.kind !== "early_warning" || a.field !== field) continue;
      firing.set(station, a.state === "firing");
      if (a.state === "firing") fired++;
    }
  };
  for (const r of readings) {
    note(alerter.observe(r, 0), r.station_id);
    note(alerter.forecasts(byTs.get(`${r.station_id}|${r.ts}`) ?? [], 0), r.station_id);
    if (firing.get(r.station_id) === true) {
      firingAt.add(`${r.station_id}|${Math.floor(r.ts_utc_ms / HOUR_MS)}`);
    }
  }
  let episodes = 0, warned = 0, hoursUnder = 0;
  const previous = new Map<string, boolean>();
  for (const r of readings) {
    const v = r.measurements[field as keyof CleanReading["measurements"]];
    const above = v !== null && v !== undefined && v > threshold;
    const hour = Math.floor(r.ts_utc_ms / HOUR_MS);
    if (r.ts_utc_ms >= testFromMs) {
      if (firingAt.has(`${r.station_id}|${hour}`)) hoursUnder++;
      if (above && previous.get(r.station_id) !== true) {
        episodes++;
        if (firingAt.has(`${r.station_id}|${hour - 1}`)) warned++;
      }
    }
    previous.set(r.station_id, above);
  }
  return {
    fired,
    test_episodes: episodes,
    episodes_warned_hour_before: warned,
    test_hours_under_warning: hoursUnder,
  };
}
