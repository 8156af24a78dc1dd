/**
 * Incremental features for one station: feed it readings hour by hour, ask for
 * the features at the latest hour. It keeps the last {@linkcode HISTORY_H} hours
 * in a ring buffer (indexed by lib/hour_ring.ts); hours that never arrived count as missing.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { HourRing } from "../hour_ring.ts";
import { MEASUREMENT_FIELDS, type Measurements } from "../records/reading.ts";
import {
  computeFeatureSet,
  computeFeaturesFrom,
  featureCount,
  type FeatureSpec,
  HISTORY_H,
  type HistoryColumns,
  type HistoryView,
} from "./compute.ts";
import { HOUR_MS } from "./series.ts";

/**
 * Per-station feature state. `push()` readings in time order (gaps are fine),
 * then `features(spec)` gives the same vector the batch builder gives for that hour.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FeatureState } from "./state.ts";
 * import { MEASUREMENT_FIELDS } from "../records/reading.ts";
 * const state = new FeatureState();
 * const m = Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, 2])) as never;
 * state.push(Date.UTC(2005, 0, 1), m);
 * const x = state.features({ mode: "forecast", horizonH: 1, utcOffsetMin: 60 });
 * assert.equal(x.length, 144);
 * ```
 */
export class FeatureState implements HistoryView {
  // each hour is written twice, at head and head + HISTORY_H: lags 0..168 are always
  // the contiguous slots head + HISTORY_H down to head + 1
  readonly #buffers: Float64Array[] = MEASUREMENT_FIELDS.map(() =>
    new Float64Array(2 * HISTORY_H).fill(NaN)
  );
  readonly #ring = new HourRing(HISTORY_H, (slot) => {
    const buffers = this.#buffers;
    for (let f = 0; f < buffers.length; f++) {
      const buffer = buffers[f]!;
      buffer[slot] = buffer[slot + HISTORY_H] = NaN;
    }
  });
  #head = -1;
  #lastMs: number | undefined;
  // per field: the hour and value of its latest observation at or before the latest hour, and
  // strictly before it (the virtual sensor's "last value before t", however old)
  readonly #seenAt = new Float64Array(MEASUREMENT_FIELDS.length).fill(NaN);
  readonly #seenValue = new Float64Array(MEASUREMENT_FIELDS.length).fill(NaN);
  readonly #beforeAt = new Float64Array(MEASUREMENT_FIELDS.length).fill(NaN);
  readonly #beforeValue = new Float64Array(MEASUREMENT_FIELDS.length).fill(NaN);

  /** Instant of the latest hour pushed, or undefined before the first push. */
  get lastMs(): number | undefined {
    return this.#lastMs;
  }

  /**
   * Adds the reading of the hour `epochMs`. Hours skipped since the previous
   * reading become missing.
   *
   * @throws {RangeError} when `epochMs` is not after the latest hour or not on its hourly grid.
   */
  push(epochMs: number, measurements: Measurements): void {
    const last = this.#lastMs;
    if (last !== undefined) {
      const step = (epochMs - last) / HOUR_MS;
      if (!Number.isInteger(step) || step < 1) {
        throw new RangeError(
          `Reading at ${new Date(epochMs).toISOString()} is not a whole number of hours after ${
            new Date(last).toISOString()
          }`,
        );
      }
    }
    const hour = Math.floor(epochMs / HOUR_MS);
    this.#ring.place(hour); // empties the hours skipped
    const head = this.#head = this.#ring.take(hour);
    for (let f = 0; f < MEASUREMENT_FIELDS.length; f++) {
      const v = measurements[MEASUREMENT_FIELDS[f]!];
      const buffer = this.#buffers[f]!;
      buffer[head] = buffer[head + HISTORY_H] = v === null ? NaN : v;
      this.#beforeAt[f] = this.#seenAt[f]!;
      this.#beforeValue[f] = this.#seenValue[f]!;
      if (v !== null && v === v) {
        this.#seenAt[f] = hour;
        this.#seenValue[f] = v;
      }
    }
    this.#lastMs = epochMs;
  }

  /**
   * The latest observation of field `fieldIndex` strictly before the latest hour, however old
   * (within what was pushed): hours since it and its value; both `NaN` when there is none.
   */
  lastBefore(fieldIndex: number): { ageH: number; value: number } {
    const at = this.#beforeAt[fieldIndex]!;
    if (at !== at || this.#lastMs === undefined) return { ageH: NaN, value: NaN };
    return { ageH: Math.floor(this.#lastMs / HOUR_MS) - at, value: this.#beforeValue[fieldIndex]! };
  }

  /** Value of field `fieldIndex` `lag` hours before the latest hour; `NaN` if missing or too old. */
  value(fieldIndex: number, lag: number): number {
    if (!(lag >= 0 && lag < HISTORY_H) || this.#head < 0) return NaN;
    return this.#buffers[fieldIndex]![this.#head + HISTORY_H - lag]!;
  }

  /**
   * The features at the latest hour for `spec`.
   *
   * @throws {RangeError} before the first `push()`.
   */
  features(
    spec: FeatureSpec,
    out: Float64Array = new Float64Array(featureCount(spec)),
  ): Float64Array {
    return computeFeaturesFrom(this.#history(), this.#lastMs!, spec, out);
  }

  /**
   * The features at the latest hour for several specs, `outs[i]` for `specs[i]`: the
   * same vectors as `features()`, with the history part computed once for specs that
   * differ only in the horizon.
   *
   * @throws {RangeError} before the first `push()`.
   */
  featuresFor(specs: readonly FeatureSpec[], outs: readonly Float64Array[]): void {
    computeFeatureSet(this.#history(), this.#lastMs!, specs, outs);
  }

  #history(): HistoryColumns {
    if (this.#lastMs === undefined) {
      throw new RangeError("FeatureState.features() needs at least one reading; push() one first");
    }
    return { columns: this.#buffers, end: this.#head + HISTORY_H };
  }
}

/** Feature states of many stations, created on first use. */
export class StationFeatureStates {
  readonly #states = new Map<string, FeatureState>();

  /** The state of one station. */
  get(stationId: string): FeatureState {
    let state = this.#states.get(stationId);
    if (state === undefined) {
      state = new FeatureState();
      this.#states.set(stationId, state);
    }
    return state;
  }

  /** Number of stations seen. */
  get size(): number {
    return this.#states.size;
  }
}
