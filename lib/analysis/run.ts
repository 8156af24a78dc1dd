/**
 * The whole analysis of one hourly frame: per-pollutant trends, cycles,
 * autocorrelation and decomposition; the correlation matrix; lagged
 * cross-correlations; anomalous episodes; the cheap sensors' monthly drift.
 *
 * Pure: frame and config in, numbers out.
 *
 * @module
 */
import { COLUMNS, type MeasurementField } from "../records/mod.ts";
import {
  acf,
  crossCorrelation,
  type LaggedCorrelation,
  pacfFromAcf,
  whiteNoiseBound,
} from "./acf.ts";
import { type Episode, findEpisodes, type PairedSeries } from "./anomalies.ts";
import type { AnalysisConfig } from "./analysis_config.ts";
import { decompose, type Decomposition } from "./decompose.ts";
import {
  type Calendar,
  calendarOf,
  dailyMeans,
  type HourlyFrame,
  localMs,
  type Outage,
  outages,
  rollingMean,
} from "./frame.ts";
import {
  type DayOfWeekEffect,
  dayOfWeekEffects,
  hourlyProfile,
  type MonthLevel,
  monthlyLevels,
  type ProfilePoint,
  seasonalLevels,
} from "./profiles.ts";
import {
  type CorrelationCell,
  correlationMatrix,
  type DriftPoint,
  monthlyCalibration,
} from "./relations.ts";
import { type LinearFit, mean, quantile, spearman, theilSen } from "./stats.ts";

/** Everything computed for one pollutant. */
export interface PollutantAnalysis {
  /** Field name, e.g. `co_mg_m3`. */
  field: MeasurementField;
  /** Column name in the file, e.g. `CO(GT)`. */
  name: string;
  /** Unit. */
  unit: string;
  /** Share of hours missing. */
  missingShare: number;
  /** Mean, median and 95th percentile of the present hours. */
  level: { mean: number; median: number; p95: number };
  /** Daily means (days with ≥ 12 h) and their centred rolling mean. */
  daily: { days: string[]; values: Float64Array; rolling: Float64Array };
  /** Theil-Sen line through the daily means (x in days since the first day). */
  trend: LinearFit & { perYearPct: number };
  /** Runs of missing hours of at least the outage length. */
  outages: Outage[];
  /** Weekday and weekend hourly profiles. */
  profile: ProfilePoint[];
  /** Day-of-week effects. */
  dow: DayOfWeekEffect[];
  /** Monthly levels. */
  months: MonthLevel[];
  /** Seasonal levels. */
  seasons: { season: string; n: number; mean: number }[];
  /** ACF (0..acfMaxLag), PACF (0..pacfMaxLag) and the ±1.96/√n bound. */
  acf: Float64Array;
  /** PACF by Durbin-Levinson. */
  pacf: Float64Array;
  /** White-noise bound. */
  bound: number;
  /** Trend, daily, weekly and residual components. */
  decomposition: Decomposition;
  /** Weekday hour with the highest mean, and the weekend/weekday ratio of means. */
  peaks: {
    weekdayPeakHour: number;
    weekdayPeak: number;
    weekdayTrough: number;
    weekendRatio: number;
  };
}

/** A lagged cross-correlation curve with its strongest lag. */
export interface CrossCorrelation {
  /** Leading series (at t). */
  x: string;
  /** Following series (at t + lag). */
  y: string;
  /** Correlations per lag. */
  points: LaggedCorrelation[];
  /** The lag with the largest |r|. */
  best: LaggedCorrelation;
}

/** The result of {@linkcode analyzeFrame}. */
export interface Analysis {
  /** First and last hour (local ISO), hours on the grid. */
  range: { first: string; last: string; hours: number };
  /** Local time of each hour, as epoch milliseconds to be read as UTC (for plotting). */
  localMs: Float64Array;
  /** The local calendar. */
  calendar: Calendar;
  /** Per pollutant. */
  pollutants: PollutantAnalysis[];
  /** Every pair of the correlation fields. */
  correlations: CorrelationCell[];
  /** Lagged cross-correlations. */
  crossCorrelations: CrossCorrelation[];
  /** For each pollutant, the cheap sensor that follows it most closely (|Spearman ρ|). */
  pairs: { reference: string; sensor: string; rho: number }[];
  /** Anomalous episodes. */
  episodes: Episode[];
  /** Monthly calibration of the cheap sensors against their references. */
  drift: DriftPoint[];
  /** Hours in which every cheap sensor was missing. */
  sensorOutageHours: number;
  /** How often each given limit was exceeded (hours for 1 h limits, days for 24 h ones). */
  exceedances: Exceedance[];
}

/** A concentration limit to count exceedances of (from `config/alerts.json`). */
export interface LimitSpec {
  /** What it is, e.g. "EU 1-hour limit value for NO2". */
  label: string;
  /** The measured field. */
  field: MeasurementField;
  /** Hourly values, or calendar-day means (days with at least 18 of 24 hours present). */
  averaging: "1h" | "24h";
  /** Exceeded when the value is above it. */
  threshold: number;
  /** Unit of the threshold. */
  unit: string;
}

/** How often one limit was exceeded. */
export interface Exceedance extends LimitSpec {
  /** Column name of the field, e.g. `NO2(GT)`. */
  name: string;
  /** Periods (hours or days) above the threshold. */
  above: number;
  /** Periods with a value. */
  present: number;
  /**
   * For 1 h limits, when the exceedances happened: the share in the cold
   * months (October to March), the month with most, and the local hour with most.
   */
  when: {
    coldShare: number;
    worstMonth: string;
    worstMonthCount: number;
    peakHour: number;
    /** Hours above, per month and local hour of the day (cells with none left out). */
    byMonthHour: { month: string; hour: number; n: number }[];
  } | null;
}

const COLD_MONTHS = new Set(["10", "11", "12", "01", "02", "03"]);

function whenExceeded(
  x: Float64Array,
  cal: Calendar,
  threshold: number,
): Exceedance["when"] {
  const byHour = new Array<number>(24).fill(0);
  const cells = new Map<string, { month: string; hour: number; n: number }>();
  const byMonth = new Map<string, number>();
  let cold = 0, total = 0;
  for (let i = 0; i < x.length; i++) {
    if (!(x[i]! > threshold)) continue;
    const month = cal.month[i]!;
    total++, byHour[cal.hour[i]!]!++, byMonth.set(month, (byMonth.get(month) ?? 0) + 1);
    if (COLD_MONTHS.has(month.slice(5, 7))) cold++;
    const key = `${month} ${cal.hour[i]}`;
    const cell = cells.get(key) ?? { month, hour: cal.hour[i]!, n: 0 };
    cell.n++, cells.set(key, cell);
  }
  if (total === 0) return null;
  const [worstMonth, worstMonthCount] = [...byMonth].reduce((a, b) => (b[1] > a[1] ? b : a));
  return {
    coldShare: cold / total,
    worstMonth,
    worstMonthCount,
    peakHour: byHour.indexOf(Math.max(...byHour)),
    byMonthHour: [...cells.values()],
  };
}

/** The limits among `limits` that {@linkcode analyzeFrame} can count (1 h and 24 h averaging). */
export function countableLimits(
  limits: readonly (Omit<LimitSpec, "averaging"> & { averaging: string })[],
): LimitSpec[] {
  return limits.flatMap((l) =>
    l.averaging === "1h" || l.averaging === "24h"
      ? [{
        label: l.label,
        field: l.field,
        averaging: l.averaging,
        threshold: l.threshold,
        unit: l.unit,
      }]
      : []
  );
}

/** Hours of a day that must be present for its mean to count (75 %, the EU data-capture rule). */
const DAY_MIN_HOURS = 18;

function exceedancesOf(
  frame: HourlyFrame,
  cal: Calendar,
  limits: readonly LimitSpec[],
): Exceedance[] {
  return limits.map((l) => {
    const x = frame.columns[l.field];
    const values = l.averaging === "1h" ? x : dailyMeans(x, cal.day, DAY_MIN_HOURS).values;
    let above = 0, present = 0;
    for (const v of values) if (!Number.isNaN(v)) (present++, v > l.threshold && above++);
    const when = l.averaging === "1h" ? whenExceeded(x, cal, l.threshold) : null;
    return { ...l, name: columnOf(l.field).name, above, present, when };
  });
}

/** Column spec of a field (its source name and unit). */
export function columnOf(field: MeasurementField): { name: string; unit: string } {
  const c = COLUMNS.find((c) => c.field === field)!;
  return { name: c.source, unit: c.unit };
}

/** Formats a local-time millisecond value as `YYYY-MM-DD HH:00`. */
export function localLabel(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

function analyzePollutant(
  frame: HourlyFrame,
  cal: Calendar,
  field: MeasurementField,
  config: AnalysisConfig,
  phases: { hourOfDay: Uint8Array; hourOfWeek: Uint16Array },
): PollutantAnalysis {
  const x = frame.columns[field];
  const { name, unit } = columnOf(field);
  const daily = dailyMeans(x, cal.day);
  const dayIndex = Float64Array.from(daily.days, (_, i) => i);
  const trend = theilSen(dayIndex, daily.values);
  const m = mean(x);
  const profile = hourlyProfile(x, cal);
  const weekday = profile.filter((p) => p.daytype === "weekday");
  const peak = weekday.reduce((a, b) => (b.mean > a.mean ? b : a));
  const trough = weekday.reduce((a, b) => (b.mean < a.mean ? b : a));
  const weekendMean = mean(profile.filter((p) => p.daytype === "weekend").map((p) => p.mean));
  const r = acf(x, Math.max(config.acfMaxLag, config.pacfMaxLag));
  let missing = 0;
  for (const v of x) if (Number.isNaN(v)) missing++;
  return {
    field,
    name,
    unit,
    missingShare: missing / x.length,
    level: { mean: m, median: quantile(x, 0.5), p95: quantile(x, 0.95) },
    daily: {
      ...daily,
      rolling: rollingMean(daily.values, config.rollingDays, {
        centered: true,
        minPresent: Math.ceil(config.rollingDays / 2),
      }),
    },
    trend: { ...trend, perYearPct: (100 * trend.slope * 365) / m },
    outages: outages(x, config.anomalies.outageMinHours),
    profile,
    dow: dayOfWeekEffects(x, cal),
    months: monthlyLevels(x, cal),
    seasons: seasonalLevels(x, cal),
    acf: r.slice(0, config.acfMaxLag + 1),
    pacf: pacfFromAcf(r, config.pacfMaxLag),
    bound: whiteNoiseBound(x),
    decomposition: decompose(x, phases),
    peaks: {
      weekdayPeakHour: peak.hour,
      weekdayPeak: peak.mean,
      weekdayTrough: trough.mean,
      weekendRatio: weekendMean / mean(weekday.map((p) => p.mean)),
    },
  };
}

/** Runs every analysis on a frame; `limits` are counted as exceedances. */
export function analyzeFrame(
  frame: HourlyFrame,
  config: AnalysisConfig,
  limits: readonly LimitSpec[] = [],
): Analysis {
  const cal = calendarOf(frame);
  const n = frame.epochMs.length;
  const phases = {
    hourOfDay: Uint8Array.from(cal.hour),
    hourOfWeek: Uint16Array.from({ length: n }, (_, i) => cal.dow[i]! * 24 + cal.hour[i]!),
  };
  const pollutants = config.pollutants.map((f) => analyzePollutant(frame, cal, f, config, phases));
  const sensorFields = COLUMNS.filter((c) => c.kind === "sensor").map((c) => c.field);
  const sensorResiduals = new Map(
    sensorFields.map((f) => [f, decompose(frame.columns[f], phases).residual]),
  );
  const pairs = pollutants.map((p) => {
    const best = sensorFields
      .map((f) => ({ f, rho: spearman(frame.columns[p.field], frame.columns[f]).r }))
      .reduce((a, b) => (Math.abs(b.rho) > Math.abs(a.rho) ? b : a));
    return { p, sensor: best.f, rho: best.rho };
  });
  const paired: PairedSeries[] = pairs.map(({ p, sensor, rho }) => ({
    reference: p.name,
    sensor: columnOf(sensor).name,
    refValues: frame.columns[p.field],
    sensorValues: frame.columns[sensor],
    refResidual: p.decomposition.residual,
    sensorResidual: sensorResiduals.get(sensor)!,
    sign: rho < 0 ? -1 : 1,
  }));
  const crossCorrelations: CrossCorrelation[] = [];
  for (const { p, sensor } of pairs) {
    for (const other of [sensor, "t_c", "rh_pct"] as MeasurementField[]) {
      const points = crossCorrelation(
        frame.columns[other],
        frame.columns[p.field],
        config.ccfMaxLag,
      );
      crossCorrelations.push({
        x: columnOf(other).name,
        y: p.name,
        points,
        best: points.reduce((a, b) => (Math.abs(b.r) > Math.abs(a.r) ? b : a)),
      });
    }
  }
  let sensorOutageHours = 0;
  for (let i = 0; i < n; i++) {
    if (sensorFields.every((f) => Number.isNaN(frame.columns[f][i]!))) sensorOutageHours++;
  }
  const local = Float64Array.from({ length: n }, (_, i) => localMs(frame, i));
  return {
    range: { first: localLabel(local[0]!), last: localLabel(local[n - 1]!), hours: n },
    localMs: local,
    calendar: cal,
    pollutants,
    correlations: correlationMatrix(
      config.correlationFields.map((f) => ({ name: columnOf(f).name, values: frame.columns[f] })),
    ),
    crossCorrelations,
    pairs: pairs.map(({ p, sensor, rho }) => ({
      reference: p.name,
      sensor: columnOf(sensor).name,
      rho,
    })),
    episodes: findEpisodes(paired, config.anomalies),
    drift: config.calibrationPairs.flatMap(({ sensor, reference }) =>
      monthlyCalibration(
        { name: columnOf(sensor).name, values: frame.columns[sensor] },
        { name: columnOf(reference).name, values: frame.columns[reference] },
        cal.month,
        config.calibrationMinHours,
      )
    ),
    sensorOutageHours,
    exceedances: exceedancesOf(frame, cal, limits),
  };
}
