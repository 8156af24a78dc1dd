/**
 * Real-time model monitoring, pure and incremental. Feed it the forecaster's
 * records (`forecasts()`) and the clean readings (`observe()`): it scores each
 * forecast against the reading at its target time, keeps the live MAE per
 * station, target and horizon (model and baseline apart) beside the offline
 * expectation, runs a Page-Hinkley test on the model's errors, measures the
 * PSI of every input field against the training window, and raises `drift`
 * alerts that fire once, escalate once and resolve once. See docs/monitoring.md.
 *
 * Pure: no `Deno.*`, no I/O, no clock (the caller passes `nowMs`).
 *
 * @module
 */
import { AlertBook, type Transition } from "../alerts/mod.ts";
import type { Alert, AlertSeverity } from "../records/alert.ts";
import type { CleanReading } from "../records/clean.ts";
import type { ForecastRecord } from "../records/forecast.ts";
import type { ModelRetrainedEvent } from "../records/model_version.ts";
import { maeAlert, pageHinkleyAlert, psiAlert } from "./_alerts.ts";
import { CompiledReference } from "./_inputs.ts";
import { C, type Shared, SLOT_MAE, SLOT_PH, SLOT_PSI, StationState } from "./_station.ts";
import type { MonitoringConfig } from "./monitoring_config.ts";
import { type ExpectedErrors, noExpectedErrors } from "./expected.ts";
import type { InputReference } from "./reference.ts";
import { buildSnapshot } from "./_snapshot.ts";
import type { MonitorSnapshot } from "./snapshot.ts";
import { horizonIndex, INPUT_FIELDS, KEYS, MONITORED_HORIZONS, targetIndex } from "./targets.ts";

const HOUR_MS = 3_600_000;
/** Retraining events kept in the snapshot. */
export const RETRAINING_EVENTS_KEPT = 20;
const H = MONITORED_HORIZONS.length;
const SEVERITY: readonly (AlertSeverity | null)[] = [null, "warning", "critical"];
const COUNTERS = Object.keys(C).length;

/** What the monitor compares with; both optional. */
export interface ModelMonitorOptions {
  /** Offline MAE per target and horizon (`loadExpectedErrors()`); none: no MAE-ratio alerts. */
  expected?: ExpectedErrors | null;
  /** Input bins of the training window (`loadInputReference()`); none: no PSI. */
  reference?: InputReference | null;
}

/**
 * The model monitor. Memory is about 75 kB per station (default config);
 * `forecasts()` is O(1) per record and `observe()` O(targets x horizons +
 * fields x bins) per reading, with no string keys built except on alerts.
 *
 * @example
 * ```ts ignore
 * const monitor = new ModelMonitor(config, { expected, reference });
 * const { forecasts } = engine.process(reading);
 * const alerts = monitor.observe(reading, Date.now()); // scores what matured at reading.ts
 * monitor.forecasts(forecasts);                         // remembered until their target time
 * for (const alert of alerts) publish(alert);
 * ```
 */
export class ModelMonitor {
  readonly #config: MonitoringConfig;
  /** Retraining events of the forecaster; null when it never told of one. */
  #retraining: { serving: string | null; events: ModelRetrainedEvent[] } | null = null;
  readonly #expected: ExpectedErrors;
  readonly #reference: InputReference | null;
  readonly #shared: Shared;
  readonly #book: AlertBook;
  readonly #expectedBaseline = new Float64Array(KEYS).fill(NaN);
  #stations = new Map<string, StationState>();
  #last: StationState | null = null;
  #lastTs = "";
  #lastTsHour = NaN;

  /** A monitor with no data yet, judging by `config` (`config/monitoring.json`). */
  constructor(config: MonitoringConfig, options: ModelMonitorOptions = {}) {
    this.#config = config;
    this.#expected = options.expected ??
      noExpectedErrors(config.expected.model, config.expected.baseline);
    this.#reference = options.reference ?? null;
    const expectedModel = new Float64Array(KEYS).fill(NaN);
    this.#expected.entries.forEach((e, k) => {
      expectedModel[k] = e.model_mae ?? NaN;
      this.#expectedBaseline[k] = e.baseline_mae ?? NaN;
    });
    let ring = 1;
    while (ring < config.errors.bufferHours) ring *= 2;
    const ph = config.pageHinkley;
    this.#book = new AlertBook(config.cooldown.ms, { cooldownFrom: "resolved" });
    this.#shared = {
      window: config.errors.windowForecasts,
      ring,
      expectedModel,
      ph: { delta: ph.delta, lambda: ph.lambda, minScored: ph.minScored },
      clip: ph.clip,
      resolveAfter: ph.resolveAfterScored,
      counts: new Float64Array(COUNTERS),
      reference: new CompiledReference(this.#reference, config.psi.epsilon),
      psiWindowH: config.psi.windowH,
    };
  }

  /** Stations seen since the start (or the last reset). */
  get stations(): number {
    return this.#stations.size;
  }

  /** Drift alerts firing now, over every station. */
  get firingCount(): number {
    return this.#book.firingCount;
  }

  /**
   * Remembers the forecasts that have a value until the reading of their target
   * time arrives (or scores them at once if it already has). Records of other
   * targets or horizons are counted and ignored.
   */
  forecasts(records: readonly ForecastRecord[]): void {
    const counts = this.#shared.counts;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      counts[C.forecasts]!++;
      if (r.value === null) {
        counts[C.withoutValue]!++;
        continue;
      }
      const t = targetIndex(r.target);
      const hi = horizonIndex(r.horizon_h);
      if (r.ts !== this.#lastTs) {
        this.#lastTs = r.ts;
        this.#lastTsHour = Math.floor(Date.parse(r.ts) / HOUR_MS);
      }
      const tsHour = this.#lastTsHour;
      if (t < 0 || hi < 0 || tsHour !== tsHour) {
        counts[C.ignored]!++;
        continue;
      }
      // target_ts = ts + horizon_h (lib/records/forecast.ts): no second parse
      this.#station(r.station_id).addForecast(
        tsHour + r.horizon_h,
        t * H + hi,
        r.value,
        r.baseline,
      );
    }
  }

  /**
   * Scores the forecasts whose target time is this reading's (against the
   * values it has; a missing value scores nothing), updates the input window,
   * and returns the drift alerts this station's state now calls for.
   * `nowMs` stamps `raised_at` and times the cool-down.
   */
  observe(reading: CleanReading, nowMs: number): Alert[] {
    const s = this.#station(reading.station_id);
    const ms = reading.ts_utc_ms;
    const hour = Math.floor(ms / HOUR_MS);
    this.#shared.counts[C.readings]!++;
    s.readings++;
    if (ms < s.firstMs) {
      s.firstMs = ms;
      s.firstTs = reading.ts;
    }
    if (ms > s.lastMs) {
      s.lastMs = ms;
      s.lastTs = reading.ts;
    }
    s.observeActuals(hour, reading);
    if (s.inputs.observe(hour, reading.measurements)) {
      const minValues = this.#config.psi.minValues;
      for (let f = 0; f < INPUT_FIELDS.length; f++) s.psi[f] = s.inputs.psi(f, minValues);
    }
    const out: Alert[] = [];
    this.#judge(out, s, reading.ts, nowMs);
    this.#shared.counts[C.alerts]! += out.length;
    return out;
  }

  /** Everything the monitor knows, JSON-serializable (see `MonitorSnapshot`). */
  snapshot(): MonitorSnapshot {
    const snapshot = buildSnapshot({
      config: this.#config,
      expected: this.#expected,
      expectedBaseline: this.#expectedBaseline,
      reference: this.#reference,
      shared: this.#shared,
      stations: this.#stations,
    });
    return this.#retraining === null ? snapshot : {
      ...snapshot,
      retraining: { serving: this.#retraining.serving, events: [...this.#retraining.events] },
    };
  }

  /**
   * A retraining event of the forecaster (kept in the snapshot, the latest
   * {@linkcode RETRAINING_EVENTS_KEPT}); `serving` is the model version served after it.
   */
  retrained(event: ModelRetrainedEvent, serving: string | null): void {
    const r = this.#retraining ??= { serving, events: [] };
    r.serving = serving;
    r.events.push(event);
    if (r.events.length > RETRAINING_EVENTS_KEPT) r.events.shift();
  }

  /** Whether the monitor holds state for the station (it saw a reading or forecasts of it). */
  has(stationId: string): boolean {
    return this.#stations.has(stationId);
  }

  /**
   * Keeps the stations `keep` accepts, with their scores, detectors, pending forecasts and
   * alert episodes, and forgets the others (theirs too); the counts stay. For a rebalance:
   * the stations whose partitions stay with this process keep a history that holds only
   * committed readings, the others move to another process.
   */
  retain(keep: (stationId: string) => boolean): void {
    for (const id of [...this.#stations.keys()]) {
      if (keep(id)) continue;
      this.#stations.delete(id);
      this.#book.forget(id);
    }
    if (this.#last !== null && !this.#stations.has(this.#last.id)) this.#last = null;
  }

  /** Forgets every station, score, detector, episode and count (the settings stay). */
  reset(): void {
    this.#stations = new Map();
    this.#last = null;
    this.#lastTs = "";
    this.#lastTsHour = NaN;
    this.#shared.counts.fill(0);
    this.#book.clear();
  }

  #station(id: string): StationState {
    const last = this.#last;
    if (last !== null && last.id === id) return last;
    let s = this.#stations.get(id);
    if (s === undefined) {
      s = new StationState(id, this.#shared, this.#book.scope(id));
      this.#stations.set(id, s);
    }
    this.#last = s;
    return s;
  }

  /**
   * Moves slot `slot` to `rank` (0 below warning, 1 warning, 2 critical); `clear`:
   * below the resolve level. Inside the band (neither) nothing changes: hysteresis.
   */
  #step(s: StationState, slot: number, rank: number, clear: boolean, nowMs: number): Transition {
    const severity = SEVERITY[rank] ?? null;
    if (severity === null && !clear) return "none";
    return this.#book.step(s.scope, slot, severity, nowMs);
  }

  #judge(out: Alert[], s: StationState, ts: string, nowMs: number): void {
    const c = this.#config, shared = this.#shared;
    for (let k = 0; k < KEYS; k++) {
      const drift = s.phDrift[k]!;
      const t = this.#step(s, SLOT_PH + k, drift, drift === 0, nowMs);
      if (t !== "none") out.push(pageHinkleyAlert(s, k, t, { ts, nowMs }, c.pageHinkley.lambda));
      const expected = shared.expectedModel[k]!;
      if (!(expected > 0) || s.size[k] !== shared.window) continue;
      const ratio = s.liveMae(k) / expected, r = c.maeRatio;
      const rank = ratio >= r.critical ? 2 : ratio >= r.warning ? 1 : 0;
      const m = this.#step(s, SLOT_MAE + k, rank, ratio < r.resolve, nowMs);
      if (m !== "none") out.push(maeAlert(s, k, m, { ts, nowMs }, ratio, expected, r));
    }
    const p = c.psi;
    for (let f = 0; f < INPUT_FIELDS.length; f++) {
      const psi = s.psi[f]!;
      if (psi !== psi) continue;
      const rank = p.critical !== null && psi >= p.critical ? 2 : psi >= p.warning ? 1 : 0;
      const t = this.#step(s, SLOT_PSI + f, rank, psi < p.resolve, nowMs);
      if (t !== "none") out.push(psiAlert(s, f, t, { ts, nowMs }, psi, p));
    }
  }
}
