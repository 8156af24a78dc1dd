/**
 * What the dashboard page receives (`DashboardSnapshot` and its parts), and
 * the parts of it computed from the stations' recent readings alone: each
 * station's current state and limit index, the hourly history, the ranking
 * and the missing shares. ./state.ts keeps the readings and assembles the rest.
 *
 * Pure: no Kafka, no `Deno.*`.
 *
 * @module
 */
import type { Alert, CleanReading, MeasurementField } from "../records/mod.ts";
import type { PollutantConfig } from "./dashboard_config.ts";
import type { Estimate } from "./records.ts";

const HOUR = 3_600_000;

/** One pollutant's current state at one station. */
export interface PollutantNow {
  field: MeasurementField;
  /** The latest hourly value; null when missing. */
  value: number | null;
  /** Mean of the last 8 hours (at least 6 values), null otherwise. */
  mean_8h: number | null;
  /** Mean of the last 24 hours (at least 18 values), null otherwise. */
  mean_24h: number | null;
  /** A virtual-sensor estimate for the latest hour, when the analyser value is missing. */
  estimate: number | null;
}

/** One station's current state. */
export interface StationNow {
  station_id: string;
  ts_ms: number;
  pollutants: PollutantNow[];
  /** Worst ratio of a value to its EU limit (1 = at the limit); null without data. */
  index: number | null;
  /** The pollutant field behind `index`. */
  driver: MeasurementField | null;
  status: CleanReading["status"];
}

/** One forecast point against what was then measured. */
export interface ForecastPoint {
  target_ms: number;
  value: number;
  lower: number | null;
  upper: number | null;
  actual: number | null;
}

/** Forecasts of one target and horizon at the focus station. */
export interface ForecastSeries {
  field: MeasurementField;
  horizon_h: number;
  points: ForecastPoint[];
  model_version: string | null;
  baseline: boolean;
}

/** Live error of one target and horizon (all stations). */
export interface LiveError {
  field: MeasurementField;
  horizon_h: number;
  live_mae: number | null;
  n: number;
  expected_mae: number | null;
}

/** The alert fields the page shows. */
export type AlertView = Pick<
  Alert,
  "alert_id" | "kind" | "severity" | "station_id" | "field" | "state" | "reason" | "event_ts"
>;

/** Store counts (only with --db). */
export interface StoreView {
  stored_readings: number;
  stations: number;
  dead_letters: number;
  checked_at_ms: number;
}

/** The pipeline consumer group's lag. */
export interface LagView {
  group: string;
  /** Messages behind the end of the raw topic; null when the group has committed nothing. */
  lag: number | null;
  checked_at_ms: number;
}

/** What the page receives on every push. */
export interface DashboardSnapshot {
  version: number;
  now_ms: number;
  utc_offset: string;
  pollutants: PollutantConfig[];
  focus_station: string | null;
  /** Latest event time seen on the raw topic. */
  event_ms: number | null;
  stations: StationNow[];
  /** Hourly history at the focus station and the others: times and values per field. */
  history: { station_id: string; ts_ms: number[]; values: Record<string, (number | null)[]> }[];
  ranking: { station_id: string; rank: number; index: number | null; driver: string | null }[];
  forecasts: { topic: string; exists: boolean; received: number; series: ForecastSeries[] };
  estimates: { topic: string; exists: boolean; received: number };
  model: {
    live: LiveError[];
    drift: AlertView[];
    /** The model version whose offline MAE `expected_mae` is (`<modelDir>/expected.json`); null without. */
    expected_version: string | null;
    /** The latest `model_retrained` events, newest first. */
    retraining: AlertView[];
  };
  alerts: { recent: AlertView[]; firing: number; received: number };
  health: {
    readings_total: number;
    readings_per_s: number;
    unreadable: Record<string, number>;
    dead_letters_total: number;
    dead_letter_reasons: Record<string, number>;
    missing_24h: Record<string, number | null>;
    lag: LagView | null;
    store: StoreView | null;
    topics: Record<string, boolean>;
    feed_error: string | null;
  };
}

/** A station's recent readings, in time order, and their times. */
export interface StationHistory {
  ts: number[];
  rows: CleanReading[];
}

/** Mean of the non-null values, or null with fewer than `min`. */
const mean = (xs: (number | null)[], min: number): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length >= min ? v.reduce((a, b) => a + b, 0) / v.length : null;
};

/** One station's current state: latest values, 8 h and 24 h means, estimates, and its index. */
export function stationNow(
  id: string,
  s: StationHistory,
  configured: readonly PollutantConfig[],
  estimates: ReadonlyMap<string, Estimate>,
): StationNow {
  const last = s.rows[s.rows.length - 1]!;
  const t = last.ts_utc_ms;
  const since = (hours: number) => s.rows.filter((r) => r.ts_utc_ms > t - hours * HOUR);
  const last8 = since(8);
  const last24 = since(24);
  let index: number | null = null;
  let driver: MeasurementField | null = null;
  const pollutants = configured.map((p): PollutantNow => {
    const value = last.measurements[p.field];
    const mean8 = mean(last8.map((r) => r.measurements[p.field]), 6);
    const mean24 = mean(last24.map((r) => r.measurements[p.field]), 18);
    const est = estimates.get(`${id}|${p.field}`);
    for (const limit of p.limits) {
      if (limit.kind !== "limit") continue;
      const v = limit.averaging === "1h" ? value : limit.averaging === "8h" ? mean8 ?? value : null;
      if (v === null) continue;
      const ratio = v / limit.value;
      if (index === null || ratio > index) {
        index = ratio;
        driver = p.field;
      }
    }
    return {
      field: p.field,
      value,
      mean_8h: mean8,
      mean_24h: mean24,
      estimate: value === null && est !== undefined && est.ts_ms === t ? est.value : null,
    };
  });
  return { station_id: id, ts_ms: t, pollutants, index, driver, status: last.status };
}

/** Per station, the hourly history of `fields` over the last `historyHours`. */
export function historyOf(
  ids: readonly string[],
  stations: ReadonlyMap<string, StationHistory>,
  fields: readonly MeasurementField[],
  historyHours: number,
): DashboardSnapshot["history"] {
  return ids.map((id) => {
    const s = stations.get(id)!;
    const from = s.ts[s.ts.length - 1]! - historyHours * HOUR;
    const rows = s.rows.filter((r) => r.ts_utc_ms > from);
    return {
      station_id: id,
      ts_ms: rows.map((r) => r.ts_utc_ms),
      values: Object.fromEntries(fields.map((f) => [f, rows.map((r) => r.measurements[f])])),
    };
  });
}

/** The stations by index, worst first (no index last), ties by id. */
export function rankingOf(stations: readonly StationNow[]): DashboardSnapshot["ranking"] {
  return [...stations]
    .sort((a, b) => (b.index ?? -1) - (a.index ?? -1) || a.station_id.localeCompare(b.station_id))
    .map((s, i) => ({ station_id: s.station_id, rank: i + 1, index: s.index, driver: s.driver }));
}

/** Per field, the share of missing values over every station's last 24 hours (null: none). */
export function missing24h(
  fields: readonly MeasurementField[],
  stations: Iterable<StationHistory>,
): Record<string, number | null> {
  const histories = [...stations];
  const missing: Record<string, number | null> = {};
  for (const f of fields) {
    let n = 0;
    let miss = 0;
    for (const s of histories) {
      const t = s.ts[s.ts.length - 1]!;
      for (const r of s.rows) {
        if (r.ts_utc_ms <= t - 24 * HOUR) continue;
        n++;
        if (r.measurements[f] === null) miss++;
      }
    }
    missing[f] = n === 0 ? null : miss / n;
  }
  return missing;
}
