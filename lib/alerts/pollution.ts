/**
 * The pollution alerter: measured exceedances of EU limit values and WHO
 * guideline levels from clean readings, and early warnings from forecasts
 * whose 90 % interval makes crossing a limit likely, or, for the limit of
 * the evaluated warning when it is served, when that rule warns
 * (lib/alerts/served_warning.ts; docs/alerts.md).
 *
 * Pure and incremental: no `Deno.*`, no I/O, no wall clock. Event time comes
 * from the readings and forecasts, so a replay raises the same alerts with
 * the same ids; `nowMs` only stamps `raised_at`. The no-alert path allocates
 * nothing: hourly values live in typed-array rings, episodes in numeric slots,
 * and an `Alert` is built only when one is emitted.
 *
 * @module
 */
import type { Alert } from "../records/alert.ts";
import type { CleanReading } from "../records/clean.ts";
import type { ForecastRecord } from "../records/forecast.ts";
import type { MeasurementField } from "../records/reading.ts";
import { AlertBook, alertId, type Transition } from "./book.ts";
import type { AlertsConfig } from "./alerts_config.ts";
import { type Compiled, compileLimit, intervalProbability } from "./_limits.ts";
import { hourOf, StationState } from "./_station.ts";
import { exceedanceAlert, iso, supersededAlert, warningAlert, warningWindow } from "./_emit.ts";
import { type ServedJudgement, type ServedWarningRule, ServedWarnings } from "./served_warning.ts";

const HOUR_MS = 3_600_000;
const NONE: readonly Alert[] = Object.freeze([]);

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
  readonly #served: ServedWarnings | null;
  /** Index of the limit the served rule warns of (-1: none). */
  readonly #servedLimit: number;
  #mark = 0;

  /**
   * An alerter with no state, judging the limits of `config` (`config/alerts.json`); with
   * `served`, the early warnings of the 1-hour limit of its field and threshold follow the
   * evaluated rule (a TypeError when `config` has no such limit with `earlyWarning`).
   */
  constructor(config: AlertsConfig, options: { served?: ServedWarningRule | null } = {}) {
    this.#config = config;
    const fields = [...new Set(config.limits.map((l) => l.field))];
    this.#fields = fields;
    this.#limits = config.limits.map((limit, index) => compileLimit(config, fields, limit, index));
    this.#warned = this.#limits.filter((c) => c.limit.earlyWarning);
    const byField = new Map<string, Compiled[]>();
    for (const c of this.#warned) {
      byField.set(c.limit.field, [...byField.get(c.limit.field) ?? [], c]);
    }
    this.#warnedByField = byField;
    this.#book = new AlertBook(config.cooldown.hours, { cooldownFrom: "resolved" });
    const rule = options.served ?? null;
    this.#served = rule === null ? null : new ServedWarnings(rule);
    this.#servedLimit = rule === null
      ? -1
      : this.#warned.find((c) =>
        c.hours === 1 && c.limit.field === rule.field && c.threshold === rule.threshold
      )?.index ?? NaN;
    if (this.#servedLimit !== this.#servedLimit) {
      throw new TypeError(
        `the served warning (${rule!.field} > ${rule!.threshold}) matches no 1-hour limit with ` +
          "earlyWarning in the alerts config",
      );
    }
  }

  /** Hours of stored history a warm start should give a station (the served rule's window). */
  get warmHours(): number {
    return this.#served?.warmHours ?? 24;
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
    this.#served?.reset();
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
   * first) silently, as {@linkcode restore} does, and rebuilds the served
   * rule's residuals from them and the stored `forecasts` made from them.
   * Readings and forecasts of other stations are ignored.
   */
  restoreStation(
    stationId: string,
    history: readonly CleanReading[],
    forecasts: readonly ForecastRecord[] = [],
  ): void {
    this.#stations.delete(stationId);
    this.#book.forget(stationId);
    for (const reading of history) {
      if (reading.station_id === stationId) this.#observe(reading, 0, false);
    }
    this.#served?.warm(stationId, history, forecasts);
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
      const served: ServedJudgement | null = this.#served?.judge(r, made) ?? null;
      if (!(target > st.latestHour)) continue;
      for (let k = 0; k < limits.length; k++) {
        const c = limits[k]!, i = c.index;
        let p: number, level: number, cut: number;
        if (i === this.#servedLimit) {
          // the evaluated rule: judged where it has a probability, as evaluate scores it
          if (served === null || served.p !== served.p) continue;
          p = served.p, level = served.warn ? 2 : 0, cut = served.cutoff;
        } else {
          p = intervalProbability(st, c, value, interval, target);
          if (p !== p) continue;
          level = p >= probability ? 2 : p < clearProbability ? 0 : 1;
          cut = level === 0 ? clearProbability : probability;
        }
        if (level === 2) {
          if (target > st.pendingTarget[i]!) st.pendingTarget[i] = target;
        } else if (level === 0 && target === st.pendingTarget[i]) {
          st.pendingTarget[i] = -Infinity; // the warned hour, re-forecast low
        }
        if (
          st.batchMark[i] !== mark || level > st.batchLevel[i]! ||
          (level === st.batchLevel[i] && p > st.batchP[i]!)
        ) {
          st.batchMark[i] = mark;
          st.batchP[i] = p;
          st.batchRecord[i] = j;
          st.batchLevel[i] = level;
          st.batchCut[i] = cut;
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
    if (emit) this.#served?.observe(reading.station_id, hour, reading.measurements);
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
        threshold: i === this.#servedLimit
          ? st.batchCut[i]!
          : this.#config.earlyWarning.probability,
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
    const scope = st.scope, i = c.index;
    if (scope.episodes[2 * i]?.firing === true) return out; // the exceedance is already measured
    const p = st.batchP[i]!, level = st.batchLevel[i]!;
    const severity = level === 2 ? c.warning : level === 0 ? null : undefined;
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
      threshold: st.batchCut[i]!,
      record: r,
      mean,
      nowMs,
    }));
    return out;
  }
}
