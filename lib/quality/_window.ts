/**
 * Per-station rolling window of event time, kept incrementally in O(1) per reading.
 *
 * The window holds one slot per hour, `hours` slots in a ring indexed by
 * `hour % hours` (lib/hour_ring.ts), ending at the station's latest hour. A reading redelivered
 * for an hour already held replaces it (at-least-once delivery does not
 * double-count); a late reading inside the window fills its hour; a reading
 * older than the window is only counted as too late.
 *
 * @module
 */
import { HourRing } from "../hour_ring.ts";
import type { CleanReading } from "../records/clean.ts";
import { MEASUREMENT_FIELDS, type MeasurementField } from "../records/reading.ts";

const HOUR_MS = 3_600_000;
const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** Metrics of one station, JSON-able (rates rounded to 4 decimals). */
export interface StationSnapshot {
  /** `ts` of the station's latest reading (local time with offset). */
  latest_ts: string;
  /** Readings observed in total. */
  readings_total: number;
  /** Readings held in the window. */
  readings_in_window: number;
  /** Hours of the window without a reading. */
  gap_hours_in_window: number;
  /** Forward jumps of more than one hour in event time. */
  gaps_total: number;
  /** Hours skipped by those jumps. */
  gap_hours_total: number;
  /** Late readings that landed inside the window. */
  out_of_order_total: number;
  /** Readings for an hour already held (redeliveries). */
  duplicates_total: number;
  /** Readings older than the window (not counted in it). */
  too_late_total: number;
  /** Share of the window's readings where the field is missing. */
  missing_rate: Record<MeasurementField, number>;
  /** Share of the field's present values that are implausible or atypical; null if none present. */
  out_of_range_rate: Record<MeasurementField, number | null>;
  /** Hours the field has repeated its current value. */
  stuck_hours: Record<MeasurementField, number>;
}
const N = MEASUREMENT_FIELDS.length;

/** Rolling counts and stuck-sensor runs of one station. */
export class StationWindow {
  /** Window length in hours. */
  readonly hours: number;
  /** Readings held in the window. */
  present = 0;
  /** Per field: readings in the window flagged `missing`. */
  readonly missing: Int32Array = new Int32Array(N);
  /** Per field: readings in the window flagged `implausible` or `atypical`. */
  readonly outOfRange: Int32Array = new Int32Array(N);
  /** Per field: length in hours of the current run of one repeated non-null value. */
  readonly runHours: Int32Array = new Int32Array(N);
  /** Per field: first hour of that run. */
  readonly runStartHour: Float64Array = new Float64Array(N);
  /** `ts` of the latest reading (station local time). */
  latestTs = "";
  /** Readings observed in total. */
  readingsTotal = 0;
  /** Forward jumps of more than one hour. */
  gapsTotal = 0;
  /** Hours skipped by those jumps. */
  gapHoursTotal = 0;
  /** Readings older than the latest one but inside the window. */
  outOfOrderTotal = 0;
  /** Readings for an hour the window already held. */
  duplicatesTotal = 0;
  /** Readings older than the window. */
  tooLateTotal = 0;

  readonly #ring: HourRing;
  readonly #slotMissing: Uint16Array;
  readonly #slotOutOfRange: Uint16Array;
  readonly #runValue = new Float64Array(N);

  /** An empty window of `hours` hours. */
  constructor(hours: number) {
    this.hours = hours;
    this.#ring = new HourRing(hours, (slot) => this.#clear(slot));
    this.#slotMissing = new Uint16Array(hours);
    this.#slotOutOfRange = new Uint16Array(hours);
  }

  /** Latest event hour seen (hours since the epoch), or -Infinity. */
  get latestHour(): number {
    return this.#ring.latestHour;
  }

  /** Earliest event hour seen (the window does not reach before it). */
  get firstHour(): number {
    return this.#ring.firstHour;
  }

  /** First hour covered by the window (not before the station's first reading). */
  get windowStartHour(): number {
    return this.#ring.startHour;
  }

  /** Hours of the window without any reading. */
  get gapHours(): number {
    if (this.present === 0) return 0;
    return this.latestHour - this.windowStartHour + 1 - this.present;
  }

  /** Adds one clean reading. */
  observe(reading: CleanReading): void {
    this.readingsTotal++;
    const hour = Math.floor(reading.ts_utc_ms / HOUR_MS);
    const ring = this.#ring;
    const latest = ring.latestHour;
    const duplicate = ring.holds(hour);
    const placement = ring.place(hour);
    if (placement === "too_late") {
      this.tooLateTotal++;
      return;
    }
    if (placement === "advanced") {
      if (latest !== -Infinity && hour - latest > 1) {
        this.gapsTotal++;
        this.gapHoursTotal += hour - latest - 1;
      }
      this.latestTs = reading.ts;
      this.#advanceRuns(reading, hour, hour === latest + 1);
    } else if (duplicate) {
      this.duplicatesTotal++;
    } else {
      this.outOfOrderTotal++;
    }
    this.#place(hour, reading);
  }

  /** The station's metrics, JSON-able. */
  snapshot(): StationSnapshot {
    const missing = {} as Record<MeasurementField, number>;
    const outOfRange = {} as Record<MeasurementField, number | null>;
    const stuck = {} as Record<MeasurementField, number>;
    MEASUREMENT_FIELDS.forEach((f, i) => {
      const present = this.present - this.missing[i]!;
      missing[f] = this.present > 0 ? round(this.missing[i]! / this.present) : 0;
      outOfRange[f] = present > 0 ? round(this.outOfRange[i]! / present) : null;
      stuck[f] = this.runHours[i]!;
    });
    return {
      latest_ts: this.latestTs,
      readings_total: this.readingsTotal,
      readings_in_window: this.present,
      gap_hours_in_window: this.gapHours,
      gaps_total: this.gapsTotal,
      gap_hours_total: this.gapHoursTotal,
      out_of_order_total: this.outOfOrderTotal,
      duplicates_total: this.duplicatesTotal,
      too_late_total: this.tooLateTotal,
      missing_rate: missing,
      out_of_range_rate: outOfRange,
      stuck_hours: stuck,
    };
  }

  #place(hour: number, reading: CleanReading): void {
    const slot = this.#ring.take(hour);
    let missing = 0, outOfRange = 0;
    for (let i = 0; i < N; i++) {
      const flags = reading.flags[MEASUREMENT_FIELDS[i]!];
      if (flags === undefined) continue;
      if (flags.includes("missing")) {
        missing |= 1 << i;
        this.missing[i]!++;
      } else if (flags.includes("implausible") || flags.includes("atypical")) {
        outOfRange |= 1 << i;
        this.outOfRange[i]!++;
      }
    }
    this.#slotMissing[slot] = missing;
    this.#slotOutOfRange[slot] = outOfRange;
    this.present++;
  }

  /** Takes the reading held in `slot` out of the counts (called by the ring). */
  #clear(slot: number): void {
    const missing = this.#slotMissing[slot]!, outOfRange = this.#slotOutOfRange[slot]!;
    for (let i = 0; i < N; i++) {
      if (missing & (1 << i)) this.missing[i]!--;
      if (outOfRange & (1 << i)) this.outOfRange[i]!--;
    }
    this.present--;
  }

  /** Stuck-sensor runs move forward only: late and duplicate readings leave them alone. */
  #advanceRuns(reading: CleanReading, hour: number, nextHour: boolean): void {
    for (let i = 0; i < N; i++) {
      const v = reading.measurements[MEASUREMENT_FIELDS[i]!];
      if (v === null) {
        this.runHours[i] = 0;
      } else if (nextHour && this.runHours[i]! > 0 && this.#runValue[i] === v) {
        this.runHours[i]!++;
      } else {
        this.#runValue[i] = v;
        this.runHours[i] = 1;
        this.runStartHour[i] = hour;
      }
    }
  }
}
