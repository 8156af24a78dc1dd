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
import type { DashboardConfig } from "./dashboard_config.ts";
import type { Estimate, Forecast } from "./records.ts";
import {
  type AlertView,
  type DashboardSnapshot,
  type ForecastSeries,
  historyOf,
  type LagView,
  type LiveError,
  missing24h,
  rankingOf,
  type StationHistory,
  stationNow,
  type StoreView,
} from "./snapshot.ts";

export type {
  AlertView,
  DashboardSnapshot,
  ForecastPoint,
  ForecastSeries,
  LagView,
  LiveError,
  PollutantNow,
  StationNow,
  StoreView,
} from "./snapshot.ts";

const HOUR = 3_600_000;
/** Retraining events the page lists. */
const RETRAINING_SHOWN = 5;
const RATE_WINDOW_MS = 10_000;
const LIVE_ERROR_WINDOW = 200;

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

  /** Everything the page shows, JSON-able. */
  snapshot(): DashboardSnapshot {
    const now = this.#now();
    while (this.#arrivals.length > 0 && this.#arrivals[0]! < now - RATE_WINDOW_MS) {
      this.#arrivals.shift();
    }
    const display = this.#config.display;
    const ids = [...this.#stations.keys()].sort().slice(0, display.maxStations);
    const stations = ids.map((id) =>
      stationNow(id, this.#stations.get(id)!, this.#config.pollutants, this.#estimates)
    );
    const focus = this.#stations.has(display.focusStation) ? display.focusStation : ids[0] ?? null;
    const eventMs = stations.reduce<number | null>((m, s) => Math.max(m ?? 0, s.ts_ms), null);
    const fields = this.#config.pollutants.map((p) => p.field);
    return {
      version: this.#version,
      now_ms: now,
      utc_offset: this.#config.display.utcOffset,
      pollutants: this.#config.pollutants,
      focus_station: focus,
      event_ms: eventMs,
      stations,
      history: historyOf(ids, this.#stations, fields, display.historyHours),
      ranking: rankingOf(stations),
      forecasts: {
        topic: this.#topicNames.forecasts,
        exists: this.#topics["forecasts"] ?? false,
        received: this.#forecastCount,
        series: this.#forecastSeries(focus),
      },
      estimates: {
        topic: this.#topicNames.estimates,
        exists: this.#topics["estimates"] ?? false,
        received: this.#estimateCount,
      },
      model: {
        live: this.#liveErrors(),
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
        missing_24h: missing24h(fields, this.#stations.values()),
        lag: this.#lag,
        store: this.#store,
        topics: { ...this.#topics },
        feed_error: this.#feedError,
      },
    };
  }

  /** The focus station's forecasts per field and horizon, against what was then measured. */
  #forecastSeries(focus: string | null): ForecastSeries[] {
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
    return series.sort((a, b) => a.field.localeCompare(b.field) || a.horizon_h - b.horizon_h);
  }

  /** The live MAE of every field and horizon, beside the offline one expected. */
  #liveErrors(): LiveError[] {
    return [...this.#errors].map(([key, e]): LiveError => {
      const [field, horizon] = key.split("|") as [MeasurementField, string];
      return {
        field,
        horizon_h: Number(horizon),
        live_mae: e.abs.length > 0 ? e.abs.reduce((a, b) => a + b, 0) / e.abs.length : null,
        n: e.abs.length,
        expected_mae: e.expected ?? this.#expectedMae.get(key) ?? null,
      };
    }).sort((a, b) => a.field.localeCompare(b.field) || a.horizon_h - b.horizon_h);
  }
}
