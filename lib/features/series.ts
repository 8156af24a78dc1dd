/**
 * An hourly series on a regular grid: one `Float64Array` per measured field,
 * `NaN` where the value is missing (reported as missing, or an hour that never
 * arrived). The layout the batch feature builder and the evaluation share.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import {
  COLUMNS,
  MEASUREMENT_FIELDS,
  type MeasurementField,
  type Measurements,
} from "../records/reading.ts";

/** One hour of measurements at an instant (a `UciRow` or a stored reading fits). */
export interface HourInput {
  /** The hour the measurements describe, ms since the Unix epoch. */
  readonly epochMs: number;
  /** Measured values; `null` is missing. */
  readonly measurements: Measurements;
}

/** Hourly values on a regular grid starting at `startMs`. */
export interface HourlySeries {
  /** Instant of index 0. */
  readonly startMs: number;
  /** Number of hours. */
  readonly length: number;
  /** One array per field, `NaN` for missing. */
  readonly columns: Readonly<Record<MeasurementField, Float64Array>>;
}

/** One hour in milliseconds. */
export const HOUR_MS = 3_600_000;

/**
 * Puts readings on an hourly grid; hours with no reading are missing.
 *
 * @throws {RangeError} when readings are not in increasing time order or not a
 *   whole number of hours apart.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHourlySeries } from "./series.ts";
 * import { MEASUREMENT_FIELDS } from "../records/reading.ts";
 * const m = Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, 1])) as never;
 * const s = toHourlySeries([{ epochMs: 0, measurements: m }, { epochMs: 7_200_000, measurements: m }]);
 * assert.equal(s.length, 3);
 * assert.ok(Number.isNaN(s.columns.co_mg_m3[1]!));
 * ```
 */
export function toHourlySeries(rows: readonly HourInput[]): HourlySeries {
  const first = rows[0];
  if (first === undefined) return emptySeries(0, 0);
  const last = rows[rows.length - 1]!;
  const length = (last.epochMs - first.epochMs) / HOUR_MS + 1;
  if (!Number.isInteger(length) || length < 1) {
    throw new RangeError(
      `Readings must be in increasing time order, whole hours apart; got ${first.epochMs}..${last.epochMs}`,
    );
  }
  const series = emptySeries(first.epochMs, length);
  let previous = -1;
  for (const row of rows) {
    const i = (row.epochMs - first.epochMs) / HOUR_MS;
    if (!Number.isInteger(i) || i <= previous) {
      throw new RangeError(
        `Reading at ${new Date(row.epochMs).toISOString()} is out of order or off the hourly grid`,
      );
    }
    previous = i;
    for (const field of MEASUREMENT_FIELDS) {
      const v = row.measurements[field];
      series.columns[field][i] = v === null ? NaN : v;
    }
  }
  return series;
}

/** A series of `length` missing hours from `startMs`. */
export function emptySeries(startMs: number, length: number): HourlySeries {
  const columns = Object.fromEntries(
    MEASUREMENT_FIELDS.map((f) => [f, new Float64Array(length).fill(NaN)]),
  ) as Record<MeasurementField, Float64Array>;
  return { startMs, length, columns };
}

/** The hours `[from, to)` of a series (indices), sharing no memory with it. */
export function sliceSeries(series: HourlySeries, from: number, to: number): HourlySeries {
  const columns = Object.fromEntries(
    MEASUREMENT_FIELDS.map((f) => [f, series.columns[f].slice(from, to)]),
  ) as Record<MeasurementField, Float64Array>;
  return { startMs: series.startMs + from * HOUR_MS, length: columns.co_mg_m3.length, columns };
}

/** Index of an instant in the series (may be out of range or fractional if off-grid). */
export function indexAt(series: HourlySeries, epochMs: number): number {
  return (epochMs - series.startMs) / HOUR_MS;
}

/** Field name of a UCI source column, e.g. `CO(GT)` → `co_mg_m3`. */
export function fieldOf(source: string): MeasurementField {
  const column = COLUMNS.find((c) => c.source === source);
  if (column === undefined) {
    throw new RangeError(
      `Unknown column "${source}"; expected one of ${COLUMNS.map((c) => c.source).join(", ")}`,
    );
  }
  return column.field;
}
