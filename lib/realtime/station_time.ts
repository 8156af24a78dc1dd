/**
 * Station time as the forecast records print it (`2004-03-11T14:00:00+01:00`),
 * fast: the forecaster formats one such string per forecast, so the date part
 * of a day and the offset text are cached and the rest is arithmetic, with
 * `Date` as the fallback outside years 0000..9999 or whole-minute offsets.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { HOUR_MS } from "../features/mod.ts";

const DAY_MS = 24 * HOUR_MS;
const MIN_4_DIGIT_MS = Date.parse("0000-01-01T00:00:00.000Z");
const MAX_4_DIGIT_MS = Date.parse("9999-12-31T23:59:59.999Z");
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const DATE_CACHE: ({ day: number; text: string } | undefined)[] = new Array(64);
const OFFSET_CACHE = new Map<number, string>();

/** Formats an instant as station time, e.g. `2004-03-11T14:00:00+01:00`. */
export function stationTime(epochMs: number, utcOffsetMin: number): string {
  const local = epochMs + utcOffsetMin * 60_000;
  // years 0000..9999 at whole-minute offsets: the date part of the day from a cache,
  // the rest by arithmetic (what toISOString() would print)
  if (
    !Number.isSafeInteger(local) || local < MIN_4_DIGIT_MS || local > MAX_4_DIGIT_MS ||
    !Number.isInteger(utcOffsetMin)
  ) {
    return stationTimeByDate(epochMs, utcOffsetMin);
  }
  const day = Math.floor(local / DAY_MS);
  const ms = local - day * DAY_MS;
  const slot = day & 63;
  let date = DATE_CACHE[slot];
  if (date === undefined || date.day !== day) {
    date = { day, text: new Date(day * DAY_MS).toISOString().slice(0, 11) };
    DATE_CACHE[slot] = date;
  }
  let offset = OFFSET_CACHE.get(utcOffsetMin);
  if (offset === undefined) {
    offset = offsetText(utcOffsetMin);
    OFFSET_CACHE.set(utcOffsetMin, offset);
  }
  return date.text + TWO_DIGITS[Math.floor(ms / HOUR_MS)] + ":" +
    TWO_DIGITS[Math.floor(ms / 60_000) % 60] + ":" + TWO_DIGITS[Math.floor(ms / 1000) % 60] +
    offset;
}

function stationTimeByDate(epochMs: number, utcOffsetMin: number): string {
  const local = new Date(epochMs + utcOffsetMin * 60_000).toISOString().slice(0, 19);
  return `${local}${offsetText(utcOffsetMin)}`;
}

/** `+01:00` for 60. */
function offsetText(utcOffsetMin: number): string {
  const sign = utcOffsetMin < 0 ? "-" : "+";
  const abs = Math.abs(utcOffsetMin);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${sign}${hh}:${mm}`;
}
