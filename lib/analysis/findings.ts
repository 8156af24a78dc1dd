/**
 * The headline numbers of an analysis, gathered once so that the Markdown
 * report, the HTML page and the final report quote the same computed values.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import type { Cause, Episode, Reason } from "./anomalies.ts";
import type { Analysis } from "./run.ts";

/** Headline numbers of one pollutant. */
export interface PollutantFindings {
  /** Column name, e.g. `CO(GT)`. */
  name: string;
  /** Unit. */
  unit: string;
  /** Percentage of hours missing. */
  missingPct: number;
  /** Mean of the present hours. */
  mean: number;
  /** 95th percentile. */
  p95: number;
  /** Local hour of the weekday maximum, its mean and the weekday minimum. */
  peakHour: number;
  /** Weekday peak mean over weekday trough mean. */
  peakToTrough: number;
  /** How much lower the weekend profile is than the weekday one, in %. */
  weekendDropPct: number;
  /** Variance shares of the decomposition, in %. */
  sharesPct: { trend: number; daily: number; weekly: number; residual: number };
  /** Theil-Sen slope of the daily means, % of the mean per year. */
  trendPerYearPct: number;
  /** Season with the highest and the lowest mean. */
  season: { high: string; highMean: number; low: string; lowMean: number };
  /** ACF at 1 h, 24 h and 168 h (if computed). */
  acf: { lag1: number; lag24: number; lag168: number };
  /** PACF lags beyond the ±1.96/√n bound. */
  pacfLags: number[];
  /** The six largest partial autocorrelations by size, in lag order. */
  pacfTop: { lag: number; value: number }[];
  /** Share of the hourly variance the trend and the daily and weekly cycles explain, %. */
  explainedPct: number;
  /** The month (≥ 20 days with data) with the lowest mean, against the mean of the two months before it. */
  lowestMonth: { month: string; mean: number; vsPreviousPct: number } | null;
  /** The longest run of missing hours: first and last local day, and its length. */
  longestOutage: { first: string; last: string; hours: number } | null;
  /** The same calendar month in the first and the last year (both ≥ 20 days with data). */
  sameMonth: { first: string; last: string; firstMean: number; lastMean: number } | null;
  /** Spearman ρ with temperature and relative humidity. */
  rhoT: number;
  /** Spearman ρ with relative humidity. */
  rhoRH: number;
}

/** Monthly drift of one cheap sensor. */
export interface DriftFindings {
  /** Sensor and reference names. */
  pair: string;
  /** First and last month. */
  firstMonth: string;
  /** Last month fitted. */
  lastMonth: string;
  /** Slope change from the first to the last month, %. */
  slopeChangePct: number;
  /** Smallest and largest monthly R². */
  r2Min: number;
  /** Largest monthly R². */
  r2Max: number;
  /** Range of the monthly slopes relative to the first, % (max − min). */
  slopeRangePct: number;
  /** The largest change between two consecutive fitted months, % of the earlier slope. */
  largestStep: { from: string; to: string; pct: number };
  /** Outages (≥ the outage length) of the reference that began in the two months of that step. */
  outagesAtStep: { count: number; hours: number };
}

/** All headline numbers. */
export interface Findings {
  /** Per pollutant, in config order. */
  pollutants: PollutantFindings[];
  /** Per calibration pair. */
  drift: DriftFindings[];
  /** Episodes per cause. */
  causes: Record<Cause, number>;
  /** Episodes per rule that gave their cause. */
  reasons: Record<Reason, number>;
  /** Distinct local days with a real pollution event. */
  eventDays: number;
  /** Episodes per detector. */
  methods: Record<Episode["method"], number>;
  /** The robust-z real pollution event with the largest |z|, if any. */
  largestEvent: Episode | null;
  /** The strongest pollutant-to-cheap-sensor association per pollutant. */
  pairs: Analysis["pairs"];
  /** Correlation tests, and how many stay significant at 5 % after Holm (Spearman). */
  tests: {
    count: number;
    significantHolm: number;
    significantBh: number;
    /** Significant after Holm at the effective sample size (hours are autocorrelated). */
    significantEff: number;
    /** Smallest and largest effective sample size over the pairs. */
    nEffRange: [number, number];
  };
  /** Limit exceedances, as counted by the analysis. */
  exceedances: Analysis["exceedances"];
}

const MIN_MONTH_DAYS = 20;

function monthFindings(p: Analysis["pollutants"][number]): Pick<
  PollutantFindings,
  "lowestMonth" | "sameMonth"
> {
  const full = p.months.filter((m) => m.n >= MIN_MONTH_DAYS);
  const lowest = full.reduce<(typeof full)[number] | null>(
    (a, b) => (a === null || b.mean < a.mean ? b : a),
    null,
  );
  let lowestMonth: PollutantFindings["lowestMonth"] = null;
  if (lowest !== null) {
    const i = full.indexOf(lowest);
    const before = full.slice(Math.max(0, i - 2), i);
    const ref = before.reduce((s, m) => s + m.mean, 0) / before.length;
    lowestMonth = {
      month: lowest.month,
      mean: lowest.mean,
      vsPreviousPct: before.length === 0 ? NaN : 100 * (lowest.mean / ref - 1),
    };
  }
  let sameMonth: PollutantFindings["sameMonth"] = null;
  const last = full.at(-1);
  if (last !== undefined) {
    const earlier = full.find((m) =>
      m.month.slice(5) === last.month.slice(5) && m.month !== last.month
    );
    if (earlier !== undefined) {
      sameMonth = {
        first: earlier.month,
        last: last.month,
        firstMean: earlier.mean,
        lastMean: last.mean,
      };
    }
  }
  return { lowestMonth, sameMonth };
}

function rho(a: Analysis, x: string, y: string): number {
  const c = a.correlations.find((c) => (c.a === x && c.b === y) || (c.a === y && c.b === x));
  return c?.spearman ?? NaN;
}

/** Computes the headline numbers of an analysis. */
export function findingsOf(a: Analysis): Findings {
  const pollutants = a.pollutants.map((p) => pollutantFindings(a, p));
  const drift = driftFindings(a);
  const { causes, methods, reasons } = episodeCounts(a);
  const events = a.episodes.filter((e) => e.cause === "real pollution event");
  return {
    pollutants,
    drift,
    causes,
    reasons,
    eventDays: new Set(events.map((e) => a.calendar.day[e.start])).size,
    methods,
    largestEvent: events.reduce<Episode | null>(
      (m, e) => (m === null || Math.abs(e.peakZ) > Math.abs(m.peakZ) ? e : m),
      null,
    ),
    pairs: a.pairs,
    tests: {
      count: a.correlations.length,
      significantHolm: a.correlations.filter((c) => c.holmSpearman < 0.05).length,
      significantBh: a.correlations.filter((c) => c.bhSpearman < 0.05).length,
      significantEff: a.correlations.filter((c) => c.holmEffSpearman < 0.05).length,
      nEffRange: [
        Math.min(...a.correlations.map((c) => c.nEff)),
        Math.max(...a.correlations.map((c) => c.nEff)),
      ],
    },
    exceedances: a.exceedances,
  };
}

/** One pollutant's findings: level, cycles, variance shares, trend, ACF/PACF, months, outages. */
function pollutantFindings(a: Analysis, p: Analysis["pollutants"][number]): PollutantFindings {
  const s = p.decomposition.varianceShare;
  const seasons = p.seasons.filter((x) => x.n > 0);
  const high = seasons.reduce((x, y) => (y.mean > x.mean ? y : x));
  const low = seasons.reduce((x, y) => (y.mean < x.mean ? y : x));
  return {
    name: p.name,
    unit: p.unit,
    missingPct: 100 * p.missingShare,
    mean: p.level.mean,
    p95: p.level.p95,
    peakHour: p.peaks.weekdayPeakHour,
    peakToTrough: p.peaks.weekdayPeak / p.peaks.weekdayTrough,
    weekendDropPct: 100 * (1 - p.peaks.weekendRatio),
    sharesPct: {
      trend: 100 * s.trend,
      daily: 100 * s.daily,
      weekly: 100 * s.weekly,
      residual: 100 * s.residual,
    },
    trendPerYearPct: p.trend.perYearPct,
    season: { high: high.season, highMean: high.mean, low: low.season, lowMean: low.mean },
    acf: { lag1: p.acf[1] ?? NaN, lag24: p.acf[24] ?? NaN, lag168: p.acf[168] ?? NaN },
    pacfLags: Array.from(p.pacf).flatMap((v, k) => (k > 0 && Math.abs(v) > p.bound ? [k] : [])),
    pacfTop: Array.from(p.pacf, (value, lag) => ({ lag, value }))
      .filter((x) => x.lag > 0)
      .sort((x, y) => Math.abs(y.value) - Math.abs(x.value))
      .slice(0, 6)
      .sort((x, y) => x.lag - y.lag),
    explainedPct: 100 * (1 - s.residual),
    ...monthFindings(p),
    longestOutage: p.outages.reduce<PollutantFindings["longestOutage"]>(
      (m, o) =>
        m === null || o.hours > m.hours
          ? { first: a.calendar.day[o.start]!, last: a.calendar.day[o.end]!, hours: o.hours }
          : m,
      null,
    ),
    rhoT: rho(a, p.name, "T"),
    rhoRH: rho(a, p.name, "RH"),
  };
}

/** Per cheap sensor and reference pair: how the monthly fit moved, and its largest step. */
function driftFindings(a: Analysis): DriftFindings[] {
  const pairs = [...new Set(a.drift.map((d) => `${d.sensor} vs ${d.reference}`))];
  return pairs.map((pair): DriftFindings => {
    const ds = a.drift.filter((d) => `${d.sensor} vs ${d.reference}` === pair);
    const first = ds[0]!, last = ds.at(-1)!;
    const rel = ds.map((d) => d.slope / first.slope);
    const steps = ds.slice(1).map((d, i) => ({
      from: ds[i]!.month,
      to: d.month,
      pct: 100 * (d.slope / ds[i]!.slope - 1),
    }));
    const largestStep = steps.reduce((x, y) => (Math.abs(y.pct) > Math.abs(x.pct) ? y : x), {
      from: first.month,
      to: first.month,
      pct: 0,
    });
    const atStep = (a.pollutants.find((p) => p.name === first.reference)?.outages ?? [])
      .filter((o) => [largestStep.from, largestStep.to].includes(a.calendar.month[o.start]!));
    return {
      pair,
      firstMonth: first.month,
      lastMonth: last.month,
      slopeChangePct: 100 * (last.slope / first.slope - 1),
      r2Min: Math.min(...ds.map((d) => d.r2)),
      r2Max: Math.max(...ds.map((d) => d.r2)),
      slopeRangePct: 100 * (Math.max(...rel) - Math.min(...rel)),
      largestStep,
      outagesAtStep: { count: atStep.length, hours: atStep.reduce((n, o) => n + o.hours, 0) },
    };
  });
}

/** The anomalous episodes counted by cause, by detector and by reason. */
function episodeCounts(
  a: Analysis,
): {
  causes: Record<Cause, number>;
  methods: Record<Episode["method"], number>;
  reasons: Record<Reason, number>;
} {
  const causes: Record<Cause, number> = {
    "analyser outage": 0,
    "sensor fault": 0,
    "real pollution event": 0,
  };
  const methods: Record<Episode["method"], number> = {
    "robust z": 0,
    "isolation forest": 0,
    "missing data": 0,
  };
  const reasons: Record<Reason, number> = {
    "reference outage": 0,
    "sensor block outage": 0,
    "stuck value": 0,
    "sensor missing at peak": 0,
    "sensor alone": 0,
    "disagree": 0,
    "agree": 0,
  };
  for (const e of a.episodes) (causes[e.cause]++, methods[e.method]++, reasons[e.reason]++);
  return { causes, methods, reasons };
}
