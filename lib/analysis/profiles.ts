/**
 * Daily and weekly cycles and seasonal levels: hourly profiles of weekdays and
 * weekends with 95 % confidence bands, day-of-week effects, monthly and
 * seasonal means.
 *
 * Confidence bands: mean ± t(0.975, n - 1)·sd/√n over the values of the group.
 * For hourly profiles each value is one day's reading at that hour, so the
 * values of a group are about one day apart and close to independent; the
 * day-of-week effect is computed on daily means for the same reason.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import type { Calendar } from "./frame.ts";
import { dailyMeans } from "./frame.ts";
import { mean, sd, t975 } from "./stats.ts";

/** Mean of a group with its 95 % confidence interval. */
export interface GroupMean {
  /** Number of present values. */
  n: number;
  /** Mean. */
  mean: number;
  /** Lower end of the 95 % confidence interval. */
  lo: number;
  /** Upper end of the 95 % confidence interval. */
  hi: number;
}

/** Mean and 95 % t interval of the present values. */
export function groupMean(values: readonly number[]): GroupMean {
  const m = mean(values), s = sd(values), n = values.filter((v) => !Number.isNaN(v)).length;
  const half = n >= 2 ? t975(n - 1) * s / Math.sqrt(n) : NaN;
  return { n, mean: m, lo: m - half, hi: m + half };
}

/** One point of an hourly profile. */
export interface ProfilePoint extends GroupMean {
  /** `weekday` (Monday-Friday) or `weekend`. */
  daytype: "weekday" | "weekend";
  /** Local hour 0..23. */
  hour: number;
}

/** Hourly profile of weekdays and of weekends. */
export function hourlyProfile(x: ArrayLike<number>, cal: Calendar): ProfilePoint[] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]!)) continue;
    const key = `${cal.dow[i]! >= 5 ? "weekend" : "weekday"}|${cal.hour[i]}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, g = []);
    g.push(x[i]!);
  }
  const out: ProfilePoint[] = [];
  for (const daytype of ["weekday", "weekend"] as const) {
    for (let hour = 0; hour < 24; hour++) {
      const g = groups.get(`${daytype}|${hour}`) ?? [];
      out.push({ daytype, hour, ...groupMean(g) });
    }
  }
  return out;
}

/** Day-of-week names, Monday first. */
export const DOW_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

/** Mean of daily means per day of week, and its ratio to the mean over all days. */
export interface DayOfWeekEffect extends GroupMean {
  /** `Mon` .. `Sun`. */
  dow: string;
  /** Mean of the day divided by the mean of all daily means. */
  ratio: number;
}

/** Day-of-week effects on daily means (days with at least 12 present hours). */
export function dayOfWeekEffects(x: ArrayLike<number>, cal: Calendar): DayOfWeekEffect[] {
  const daily = dailyMeans(x, cal.day);
  const overall = mean(daily.values);
  const byDow: number[][] = DOW_NAMES.map(() => []);
  daily.days.forEach((d, i) => {
    const v = daily.values[i]!;
    if (Number.isNaN(v)) return;
    const dow = (new Date(`${d}T00:00:00Z`).getUTCDay() + 6) % 7;
    byDow[dow]!.push(v);
  });
  return DOW_NAMES.map((dow, i) => {
    const g = groupMean(byDow[i]!);
    return { dow, ratio: g.mean / overall, ...g };
  });
}

/** Mean per calendar month, with the share of hours present. */
export interface MonthLevel extends GroupMean {
  /** `YYYY-MM`. */
  month: string;
  /** Share of the month's hours with a value. */
  coverage: number;
}

/** Monthly levels: mean of the month's hourly values with a 95 % interval on its daily means. */
export function monthlyLevels(x: ArrayLike<number>, cal: Calendar): MonthLevel[] {
  const daily = dailyMeans(x, cal.day);
  const hours = new Map<string, { n: number; present: number; sum: number }>();
  for (let i = 0; i < x.length; i++) {
    const m = cal.month[i]!;
    let h = hours.get(m);
    if (h === undefined) hours.set(m, h = { n: 0, present: 0, sum: 0 });
    h.n++;
    if (!Number.isNaN(x[i]!)) (h.present++, h.sum += x[i]!);
  }
  return [...hours.entries()].map(([month, h]) => {
    const days = daily.days.flatMap((d, i) => (d.startsWith(month) ? [daily.values[i]!] : []));
    const g = groupMean(days);
    return {
      month,
      coverage: h.present / h.n,
      ...g,
      mean: h.present > 0 ? h.sum / h.present : NaN,
    };
  });
}

/** Meteorological season of a month `YYYY-MM`. */
export function seasonOf(month: string): "winter" | "spring" | "summer" | "autumn" {
  const m = Number(month.slice(5, 7));
  return m === 12 || m <= 2 ? "winter" : m <= 5 ? "spring" : m <= 8 ? "summer" : "autumn";
}

/** Mean per meteorological season (DJF, MAM, JJA, SON) over the hourly values. */
export function seasonalLevels(
  x: ArrayLike<number>,
  cal: Calendar,
): { season: string; n: number; mean: number }[] {
  const acc = new Map<string, { s: number; n: number }>();
  for (const s of ["spring", "summer", "autumn", "winter"]) acc.set(s, { s: 0, n: 0 });
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]!)) continue;
    const a = acc.get(seasonOf(cal.month[i]!))!;
    a.s += x[i]!, a.n++;
  }
  return [...acc.entries()].map(([season, a]) => ({
    season,
    n: a.n,
    mean: a.n > 0 ? a.s / a.n : NaN,
  }));
}
