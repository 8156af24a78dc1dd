/**
 * Per-station state of the pollution alerter: the last 24 hourly values of
 * each limited field in a ring of typed arrays (indexed by lib/hour_ring.ts), and per-limit scratch for
 * the forecasts of one call. O(1) per reading, no allocation after the
 * station's first reading.
 *
 * @module
 */
import { HourRing, type Placement } from "../hour_ring.ts";
import type { MeasurementField, Measurements } from "../records/reading.ts";
import type { Scope } from "./book.ts";
import type { WarningWindow } from "./_emit.ts";

const HOUR_MS = 3_600_000;

/** Hours kept per station: the longest averaging (24 h). */
export const RING_HOURS = 24;

export type { Placement };

/** The hourly values and alert scratch of one station. */
export class StationState {
  /** Episodes of this station in the alerter's book. */
  readonly scope: Scope;
  /** `ts` of the latest reading (station local time with its offset). */
  latestTs = "";
  /** Per limit: the value judged last (hourly value or mean), NaN if none. */
  readonly metric: Float64Array;
  /** Per limit: valid hours behind `metric`. */
  readonly validHours: Int32Array;
  /** Per limit: best exceedance probability in the current forecasts call. */
  readonly batchP: Float64Array;
  /** Per limit: index of the record that gave `batchP`. */
  readonly batchRecord: Int32Array;
  /** Per limit: that record's verdict, 2 warn, 1 hold (between the clear and warning levels), 0 clear. */
  readonly batchLevel: Int8Array;
  /** Per limit: the probability level that verdict was judged against. */
  readonly batchCut: Float64Array;
  /** Per limit: the call mark `batchP` belongs to. */
  readonly batchMark: Float64Array;
  /**
   * Per limit: the latest target hour a forecast gave at least the warning
   * probability, until it is observed or re-forecast below the clear level;
   * -Infinity when none. A firing early warning does not resolve before it.
   */
  readonly pendingTarget: Float64Array;
  /** Call mark of the last forecasts call that touched this station. */
  touchedMark = -1;
  /** Latest feature hour among this call's forecasts: the clock of its early warnings. */
  batchHour = -Infinity;
  /** Last forecast `ts` seen (parsing is cached per station). */
  forecastTs = "";
  /** Hour of `forecastTs`. */
  forecastHour = NaN;
  /** Constant part of the last {@linkcode forecastMean}, times n. */
  forecastA = 0;
  /** Weight of the forecast in the last {@linkcode forecastMean}, times n. */
  forecastB = 0;
  /** Per limit: window of the last early warning emitted (for its supersession). */
  readonly warned: (WarningWindow | undefined)[] = [];

  readonly #fields: number;
  /**
   * `fields × RING_HOURS` values, NaN = missing. Once a station has a reading,
   * slot `h mod 24` holds hour h for every h in (latest − 24, latest].
   */
  readonly #values: Float64Array;
  /** Slot of the latest hour. */
  #latestSlot = 0;
  readonly #ring: HourRing;

  /** An empty station with `fields` limited fields and `limits` limits. */
  constructor(scope: Scope, fields: number, limits: number) {
    this.scope = scope;
    this.#fields = fields;
    this.#values = new Float64Array(fields * RING_HOURS).fill(NaN);
    this.#ring = new HourRing(RING_HOURS, (slot) => {
      for (let f = 0; f < fields; f++) this.#values[f * RING_HOURS + slot] = NaN;
    });
    this.metric = new Float64Array(limits).fill(NaN);
    this.validHours = new Int32Array(limits);
    this.batchP = new Float64Array(limits);
    this.batchRecord = new Int32Array(limits);
    this.batchLevel = new Int8Array(limits);
    this.batchCut = new Float64Array(limits);
    this.batchMark = new Float64Array(limits).fill(-1);
    this.pendingTarget = new Float64Array(limits).fill(-Infinity);
  }

  /**
   * Makes room for `hour`: advances the ring (clearing the hours it skips)
   * when it is newer than the latest, and says where it lands. Values are
   * then written with {@linkcode write}.
   */
  place(hour: number, ts: string): Placement {
    const ring = this.#ring;
    const latest = ring.latestHour;
    const placement = ring.place(hour);
    if (placement === "advanced") {
      this.#latestSlot = ring.slot(hour);
      this.latestTs = ts;
    } else if (placement === "inside" && hour === latest) this.latestTs = ts;
    return placement;
  }

  /** Latest event hour seen (hours since the epoch), or -Infinity. */
  get latestHour(): number {
    return this.#ring.latestHour;
  }

  /**
   * Writes the values of `fields` (the ring's fields, in order) for `hour`,
   * placed before; null is missing. One call per reading: a double passed
   * value by value to a function may be boxed on the heap.
   */
  write(hour: number, measurements: Measurements, fields: readonly MeasurementField[]): void {
    const values = this.#values, slot = this.#ring.take(hour);
    for (let f = 0; f < fields.length; f++) {
      const v = measurements[fields[f]!];
      values[f * RING_HOURS + slot] = v === null ? NaN : v;
    }
  }

  /** Field `f`'s value at the latest hour; NaN when missing. */
  latest(f: number): number {
    return this.#values[f * RING_HOURS + this.#latestSlot]!;
  }

  /**
   * Mean of field `f` over the `hours` (at most 24) hours ending at the
   * latest hour, rounded to 1e-9 so that the order of summation cannot
   * decide a mean that equals a threshold, into `metric[limit]` (NaN when no
   * hour is valid), and the number of valid hours into `validHours[limit]`.
   * Writes rather than returns: a returned double may be boxed on the heap.
   */
  mean(f: number, hours: number, limit: number): void {
    const values = this.#values, base = f * RING_HOURS;
    let sum = 0, n = 0;
    for (let k = 0, slot = this.#latestSlot; k < hours; k++) {
      const v = values[base + slot]!;
      if (v === v) {
        sum += v;
        n++;
      }
      slot = slot === 0 ? RING_HOURS - 1 : slot - 1;
    }
    this.validHours[limit] = n;
    this.metric[limit] = Math.round(sum / n * 1e9) / 1e9; // 0 / 0 is NaN
  }

  /**
   * The mean of field `f` over the `hours` hours ending at `target` (after the
   * latest hour), as a linear function of the forecast F for `target`:
   * `(a + b·F) / n`. Observed hours count as they are (missing ones not at
   * all); each unobserved hour lies on a straight line from the latest hour's
   * value to F, or at F when that value is missing. Returns `n` and leaves
   * `a` and `b` in {@linkcode forecastA} and {@linkcode forecastB}.
   */
  forecastMean(f: number, hours: number, target: number): number {
    const latest = this.latestHour;
    // unobserved hours: the last `u` of the window, hour latest + d weighing F by d / span
    const span = target - latest, u = span < hours ? span : hours;
    let a = 0, n = 0;
    if (latest !== -Infinity) {
      const values = this.#values, base = f * RING_HOURS;
      for (let k = hours - u, slot = this.#latestSlot; k > 0; k--) {
        const v = values[base + slot]!;
        if (v === v) {
          a += v;
          n++;
        }
        slot = slot === 0 ? RING_HOURS - 1 : slot - 1;
      }
    }
    const anchor = latest === -Infinity ? NaN : this.latest(f);
    let b: number;
    if (anchor === anchor) {
      b = u * (2 * span - u + 1) / 2 / span; // Σ d / span for d = span − u + 1 … span
      a += (u - b) * anchor;
    } else {
      b = u;
    }
    n += u;
    this.forecastA = a;
    this.forecastB = b;
    return n;
  }
}

/** Start of the hour containing `ms`, in hours since the epoch. */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS);
}
