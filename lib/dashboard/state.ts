/**
 * Everything the page shows, kept in memory and updated message by message:
 * the latest readings and recent history per station, limit ratios and the
 * station ranking, forecasts against actuals with the live error, estimates,
 * the alerts feed, and pipeline health. Pure: no Kafka, no `Deno.*`; the
 * feed calls `observe*`, the hub calls `snapshot()` at most once per push.
 *
 * @module
 */
import {
  type Alert,
  type CleanReading,
  type ExpectedMae,
  FORECAST_TARGETS,
  type MeasurementField,
} from "../records/mod.ts";
import type { DashboardConfig, PollutantConfig } from "./dashboard_config.ts";
import type { Estimate, Forecast } from "./records.ts";

const HOUR = 3_600_000;
/** Retraining events the page lists. */
const RETRAINING_SHOWN = 5;
const RATE_WINDOW_MS = 10_000;
const LIVE_ERROR_WINDOW = 200;

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

interface StationHistory {
  ts: number[];
  rows: CleanReading[];
}

const mean = (xs: (number | null)[], min: number): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length >= min ? v.reduce((a, b) => a + b, 0) / v.length : null;
};

/** The dashboard's in-memory model. */
export class DashboardState {
  readonly #config: DashboardConfig;
  readonly #now: () => number;
  readonly #stations = new Map<string, StationHistory>();
  readonly #forecasts = new Map<string, (Forecast & { scored: boolean })[]>();
  readonly #errors = new Map<string, { abs: number[]; expected: number | null }>();
  /** Offline MAE per `field|horizon` of the trained version (`setExpected`). */
  #expectedMae = new Map<string, number>();
  #expectedVersion: string | null = null;
  readonly #retraining: AlertView[] = [];
  readonly #estimates = new Map<string, Estimate>();
  readonly #alerts: AlertView[] = [];
  readonly #alertState = new Map<string, Alert["state"]>();
  readonly #drift = new Map<string, AlertView>();
  readonly #arrivals: number[] = [];
  readonly #unreadable: Record<string, number> = {};
  readonly #deadReasons: Record<string, number> = {};
  #topics: Record<string, boolean> = {};
  #topicNames = { forecasts: "", estimates: "" };
  #readings = 0;
  #forecastCount = 0;
  #estimateCount = 0;
  #alertCount = 0;
  #deadLetters = 0;
  #lag: LagView | null = null;
  #store: StoreView | null = null;
  #feedError: string | null = null;
  #version = 0;

  constructor(config: DashboardConfig, now: () => number = Date.now) {
    this.#config = config;
    this.#now = now;
  }

  /** Grows by one with every change; the hub pushes only when it moved. */
  get version(): number {
    return this.#version;
  }

  /** Adds a clean reading (validated from the raw topic). */
  observeReading(reading: CleanReading): void {
    let s = this.#stations.get(reading.station_id);
    if (s === undefined) {
      s = { ts: [], rows: [] };
      this.#stations.set(reading.station_id, s);
    }
    const t = reading.ts_utc_ms;
    let i = s.ts.length;
    while (i > 0 && s.ts[i - 1]! > t) i--;
    if (i > 0 && s.ts[i - 1] === t) s.rows[i - 1] = reading; // a redelivery or correction
    else {
      s.ts.splice(i, 0, t);
      s.rows.splice(i, 0, reading);
    }
    const keepFrom = s.ts[s.ts.length - 1]! -
      Math.max(this.#config.display.historyHours, 24) * HOUR;
    let drop = 0;
    while (drop < s.ts.length && s.ts[drop]! <= keepFrom) drop++;
    if (drop > 0) {
      s.ts.splice(0, drop);
      s.rows.splice(0, drop);
    }
    this.#readings++;
    this.#arrivals.push(this.#now());
    this.#scoreAt(reading);
    this.#version++;
  }

  /** Adds an alert event (any kind). */
  observeAlert(alert: Alert): void {
    this.#alertCount++;
    const view: AlertView = {
      alert_id: alert.alert_id,
      kind: alert.kind,
      severity: alert.severity,
      station_id: alert.station_id,
      field: alert.field,
      state: alert.state,
      reason: alert.reason,
      event_ts: alert.event_ts,
    };
    const same = this.#alerts.findIndex((a) =>
      a.alert_id === view.alert_id && a.state === view.state && a.severity === view.severity
    );
    if (same >= 0) this.#alerts.splice(same, 1);
    this.#alerts.unshift(view);
    this.#alerts.length = Math.min(this.#alerts.length, this.#config.display.alerts);
    this.#alertState.set(alert.alert_id, alert.state);
    if (alert.kind === "drift") this.#drift.set(`${alert.station_id}|${alert.field}`, view);
    if (alert.kind === "model_retrained") {
      const at = this.#retraining.findIndex((a) => a.alert_id === view.alert_id);
      if (at >= 0) this.#retraining.splice(at, 1);
      this.#retraining.unshift(view);
      this.#retraining.length = Math.min(this.#retraining.length, RETRAINING_SHOWN);
    }
    this.#version++;
  }

  /**
   * The offline MAE the trained models are expected to have live
   * (`<modelDir>/expected.json` of `deno task train`), shown beside the live MAE.
   */
  setExpected(expected: ExpectedMae): void {
    this.#expectedMae = new Map(
      expected.rows.flatMap((r) => {
        const target = FORECAST_TARGETS.find((t) => t.target === r.target);
        return target === undefined ? [] : [[`${target.field}|${r.horizon_h}`, r.mae]];
      }),
    );
    this.#expectedVersion = expected.model_version;
    this.#version++;
  }

  /** Adds a forecast. */
  observeForecast(f: Forecast): void {
    this.#forecastCount++;
    const key = `${f.station_id}|${f.field}|${f.horizon_h}`;
    let list = this.#forecasts.get(key);
    if (list === undefined) {
      list = [];
      this.#forecasts.set(key, list);
    }
    const existing = list.findIndex((p) => p.target_ms === f.target_ms);
    const point = { ...f, scored: false };
    if (existing >= 0) list[existing] = point;
    else list.push(point);
    list.sort((a, b) => a.target_ms - b.target_ms);
    const keepFrom = f.target_ms - (this.#config.display.historyHours + f.horizon_h) * HOUR;
    while (list.length > 0 && list[0]!.target_ms < keepFrom) list.shift();
    const errKey = `${f.field}|${f.horizon_h}`;
    const err = this.#errors.get(errKey) ?? { abs: [], expected: null };
    if (f.expected_mae !== null) err.expected = f.expected_mae;
    this.#errors.set(errKey, err);
    const actual = this.#actual(f.station_id, f.field, f.target_ms);
    if (actual !== null) this.#score(point, actual);
    this.#version++;
  }

  /** Adds a virtual-sensor estimate. */
  observeEstimate(e: Estimate): void {
    this.#estimateCount++;
    this.#estimates.set(`${e.station_id}|${e.field}`, e);
    this.#version++;
  }

  /** Counts a dead letter seen on the dead-letter topic. */
  observeDeadLetter(reason: string): void {
    this.#deadLetters++;
    this.#deadReasons[reason] = (this.#deadReasons[reason] ?? 0) + 1;
    this.#version++;
  }

  /** Counts a message of `role` the dashboard could not read. */
  observeUnreadable(role: string): void {
    this.#unreadable[role] = (this.#unreadable[role] ?? 0) + 1;
    this.#version++;
  }

  /** Which topics exist (by role), and the names the forecasts and estimates are expected on. */
  setTopics(
    exists: Record<string, boolean>,
    names: { forecasts: string; estimates: string },
  ): void {
    const changed = JSON.stringify(exists) !== JSON.stringify(this.#topics);
    this.#topics = { ...exists };
    this.#topicNames = names;
    if (changed) this.#version++;
  }

  /** The watched consumer group's lag. */
  setLag(lag: LagView): void {
    if (lag.lag !== this.#lag?.lag) this.#version++;
    this.#lag = lag;
  }

  /** The latest store counts. */
  setStore(store: StoreView): void {
    if (store.stored_readings !== this.#store?.stored_readings) this.#version++;
    this.#store = store;
  }

  /** A feed problem worth showing (null clears it). */
  setFeedError(message: string | null): void {
    if (message !== this.#feedError) this.#version++;
    this.#feedError = message;
  }

  #actual(station: string, field: MeasurementField, tsMs: number): number | null {
    const s = this.#stations.get(station);
    if (s === undefined) return null;
    const i = s.ts.lastIndexOf(tsMs);
    return i < 0 ? null : s.rows[i]!.measurements[field];
  }

  #score(point: Forecast & { scored: boolean }, actual: number): void {
    if (point.scored) return;
    point.scored = true;
    const err = this.#errors.get(`${point.field}|${point.horizon_h}`);
    if (err === undefined) return;
    err.abs.push(Math.abs(point.value - actual));
    if (err.abs.length > LIVE_ERROR_WINDOW) err.abs.shift();
  }

  #scoreAt(reading: CleanReading): void {
    if (this.#forecasts.size === 0) return;
    for (const [key, list] of this.#forecasts) {
      if (!key.startsWith(`${reading.station_id}|`)) continue;
      for (const p of list) {
        if (p.target_ms !== reading.ts_utc_ms) continue;
        const actual = reading.measurements[p.field];
        if (actual !== null) this.#score(p, actual);
      }
    }
  }

  #stationNow(id: string, s: StationHistory): StationNow {
    const last = s.rows[s.rows.length - 1]!;
    const t = last.ts_utc_ms;
    const since = (hours: number) => s.rows.filter((r) => r.ts_utc_ms > t - hours * HOUR);
    const last8 = since(8);
    const last24 = since(24);
    let index: number | null = null;
    let driver: MeasurementField | null = null;
    const pollutants = this.#config.pollutants.map((p): PollutantNow => {
      const value = last.measurements[p.field];
      const mean8 = mean(last8.map((r) => r.measurements[p.field]), 6);
      const mean24 = mean(last24.map((r) => r.measurements[p.field]), 18);
      const est = this.#estimates.get(`${id}|${p.field}`);
      for (const limit of p.limits) {
        if (limit.kind !== "limit") continue;
        const v = limit.averaging === "1h"
          ? value
          : limit.averaging === "8h"
          ? mean8 ?? value
          : null;
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

  /** Everything the page shows, JSON-able. */
  snapshot(): DashboardSnapshot {
    const now = this.#now();
    while (this.#arrivals.length > 0 && this.#arrivals[0]! < now - RATE_WINDOW_MS) {
      this.#arrivals.shift();
    }
    const ids = [...this.#stations.keys()].sort().slice(0, this.#config.display.maxStations);
    const stations = ids.map((id) => this.#stationNow(id, this.#stations.get(id)!));
    const focus = this.#stations.has(this.#config.display.focusStation)
      ? this.#config.display.focusStation
      : ids[0] ?? null;
    const eventMs = stations.reduce<number | null>((m, s) => Math.max(m ?? 0, s.ts_ms), null);
    const fields = this.#config.pollutants.map((p) => p.field);
    const history = ids.map((id) => {
      const s = this.#stations.get(id)!;
      const from = s.ts[s.ts.length - 1]! - this.#config.display.historyHours * HOUR;
      const rows = s.rows.filter((r) => r.ts_utc_ms > from);
      return {
        station_id: id,
        ts_ms: rows.map((r) => r.ts_utc_ms),
        values: Object.fromEntries(fields.map((f) => [f, rows.map((r) => r.measurements[f])])),
      };
    });
    const ranking = [...stations]
      .sort((a, b) => (b.index ?? -1) - (a.index ?? -1) || a.station_id.localeCompare(b.station_id))
      .map((s, i) => ({ station_id: s.station_id, rank: i + 1, index: s.index, driver: s.driver }));
    const series: ForecastSeries[] = [];
    for (const [key, list] of this.#forecasts) {
      const [station, field, horizon] = key.split("|") as [string, MeasurementField, string];
      if (station !== focus || list.length === 0) continue;
      const latest = list[list.length - 1]!;
      series.push({
        field,
        horizon_h: Number(horizon),
        model_version: latest.model_version,
        baseline: latest.baseline,
        points: list.map((p) => ({
          target_ms: p.target_ms,
          value: p.value,
          lower: p.lower,
          upper: p.upper,
          actual: this.#actual(station, field, p.target_ms),
        })),
      });
    }
    series.sort((a, b) => a.field.localeCompare(b.field) || a.horizon_h - b.horizon_h);
    const live = [...this.#errors].map(([key, e]): LiveError => {
      const [field, horizon] = key.split("|") as [MeasurementField, string];
      return {
        field,
        horizon_h: Number(horizon),
        live_mae: e.abs.length > 0 ? e.abs.reduce((a, b) => a + b, 0) / e.abs.length : null,
        n: e.abs.length,
        expected_mae: e.expected ?? this.#expectedMae.get(key) ?? null,
      };
    }).sort((a, b) => a.field.localeCompare(b.field) || a.horizon_h - b.horizon_h);
    const missing: Record<string, number | null> = {};
    for (const f of fields) {
      let n = 0;
      let miss = 0;
      for (const s of this.#stations.values()) {
        const t = s.ts[s.ts.length - 1]!;
        for (const r of s.rows) {
          if (r.ts_utc_ms <= t - 24 * HOUR) continue;
          n++;
          if (r.measurements[f] === null) miss++;
        }
      }
      missing[f] = n === 0 ? null : miss / n;
    }
    return {
      version: this.#version,
      now_ms: now,
      utc_offset: this.#config.display.utcOffset,
      pollutants: this.#config.pollutants,
      focus_station: focus,
      event_ms: eventMs,
      stations,
      history,
      ranking,
      forecasts: {
        topic: this.#topicNames.forecasts,
        exists: this.#topics["forecasts"] ?? false,
        received: this.#forecastCount,
        series,
      },
      estimates: {
        topic: this.#topicNames.estimates,
        exists: this.#topics["estimates"] ?? false,
        received: this.#estimateCount,
      },
      model: {
        live,
        drift: [...this.#drift.values()],
        expected_version: this.#expectedVersion,
        retraining: [...this.#retraining],
      },
      alerts: {
        recent: [...this.#alerts],
        firing: [...this.#alertState.values()].filter((s) => s === "firing").length,
        received: this.#alertCount,
      },
      health: {
        readings_total: this.#readings,
        readings_per_s: Math.round((this.#arrivals.length / (RATE_WINDOW_MS / 1000)) * 10) / 10,
        unreadable: { ...this.#unreadable },
        dead_letters_total: this.#deadLetters,
        dead_letter_reasons: { ...this.#deadReasons },
        missing_24h: missing,
        lag: this.#lag,
        store: this.#store,
        topics: { ...this.#topics },
        feed_error: this.#feedError,
      },
    };
  }
}
