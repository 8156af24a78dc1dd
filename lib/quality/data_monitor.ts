/**
 * Data-quality monitoring, pure and incremental: feed it clean readings,
 * dead letters and consumer lag; call `evaluate(nowMs)` now and then for
 * alerts, and `snapshot()` for the current metrics.
 *
 * Per station, over a rolling window of event time (`thresholds.window.hours`):
 * missing rate and out-of-range rate per field, stuck sensors, and hours
 * without a reading. Pipeline-wide: the dead-letter rate over the last
 * messages and the consumer lag. Each (station, kind, field) fires once,
 * may escalate to critical, resolves once when back under the warning level,
 * and then stays quiet for the cool-down.
 *
 * @module
 */
import type { Alert, AlertEvidence } from "../records/alert.ts";
import type { CleanReading } from "../records/clean.ts";
import { MEASUREMENT_FIELDS } from "../records/reading.ts";
import { AlertBook, type Details, type Scope } from "../alerts/mod.ts";
import { type StationSnapshot, StationWindow } from "./_window.ts";

export type { StationSnapshot };
import type { MonitorThresholds } from "./rules.ts";

const HOUR_MS = 3_600_000;

/** Everything the monitor knows, JSON-able (for logs and the dashboard). */
export interface QualitySnapshot {
  /** Length of the per-station windows. */
  window_hours: number;
  /** Pipeline-wide counts. */
  pipeline: {
    /** Clean readings observed. */
    valid_total: number;
    /** Dead letters observed. */
    dead_letter_total: number;
    /** Dead letters per reason. */
    dead_letters_by_reason: Record<string, number>;
    /** Dead letters among the last `window_messages` messages; null before any message. */
    dead_letter_rate: number | null;
    /** Messages the dead-letter rate is computed over. */
    window_messages: number;
    /** Last reported consumer lag in messages; null before any report. */
    consumer_lag: number | null;
  };
  /** Per-station metrics by station id. */
  stations: Record<string, StationSnapshot>;
  /** Alerts currently firing. */
  alerts_firing: number;
}

const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;
const iso = (ms: number) => new Date(ms).toISOString();

/** One station's evaluation: its window and the lazily built evidence text both checks share. */
interface StationContext {
  id: string;
  w: StationWindow;
  scope: Scope;
  nowMs: number;
  window: () => AlertEvidence["window"];
  span: () => string;
  ratio: (firing: Details["firing"], resolved: Details["resolved"]) => () => Details;
}

/**
 * Incremental data-quality monitor. Memory is O(stations × window hours);
 * `observe*` are O(1); `evaluate` is O(stations × fields).
 *
 * @example
 * ```ts ignore
 * const monitor = new QualityMonitor(rules.config.thresholds);
 * monitor.observe(cleanReading);
 * monitor.observeDeadLetter("invalid_json");
 * monitor.observeLag(1234);
 * for (const alert of monitor.evaluate(Date.now())) publish(alert);
 * ```
 */
export class QualityMonitor {
  readonly #t: MonitorThresholds;
  readonly #stations = new Map<string, StationWindow>();
  readonly #book: AlertBook;
  readonly #outcomes: Uint8Array;
  #outcomeNext = 0;
  #outcomeCount = 0;
  #deadInWindow = 0;
  #validTotal = 0;
  #deadTotal = 0;
  readonly #deadByReason = new Map<string, number>();
  #lag: number | null = null;

  /** A monitor with no data yet, judging by `thresholds` (`config/quality.json`). */
  constructor(thresholds: MonitorThresholds) {
    this.#t = thresholds;
    this.#book = new AlertBook(thresholds.cooldown.ms);
    this.#outcomes = new Uint8Array(thresholds.deadLetterRate.windowMessages);
  }

  /** Adds one clean (stored) reading. */
  observe(reading: CleanReading): void {
    let station = this.#stations.get(reading.station_id);
    if (station === undefined) {
      station = new StationWindow(this.#t.window.hours);
      this.#stations.set(reading.station_id, station);
    }
    station.observe(reading);
    this.#validTotal++;
    this.#outcome(0);
  }

  /** Counts `count` dead letters with one reason. */
  observeDeadLetter(reason: string, count = 1): void {
    this.#deadTotal += count;
    this.#deadByReason.set(reason, (this.#deadByReason.get(reason) ?? 0) + count);
    for (let i = 0; i < Math.min(count, this.#outcomes.length); i++) this.#outcome(1);
  }

  /** Records the consumer group's lag: messages behind the log end, summed over partitions. */
  observeLag(messagesBehind: number): void {
    this.#lag = messagesBehind;
  }

  #outcome(dead: 0 | 1): void {
    const ring = this.#outcomes;
    if (this.#outcomeCount === ring.length) this.#deadInWindow -= ring[this.#outcomeNext]!;
    else this.#outcomeCount++;
    ring[this.#outcomeNext] = dead;
    this.#deadInWindow += dead;
    this.#outcomeNext = (this.#outcomeNext + 1) % ring.length;
  }

  /** Judges every threshold and returns new events (firing, escalated or resolved). */
  evaluate(nowMs: number): Alert[] {
    const out: Alert[] = [];
    for (const [id, w] of this.#stations) this.#evaluateStation(out, id, w, nowMs);
    this.#evaluatePipeline(out, nowMs);
    return out;
  }

  #evaluateStation(out: Alert[], id: string, w: StationWindow, nowMs: number): void {
    const t = this.#t;
    const scope = this.#book.scope(id);
    let windowCache: AlertEvidence["window"] | undefined;
    const window = () =>
      windowCache ??= {
        start: iso(w.windowStartHour * HOUR_MS),
        end: iso(w.latestHour * HOUR_MS),
        size: w.latestHour - w.windowStartHour + 1,
        size_unit: "hours",
      };
    const span = () => `the last ${window().size} h of ${id}`;
    const ratio = (firing: Details["firing"], resolved: Details["resolved"]) => (): Details => ({
      unit: "ratio",
      window: window(),
      eventTs: w.latestTs,
      firing,
      resolved,
    });
    const c: StationContext = { id, w, scope, nowMs, window, span, ratio };
    for (let i = 0; i < MEASUREMENT_FIELDS.length; i++) this.#judgeField(out, c, i);
    const gap = w.gapHours;
    this.#book.judge(
      out,
      scope,
      "data_quality.gap",
      null,
      { ...t.gapHours, value: gap, nowMs },
      () => ({
        unit: "hours",
        window: window(),
        eventTs: w.latestTs,
        firing: (_, th) =>
          `${id} sent no reading for ${gap} of its last ${window().size} h (threshold ${th} h).`,
        resolved: () => `${id} has no missing hour left in its last ${window().size} h.`,
      }),
    );
  }
  /** One field of a station: its missing rate, out-of-range rate and stuck run. */
  #judgeField(out: Alert[], c: StationContext, i: number): void {
    const t = this.#t;
    const { id, w, scope, nowMs, span, ratio } = c;
    const field = MEASUREMENT_FIELDS[i]!;
    const missing = w.missing[i]!, present = w.present - missing;
    if (w.present >= t.window.minReadings) {
      const levels = t.missingRate.perField[field] ?? t.missingRate;
      const rate = missing / w.present;
      this.#book.judge(
        out,
        scope,
        "data_quality.missing_rate",
        field,
        { value: rate, warning: levels.warning, critical: levels.critical, nowMs },
        ratio(
          (_, th) =>
            `${field} was missing in ${missing} of ${w.present} readings in ${span()} ` +
            `(${pct(rate)}, threshold ${pct(th)}).`,
          (th) => `${field} missing rate at ${id} is back to ${pct(rate)} (below ${pct(th)}).`,
        ),
      );
    }
    if (present >= t.window.minReadings) {
      const oor = w.outOfRange[i]!, rate = oor / present;
      this.#book.judge(
        out,
        scope,
        "data_quality.out_of_range",
        field,
        { ...t.outOfRangeRate, value: rate, nowMs },
        ratio(
          (_, th) =>
            `${oor} of ${present} ${field} values in ${span()} were implausible or atypical ` +
            `(${pct(rate)}, threshold ${pct(th)}).`,
          (th) => `${field} out-of-range rate at ${id} is back to ${pct(rate)} (below ${pct(th)}).`,
        ),
      );
    }
    const hours = w.runHours[i]!, n = t.stuck.hours[field];
    this.#book.judge(out, scope, "data_quality.stuck_sensor", field, {
      value: hours,
      warning: n,
      critical: Number.POSITIVE_INFINITY,
      nowMs,
    }, () => ({
      unit: "hours",
      window: {
        start: iso((hours > 0 ? w.runStartHour[i]! : w.latestHour) * HOUR_MS),
        end: iso(w.latestHour * HOUR_MS),
        size: hours,
        size_unit: "hours",
      },
      eventTs: w.latestTs,
      firing: (_, th) =>
        `${field} at ${id} has repeated the same value for ${hours} consecutive hours ` +
        `(threshold ${th} h): the sensor may be stuck.`,
      resolved: () => `${field} at ${id} is changing again.`,
    }));
  }

  #evaluatePipeline(out: Alert[], nowMs: number): void {
    const t = this.#t;
    const scope = this.#book.scope(null);
    const now = iso(nowMs);
    const count = this.#outcomeCount, dead = this.#deadInWindow;
    const dl = t.deadLetterRate;
    if (count >= dl.minMessages) {
      const rate = dead / count;
      this.#book.judge(out, scope, "data_quality.dead_letter_rate", null, {
        value: rate,
        warning: dl.warning,
        critical: dl.critical,
        nowMs,
      }, () => ({
        unit: "ratio",
        window: { start: now, end: now, size: count, size_unit: "messages" },
        eventTs: now,
        firing: (_, th) =>
          `${dead} of the last ${count} messages were dead-lettered ` +
          `(${pct(rate)}, threshold ${pct(th)}).`,
        resolved: (th) => `The dead-letter rate is back to ${pct(rate)} (below ${pct(th)}).`,
      }));
    }
    const lag = this.#lag;
    if (lag !== null) {
      this.#book.judge(
        out,
        scope,
        "data_quality.consumer_lag",
        null,
        { ...t.consumerLag, value: lag, nowMs },
        () => ({
          unit: "messages",
          window: { start: now, end: now, size: 0, size_unit: "instant" },
          eventTs: now,
          firing: (_, th) => `The consumer is ${lag} messages behind (threshold ${th}).`,
          resolved: (th) => `The consumer lag is back to ${lag} messages (below ${th}).`,
        }),
      );
    }
  }

  /** The current metrics, JSON-able. */
  snapshot(): QualitySnapshot {
    const stations: Record<string, StationSnapshot> = {};
    for (const [id, w] of this.#stations) stations[id] = w.snapshot();
    return {
      window_hours: this.#t.window.hours,
      pipeline: {
        valid_total: this.#validTotal,
        dead_letter_total: this.#deadTotal,
        dead_letters_by_reason: Object.fromEntries(this.#deadByReason),
        dead_letter_rate: this.#outcomeCount > 0
          ? Math.round(this.#deadInWindow / this.#outcomeCount * 1e4) / 1e4
          : null,
        window_messages: this.#outcomeCount,
        consumer_lag: this.#lag,
      },
      stations,
      alerts_firing: this.#book.firingCount,
    };
  }
}
