/**
 * The index of a per-station hourly ring buffer: `hours` slots, slot
 * `hour mod hours` holding that hour, the window ending at the latest hour
 * seen. It decides where an hour lands and which slots a new latest hour
 * empties; the values themselves live in the owner's typed arrays, indexed by
 * the slots it hands out, so each owner keeps its own layout (the data-quality
 * window, the PSI input window, the alerter's hourly values, the features'
 * history).
 *
 * - A newer hour becomes the latest: the slots of the hours it skips (and its
 *   own) are emptied, at most `hours` of them. O(1) per reading in order.
 * - An hour inside the window (a late reading, or a redelivery) lands in its
 *   own slot; {@linkcode HourRing.holds} tells the two apart.
 * - An hour at or before `latest - hours` is too late: it is left out.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HourRing } from "./hour_ring.ts";
 * const values = new Float64Array(3).fill(NaN);
 * const ring = new HourRing(3, (slot) => (values[slot] = NaN));
 * for (const [hour, v] of [[10, 1], [11, 2], [13, 4]]) {
 *   assert.equal(ring.place(hour!), "advanced");
 *   values[ring.take(hour!)] = v!;
 * }
 * assert.equal(ring.place(12), "inside"); // a late reading fills its hour
 * assert.equal(ring.holds(12), false);
 * assert.equal(ring.place(10), "too_late");
 * assert.deepEqual([ring.startHour, ring.latestHour], [11, 13]);
 * ```
 *
 * @module
 */

/**
 * Where an hour landed: a new latest hour, an hour inside the window (a late
 * reading or a redelivery), or one older than the window.
 */
export type Placement = "advanced" | "inside" | "too_late";

/** The index of a ring of hourly slots ending at the latest hour. */
export class HourRing {
  /** Window length in hours (slots). */
  readonly hours: number;
  /** Latest hour seen (hours since the epoch), or -Infinity before the first. */
  latestHour = -Infinity;
  /** Earliest hour placed (the window does not reach before it), or Infinity. */
  firstHour = Infinity;
  readonly #slotHour: Float64Array;
  readonly #clear: (slot: number) => void;

  /**
   * An empty ring of `hours` slots. `clear(slot)` is called when a slot that
   * holds an hour is emptied, for its owner to take that hour's values out.
   */
  constructor(hours: number, clear: (slot: number) => void) {
    if (!Number.isInteger(hours) || hours < 1) {
      throw new RangeError(`An hour ring needs a whole number of hours >= 1, got ${hours}`);
    }
    this.hours = hours;
    this.#clear = clear;
    this.#slotHour = new Float64Array(hours).fill(NaN);
  }

  /** First hour the window covers (not before the first hour placed). */
  get startHour(): number {
    return Math.max(this.latestHour - this.hours + 1, this.firstHour);
  }

  /** Slot of `hour` (any whole hour, negative ones too). */
  slot(hour: number): number {
    const n = this.hours;
    return ((hour % n) + n) % n;
  }

  /** Whether `hour`'s slot holds that hour now. */
  holds(hour: number): boolean {
    return this.#slotHour[this.slot(hour)] === hour;
  }

  /**
   * Makes room for `hour` and says where it lands. A newer hour becomes the
   * latest and empties the slots of the hours since the previous latest, its
   * own included. Nothing changes for an hour that is too late.
   */
  place(hour: number): Placement {
    const latest = this.latestHour;
    const advanced = hour > latest;
    if (advanced) {
      if (latest !== -Infinity) {
        const to = Math.min(hour, latest + this.hours);
        for (let h = latest + 1; h <= to; h++) this.#empty(this.slot(h));
      }
      this.latestHour = hour;
    } else if (hour <= latest - this.hours) {
      return "too_late";
    }
    if (hour < this.firstHour) this.firstHour = hour;
    return advanced ? "advanced" : "inside";
  }

  /**
   * The slot of `hour`, placed before and not too late, emptied (its owner's
   * `clear` is called when it held an hour) and marked as holding `hour`.
   */
  take(hour: number): number {
    const slot = this.slot(hour);
    this.#empty(slot);
    this.#slotHour[slot] = hour;
    return slot;
  }

  #empty(slot: number): void {
    const held = this.#slotHour[slot]!;
    if (held !== held) return; // NaN: empty
    this.#clear(slot);
    this.#slotHour[slot] = NaN;
  }
}
