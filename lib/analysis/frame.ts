/**
 * An hourly frame of the UCI file: one `Float64Array` per measured column on a
 * gap-free hourly grid (`NaN` = missing), the instants, and the station's local
 * calendar (fixed offset, no daylight saving). Plus rolling means, daily means
 * and the runs of missing hours (outages).
 *
 * Pure: rows in, arrays out.
 *
 * @module
 */
import type { UciRow } from "../dataset/uci_csv.ts";
import { MEASUREMENT_FIELDS, type MeasurementField } from "../records/mod.ts";

const HOUR_MS = 3_600_000;

/** The measured columns on an hourly grid. */
export interface HourlyFrame {
  /** Epoch milliseconds of each hour (the true instant). */
  readonly epochMs: Float64Array;
  /** Offset of local station time from UTC, in minutes (60 for the UCI station). */
  readonly offsetMinutes: number;
  /** Each measured column; `NaN` where the station reported it missing (or the hour is absent). */
  readonly columns: Readonly<Record<MeasurementField, Float64Array>>;
}

/** Offset in minutes of an ISO timestamp such as `2004-03-10T18:00:00+01:00`. */
export function offsetMinutesOf(iso: string): number {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(iso);
  if (m === null) return 0;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/**
 * Puts parsed rows on an hourly grid from the first to the last hour. Hours
 * absent from the input become missing in every column.
 *
 * @throws {RangeError} when there are no rows or a row is off the hourly grid.
 */
export function frameFromRows(rows: readonly UciRow[]): HourlyFrame {
  const first = rows[0];
  if (first === undefined) throw new RangeError("Cannot analyse an empty dataset: no rows");
  const start = first.epochMs;
  const end = rows.reduce((m, r) => Math.max(m, r.epochMs), start);
  const n = Math.round((end - start) / HOUR_MS) + 1;
  const columns = Object.fromEntries(
    MEASUREMENT_FIELDS.map((f) => [f, new Float64Array(n).fill(NaN)]),
  ) as Record<MeasurementField, Float64Array>;
  for (const row of rows) {
    const i = (row.epochMs - start) / HOUR_MS;
    if (!Number.isInteger(i) || i < 0) {
      throw new RangeError(`Row at line ${row.line} (${row.ts}) is not on the hourly grid`);
    }
    for (const f of MEASUREMENT_FIELDS) columns[f][i] = row.measurements[f] ?? NaN;
  }
  const epochMs = Float64Array.from({ length: n }, (_, i) => start + i * HOUR_MS);
  return { epochMs, offsetMinutes: offsetMinutesOf(first.ts), columns };
}

/** Local wall-clock milliseconds: the instant shifted by the station offset, to be read as UTC. */
export function localMs(frame: HourlyFrame, i: number): number {
  return frame.epochMs[i]! + frame.offsetMinutes * 60_000;
}

/** Local calendar of every hour of a frame. */
export interface Calendar {
  /** Hour of day 0..23. */
  readonly hour: Uint8Array;
  /** Day of week 0 = Monday .. 6 = Sunday. */
  readonly dow: Uint8Array;
  /** `YYYY-MM` of each hour. */
  readonly month: readonly string[];
  /** `YYYY-MM-DD` of each hour. */
  readonly day: readonly string[];
}

/** Computes the local calendar (fixed offset) of each hour. */
export function calendarOf(frame: HourlyFrame): Calendar {
  const n = frame.epochMs.length;
  const hour = new Uint8Array(n), dow = new Uint8Array(n);
  const month: string[] = [], day: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = new Date(localMs(frame, i));
    hour[i] = d.getUTCHours();
    dow[i] = (d.getUTCDay() + 6) % 7;
    const iso = d.toISOString();
    month.push(iso.slice(0, 7));
    day.push(iso.slice(0, 10));
  }
  return { hour, dow, month, day };
}

/** Centered or trailing rolling mean over `window` values; `NaN` unless `minPresent` are present. */
export function rollingMean(
  x: ArrayLike<number>,
  window: number,
  options: { minPresent?: number; centered?: boolean } = {},
): Float64Array {
  const minPresent = options.minPresent ?? Math.ceil(window / 2);
  const out = new Float64Array(x.length).fill(NaN);
  const back = options.centered ? Math.floor(window / 2) : window - 1;
  let s = 0, c = 0;
  // sliding window [i - back, i - back + window - 1]
  const add = (j: number, sign: 1 | -1) => {
    if (j < 0 || j >= x.length) return;
    const v = x[j]!;
    if (!Number.isNaN(v)) (s += sign * v, c += sign);
  };
  for (let j = -back; j < -back + window - 1; j++) add(j, 1);
  for (let i = 0; i < x.length; i++) {
    add(i - back + window - 1, 1);
    if (c >= minPresent) out[i] = s / c;
    add(i - back, -1);
  }
  return out;
}

/** Means per local day: the days in order and the mean of the present hours (`NaN` below `minHours`). */
export function dailyMeans(
  x: ArrayLike<number>,
  days: readonly string[],
  minHours = 12,
): { days: string[]; values: Float64Array } {
  const order: string[] = [];
  const acc = new Map<string, { s: number; n: number }>();
  for (let i = 0; i < x.length; i++) {
    const d = days[i]!;
    let a = acc.get(d);
    if (a === undefined) (a = { s: 0, n: 0 }, acc.set(d, a), order.push(d));
    if (!Number.isNaN(x[i]!)) (a.s += x[i]!, a.n++);
  }
  const values = Float64Array.from(order, (d) => {
    const a = acc.get(d)!;
    return a.n >= minHours ? a.s / a.n : NaN;
  });
  return { days: order, values };
}

/** A run of consecutive missing hours. */
export interface Outage {
  /** Index of the first missing hour. */
  start: number;
  /** Index of the last missing hour. */
  end: number;
  /** Length in hours. */
  hours: number;
}

/** Runs of at least `minHours` consecutive missing values. */
export function outages(x: ArrayLike<number>, minHours: number): Outage[] {
  const out: Outage[] = [];
  let start = -1;
  for (let i = 0; i <= x.length; i++) {
    const missing = i < x.length && Number.isNaN(x[i]!);
    if (missing && start < 0) start = i;
    if (!missing && start >= 0) {
      if (i - start >= minHours) out.push({ start, end: i - 1, hours: i - start });
      start = -1;
    }
  }
  return out;
}
