/**
 * Calendar of an hour in station time (a fixed UTC offset, no daylight saving):
 * hour, weekday, month, meteorological season, weekend and Italian public holidays.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The parts of a local hour that the features use. */
export interface LocalHour {
  /** Calendar year in station time. */
  readonly year: number;
  /** Month, 1..12. */
  readonly month: number;
  /** Day of month, 1..31. */
  readonly day: number;
  /** Hour of day, 0..23. */
  readonly hour: number;
  /** Day of week, 0 = Monday .. 6 = Sunday. */
  readonly dow: number;
  /** Day of year, 0-based. */
  readonly doy: number;
}

/** Splits an instant into station-time calendar parts; `utcOffsetMin` is e.g. 60 for +01:00. */
export function localHour(epochMs: number, utcOffsetMin: number): LocalHour {
  const d = new Date(epochMs + utcOffsetMin * 60_000);
  const year = d.getUTCFullYear();
  return {
    year,
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    dow: (d.getUTCDay() + 6) % 7,
    doy: Math.floor(
      (Date.UTC(year, d.getUTCMonth(), d.getUTCDate()) - Date.UTC(year, 0, 1)) /
        DAY_MS,
    ),
  };
}

/**
 * Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { easterSunday } from "./calendar.ts";
 * assert.deepEqual(easterSunday(2005), { month: 3, day: 27 });
 * ```
 */
export function easterSunday(year: number): { month: number; day: number } {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { month, day };
}

const FIXED_HOLIDAYS = new Set([
  "1-1", // Capodanno
  "1-6", // Epifania
  "4-25", // Liberazione
  "5-1", // Festa del Lavoro
  "6-2", // Festa della Repubblica
  "8-15", // Ferragosto
  "11-1", // Ognissanti
  "12-8", // Immacolata
  "12-25", // Natale
  "12-26", // Santo Stefano
]);

/**
 * Whether a date is an Italian national public holiday (the ten fixed ones and
 * Easter Monday; local patron saints' days are not included).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isItalianHoliday } from "./calendar.ts";
 * assert.equal(isItalianHoliday(2005, 3, 28), true); // Easter Monday 2005
 * assert.equal(isItalianHoliday(2005, 3, 29), false);
 * ```
 */
export function isItalianHoliday(year: number, month: number, day: number): boolean {
  if (FIXED_HOLIDAYS.has(`${month}-${day}`)) return true;
  const easter = easterSunday(year);
  const monday = new Date(Date.UTC(year, easter.month - 1, easter.day + 1));
  return monday.getUTCMonth() + 1 === month && monday.getUTCDate() === day;
}

/** Meteorological season: 0 winter (DJF), 1 spring (MAM), 2 summer (JJA), 3 autumn (SON). */
export function season(month: number): number {
  return Math.floor((month % 12) / 3);
}
