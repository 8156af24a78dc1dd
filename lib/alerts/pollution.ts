/**
 * The pollution alerter: measured exceedances of EU limit values and WHO
 * guideline levels from clean readings, and early warnings from forecasts
 * whose 90 % interval makes crossing a limit likely (docs/alerts.md).
 *
 * Pure and incremental: no `Deno.*`, no I/O, no wall clock. Event time comes
 * from the readings and forecasts, so a replay raises the same alerts with
 * the same ids; `nowMs` only stamps `raised_at`. The no-alert path allocates
 * nothing: hourly values live in typed-array rings, episodes in numeric slots,
 * and an `Alert` is built only when one is emitted.
 *
 * @module
 */
import type { Alert, AlertSeverity } from "../records/alert.ts";
import type { CleanReading } from "../records/clean.ts";
import type { ForecastRecord } from "../records/forecast.ts";
import type { MeasurementField } from "../records/reading.ts";
import { AlertBook, alertId, type Transition } from "./book.ts";
import { type AlertsConfig, AVERAGING_HOURS, type Limit } from "./alerts_config.ts";
import { exceedanceProbability } from "./probability.ts";
import { hourOf, StationState } from "./_station.ts";
import { exceedanceAlert, iso, supersededAlert, warningAlert, warningWindow } from "./_emit.ts";

const HOUR_MS = 3_600_000;
const NONE: readonly Alert[] = Object.freeze([]);

/** A limit prepared for the hot path. */
interface Compiled {
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

/**
 * Raises `exceedance` and `early_warning` alerts per station and limit. One
 * firing episode per (station, limit, kind) until it resolves, then a
 * cool-down of event time before the same slot may fire again. A measured
 * exceedance resolves (supersedes) a firing early warning of its limit, and
 * no early warning is raised while the exceedance lasts.
 *
 * @example
 * ```ts ignore
 * const alerter = new PollutionAlerter(config); // config/alerts.json
 * alerter.restore(await store.recentReadings(24)); // warm start, silent
 * for (const alert of alerter.observe(reading, clock.now())) publish(alert);
 * for (const alert of alerter.forecasts(engine.process(reading).forecasts, clock.now())) publish(alert);
 * ```
 */
export class PollutionAlerter {
  readonly #config: AlertsConfig;
  readonly #limits: readonly Compiled[];
  readonly #warned: readonly Compiled[];
  readonly #fields: readonly MeasurementField[];
  readonly #warnedByField: ReadonlyMap<string, readonly Compiled[]>;
  readonly #book: AlertBook;
  readonly #stations = new Map<string, StationState>();
  readonly #touched: StationState[] = [];
  #mark = 0;

  /** An alerter with no state, judging the limits of `config` (`config/alerts.json`). */
  constructor(config: AlertsConfig) {
    this.#config = config;
    const fields = [...new Set(config.limits.map((l) => l.field))];
    this.#fields = fields;
    this.#limits = config.limits.map((limit, index): Compiled => {
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
    });
    this.#warned = this.#limits.filter((c) => c.limit.earlyWarning);
    const byField = new Map<string, Compiled[]>();
    for (const c of this.#warned) {
      byField.set(c.limit.field, [...byField.get(c.limit.field) ?? [], c]);
    }
    this.#warnedByField = byField;
    this.#book = new AlertBook(config.cooldown.hours, { cooldownFrom: "resolved" });
  }

  /** Stations seen since the start (or the last reset). */
  get stations(): number {
    return this.#stations.size;
  }

  /** Episodes currently firing, over every station, limit and kind. */
  get firingCount(): number {
    return this.#book.firingCount;
  }

  /** Forgets every station's values and episodes. */
  reset(): void {
    this.#stations.clear();
    this.#book.clear();
    this.#touched.length = 0;
  }

  /**
   * Warm start: forgets everything, then replays stored readings (oldest
   * first) into the windows and episodes without emitting anything. An
   * episode still firing at the end of `history` keeps its id and is not
   * announced again; its resolution will be.
   */
  restore(history: Iterable<CleanReading>): void {
    this.reset();
    for (const reading of history) this.#observe(reading, 0, false);
  }

  /**
   * Warm start of one station: forgets that station's values and episodes
   * only (the others keep theirs), then replays its stored readings (oldest
   * first) silently, as {@linkcode restore} does. Readings of other stations
   * in `history` are ignored.
   */
  restoreStation(stationId: string, history: Iterable<CleanReading>): void {
    this.#stations.delete(stationId);
    this.#book.forget(stationId);
    for (const reading of history) {
      if (reading.station_id === stationId) this.#observe(reading, 0, false);
    }
  }

  /**
   * Adds one clean reading and judges every limit of its station on the
   * windows ending at the station's latest hour. Returns new events (a shared
   * empty array when there are none). A reading for an hour already in the
   * last 24 h replaces or fills that hour; an older one is ignored.
   */
  observe(reading: CleanReading, nowMs: number): readonly Alert[] {
    return this.#observe(reading, nowMs, true) ?? NONE;
  }

  /**
   * Judges forecasts (typically the 12 of one reading) for early warnings.
   * Per (station, limit), the most alarming horizon of the call decides.
   * Skips baseline records unless `earlyWarning.useBaseline`, records
   * without a value or interval, and records whose target hour was already
   * observed (the measurement decides then).
   */
  forecasts(records: readonly ForecastRecord[], nowMs: number): readonly Alert[] {
    const mark = ++this.#mark;
    const { useBaseline, probability, clearProbability } = this.#config.earlyWarning;
    let touched = 0;
    for (let j = 0; j < records.length; j++) {
      const r = records[j]!;
      const limits = this.#warnedByField.get(r.field);
      if (limits === undefined || (r.baseline && !useBaseline)) continue;
      const value = r.value, interval = r.interval;
      if (value === null || interval === null) continue;
      const st = this.#station(r.station_id);
      if (r.ts !== st.forecastTs) {
        st.forecastTs = r.ts;
        // the forecasts of the reading just observed need no parsing
        st.forecastHour = r.ts === st.latestTs ? st.latestHour : hourOf(Date.parse(r.ts));
      }
      const made = st.forecastHour, target = made + r.horizon_h;
      if (!(target > st.latestHour)) continue;
      for (let k = 0; k < limits.length; k++) {
        const c = limits[k]!, i = c.index;
        const p = c.hours === 1
          ? exceedanceProbability(value, interval.lower, interval.upper, c.threshold)
          : this.#meanProbability(st, c, value, interval.lower, interval.upper, target);
        if (p !== p) continue;
        if (p >= probability) {
          if (target > st.pendingTarget[i]!) st.pendingTarget[i] = target;
        } else if (p < clearProbability && target === st.pendingTarget[i]) {
          st.pendingTarget[i] = -Infinity; // the warned hour, re-forecast low
        }
        if (st.batchMark[i] !== mark) {
          st.batchMark[i] = mark;
          st.batchP[i] = p;
          st.batchRecord[i] = j;
        } else if (p > st.batchP[i]!) {
          st.batchP[i] = p;
          st.batchRecord[i] = j;
        }
        if (st.touchedMark !== mark) {
          st.touchedMark = mark;
          st.batchHour = made;
          this.#touched[touched++] = st;
        } else if (made > st.batchHour) st.batchHour = made;
      }
    }
    let out: Alert[] | null = null;
    for (let s = 0; s < touched; s++) {
      const st = this.#touched[s]!;
      for (let k = 0; k < this.#warned.length; k++) {
        const c = this.#warned[k]!;
        if (st.batchMark[c.index] === mark) out = this.#judgeWarning(out, st, c, records, nowMs);
      }
    }
    return out ?? NONE;
  }

  #station(id: string): StationState {
    let st = this.#stations.get(id);
    if (st === undefined) {
      st = new StationState(this.#book.scope(id), this.#fields.length, this.#limits.length);
      this.#stations.set(id, st);
    }
    return st;
  }

  #observe(reading: CleanReading, nowMs: number, emit: boolean): Alert[] | null {
    const st = this.#station(reading.station_id);
    const hour = hourOf(reading.ts_utc_ms);
    if (st.place(hour, reading.ts) === "too_late") return null;
    st.write(hour, reading.measurements, this.#fields);
    const latest = st.latestHour; // the book's clock: hours of event time
    let out: Alert[] | null = null;
    for (let k = 0; k < this.#limits.length; k++) {
      const c = this.#limits[k]!, i = c.index;
      if (c.hours === 1) {
        const v = st.latest(c.f);
        st.metric[i] = v;
        st.validHours[i] = v === v ? 1 : 0;
      } else {
        st.mean(c.f, c.hours, i);
      }
      const v = st.metric[i]!;
      if (st.validHours[i]! < c.minValid) continue; // not enough data: the episode holds
      const severity = v > c.threshold ? c.limit.severity : v < c.clearBelow ? null : undefined;
      if (severity === undefined) continue; // inside the hysteresis band
      const t = this.#book.step(st.scope, 2 * i, severity, latest);
      if (t !== "none") out = this.#exceedance(out, st, c, t, latest, nowMs, emit);
    }
    return out;
  }

  /**
   * P(mean ending at `target` > threshold), the mean combining observed hours
   * with the forecast F (`StationState.forecastMean`): it is `(a + b·F) / n`,
   * linear in F, so P(mean > T) = P(F > (n·T − a) / b) under the forecast's
   * distribution; the errors of the interpolated hours are taken as fully
   * correlated with the forecast's. NaN with fewer than the minimum valid hours.
   */
  #meanProbability(
    st: StationState,
    c: Compiled,
    value: number,
    lower: number,
    upper: number,
    target: number,
  ): number {
    const n = st.forecastMean(c.f, c.hours, target);
    if (n < c.minValid) return NaN;
    return exceedanceProbability(
      value,
      lower,
      upper,
      (n * c.threshold - st.forecastA) / st.forecastB,
    );
  }

  #exceedance(
    out: Alert[] | null,
    st: StationState,
    c: Compiled,
    t: Transition,
    hour: number,
    nowMs: number,
    emit: boolean,
  ): Alert[] | null {
    const scope = st.scope, i = c.index, limit = c.limit, stationId = scope.stationId;
    const episode = scope.episodes[2 * i]!;
    if (t === "fired") {
      episode.id = alertId(stationId, "exceedance", limit.id, iso(hour * HOUR_MS));
    }
    const supersedes = t === "fired" && this.#book.resolve(scope, 2 * i + 1, hour);
    if (supersedes) st.pendingTarget[i] = -Infinity;
    if (!emit) return out;
    out ??= [];
    out.push(exceedanceAlert({
      id: episode.id,
      limit,
      stationId,
      severity: episode.severity,
      firing: t !== "resolved",
      value: st.metric[i]!,
      validHours: st.validHours[i]!,
      endMs: hour * HOUR_MS,
      ts: st.latestTs,
      clearBelow: c.clearBelow,
      nowMs,
    }));
    if (supersedes) {
      out.push(supersededAlert({
        id: scope.episodes[2 * i + 1]!.id,
        limit,
        stationId,
        p: st.batchP[i]!,
        threshold: this.#config.earlyWarning.probability,
        window: st.warned[i]!,
        exceedanceId: episode.id,
        ts: st.latestTs,
        nowMs,
      }));
    }
    return out;
  }

  #judgeWarning(
    out: Alert[] | null,
    st: StationState,
    c: Compiled,
    records: readonly ForecastRecord[],
    nowMs: number,
  ): Alert[] | null {
    const scope = st.scope, i = c.index, ew = this.#config.earlyWarning;
    if (scope.episodes[2 * i]?.firing === true) return out; // the exceedance is already measured
    const p = st.batchP[i]!;
    const severity = p >= ew.probability ? c.warning : p < ew.clearProbability ? null : undefined;
    if (severity === undefined) return out;
    // A warned hour not yet observed nor re-forecast low keeps the warning, even when this
    // call's horizons (1, 6, 24 h) no longer reach it.
    if (severity === null && st.pendingTarget[i]! > st.latestHour) return out;
    const hour = st.batchHour;
    const t = this.#book.step(scope, 2 * i + 1, severity, hour);
    if (t === "none") return out;
    const r = records[st.batchRecord[i]!]!, limit = c.limit;
    const episode = scope.episodes[2 * i + 1]!;
    if (t === "fired") {
      episode.id = alertId(scope.stationId, "early_warning", limit.id, iso(hour * HOUR_MS));
    }
    st.warned[i] = warningWindow(r);
    let mean = NaN;
    if (c.hours > 1 && t !== "resolved") {
      const n = st.forecastMean(c.f, c.hours, hourOf(Date.parse(r.ts)) + r.horizon_h);
      mean = (st.forecastA + st.forecastB * r.value!) / n;
    }
    out ??= [];
    out.push(warningAlert({
      id: episode.id,
      limit,
      stationId: scope.stationId,
      severity: episode.severity,
      firing: t !== "resolved",
      p,
      threshold: t === "resolved" ? ew.clearProbability : ew.probability,
      record: r,
      mean,
      nowMs,
    }));
    return out;
  }
}
