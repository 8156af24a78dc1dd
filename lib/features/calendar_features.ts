/**
 * The calendar part of a feature vector (./compute.ts): the first
 * {@linkcode CALENDAR_COUNT} values, for the target hour t + h and for t.
 * Every reading of every station needs them, so a local day's calendar is
 * cached and the hour's harmonics are precomputed; instants the arithmetic
 * does not take go through `Date` and give the same numbers.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { isItalianHoliday, localHour, season } from "./calendar.ts";
import { HOUR_MS } from "./series.ts";

/** Number of calendar values at the start of every feature vector. */
export const CALENDAR_COUNT = 22;

/** What the calendar depends on of a feature spec. */
export interface CalendarSpec {
  readonly horizonH: number;
  /** Station time offset from UTC in minutes (+01:00 is 60). */
  readonly utcOffsetMin: number;
}

const TAU = 2 * Math.PI;

/** The calendar of a local day, as the features use it. */
interface Day {
  key: number;
  month: number;
  dow: number;
  doySin: number;
  doyCos: number;
  weekend: number;
  holiday: number;
}

const DAY_MS = 24 * HOUR_MS;
const HOUR_TRIG = Array.from(
  { length: 24 },
  (_, hour) => {
    const hourAngle = (TAU * hour) / 24;
    return [1, 2, 3].flatMap((h) => [Math.sin(h * hourAngle), Math.cos(h * hourAngle)]);
  },
);
const DOW_TRIG = Array.from(
  { length: 7 },
  (_, dow) => [Math.sin((TAU * dow) / 7), Math.cos((TAU * dow) / 7)],
);
// the last days seen, by local day number (many stations share their hours)
const dayCache: (Day | undefined)[] = new Array(64);

/** The calendar of local day `key` (days since the epoch), from a small cache. */
function dayOf(key: number): Day {
  const slot = key & 63;
  const cached = dayCache[slot];
  if (cached !== undefined && cached.key === key) return cached;
  const t = localHour(key * DAY_MS, 0);
  const day: Day = {
    key,
    month: t.month,
    dow: t.dow,
    doySin: Math.sin((TAU * t.doy) / 365.25),
    doyCos: Math.cos((TAU * t.doy) / 365.25),
    weekend: t.dow >= 5 ? 1 : 0,
    holiday: isItalianHoliday(t.year, t.month, t.day) ? 1 : 0,
  };
  dayCache[slot] = day;
  return day;
}

/** Writes the calendar of the target hour t + h (20 values) and of t (2 values). */
export function writeCalendar(epochMs: number, spec: CalendarSpec, out: Float64Array): void {
  const offsetMs = spec.utcOffsetMin * 60_000;
  const target = epochMs + spec.horizonH * HOUR_MS + offsetMs;
  const now = epochMs + offsetMs;
  // whole milliseconds within ±100 million days: day and hour by arithmetic, as `Date` does
  if (
    !Number.isSafeInteger(target) || !Number.isSafeInteger(now) ||
    Math.abs(target) > 8.64e15 || Math.abs(now) > 8.64e15
  ) {
    writeCalendarSlow(epochMs, spec, out);
    return;
  }
  const targetKey = Math.floor(target / DAY_MS);
  const hour = Math.floor((target - targetKey * DAY_MS) / HOUR_MS);
  const tgt = dayOf(targetKey);
  const trig = HOUR_TRIG[hour]!;
  const dowTrig = DOW_TRIG[tgt.dow]!;
  out[0] = hour;
  out[1] = tgt.dow;
  out[2] = tgt.month;
  for (let i = 0; i < 6; i++) out[3 + i] = trig[i]!;
  out[9] = dowTrig[0]!;
  out[10] = dowTrig[1]!;
  out[11] = tgt.doySin;
  out[12] = tgt.doyCos;
  out[13] = tgt.weekend;
  out[14] = tgt.holiday;
  out[15] = tgt.weekend === 1 || tgt.holiday === 1 ? 1 : 0;
  const tgtSeason = season(tgt.month);
  for (let q = 0; q < 4; q++) out[16 + q] = tgtSeason === q ? 1 : 0;
  const nowKey = Math.floor(now / DAY_MS);
  const today = dayOf(nowKey);
  out[20] = Math.floor((now - nowKey * DAY_MS) / HOUR_MS);
  out[21] = today.weekend === 1 || today.holiday === 1 ? 1 : 0;
}

/** `writeCalendar` through `Date`, for instants it does not take (fractional, huge, NaN). */
function writeCalendarSlow(epochMs: number, spec: CalendarSpec, out: Float64Array): void {
  let k = 0;
  const tgt = localHour(epochMs + spec.horizonH * HOUR_MS, spec.utcOffsetMin);
  const hourAngle = (TAU * tgt.hour) / 24;
  const tgtHoliday = isItalianHoliday(tgt.year, tgt.month, tgt.day) ? 1 : 0;
  const tgtWeekend = tgt.dow >= 5 ? 1 : 0;
  const tgtSeason = season(tgt.month);
  out[k++] = tgt.hour;
  out[k++] = tgt.dow;
  out[k++] = tgt.month;
  for (let harmonic = 1; harmonic <= 3; harmonic++) {
    out[k++] = Math.sin(harmonic * hourAngle);
    out[k++] = Math.cos(harmonic * hourAngle);
  }
  out[k++] = Math.sin((TAU * tgt.dow) / 7);
  out[k++] = Math.cos((TAU * tgt.dow) / 7);
  out[k++] = Math.sin((TAU * tgt.doy) / 365.25);
  out[k++] = Math.cos((TAU * tgt.doy) / 365.25);
  out[k++] = tgtWeekend;
  out[k++] = tgtHoliday;
  out[k++] = tgtWeekend === 1 || tgtHoliday === 1 ? 1 : 0;
  for (let q = 0; q < 4; q++) out[k++] = tgtSeason === q ? 1 : 0;
  const now = localHour(epochMs, spec.utcOffsetMin);
  out[k++] = now.hour;
  out[k++] = now.dow >= 5 || isItalianHoliday(now.year, now.month, now.day) ? 1 : 0;
}
