/**
 * Vega-Lite specs of the analysis figures, built from an {@linkcode Analysis}.
 * Times are local station time read as UTC (`scale: {type: "utc"}`), so the
 * axes show station time whatever the process's time zone. Missing values
 * become `null`, which Vega-Lite leaves out.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import type { Figure, VegaLiteSpec } from "./mod.ts";
import { DOW_NAMES } from "../analysis/profiles.ts";
import type { Analysis } from "../analysis/run.ts";
import { dayMs, label, UTC_X, v } from "./figure_values.ts";
import { acfPacf, ccf, correlation, decomposition } from "./analysis_figures_dependence.ts";

function timeseries(a: Analysis): VegaLiteSpec {
  return {
    vconcat: a.pollutants.map((p) => {
      const t0 = dayMs(p.daily.days[0]!);
      const last = p.daily.days.length - 1;
      const days = p.daily.days.map((d, i) => ({
        t: dayMs(d),
        daily: v(p.daily.values[i]!),
        rolling: v(p.daily.rolling[i]!),
      }));
      const trend = [0, last].map((i) => ({
        t: t0 + i * 86_400_000,
        trend: v(p.trend.intercept + p.trend.slope * i),
      }));
      const gaps = p.outages.map((o) => ({ t: a.localMs[o.start]!, t2: a.localMs[o.end]! }));
      const layers: VegaLiteSpec[] = [
        {
          data: { values: days },
          mark: { type: "line", color: "#bbb", strokeWidth: 1 },
          encoding: { x: UTC_X(""), y: { field: "daily", type: "quantitative", title: label(p) } },
        },
        {
          data: { values: days },
          mark: { type: "line", color: "#1f77b4", strokeWidth: 2 },
          encoding: { x: UTC_X(""), y: { field: "rolling", type: "quantitative" } },
        },
        {
          data: { values: trend },
          mark: { type: "line", color: "#d62728", strokeDash: [6, 3] },
          encoding: { x: UTC_X(""), y: { field: "trend", type: "quantitative" } },
        },
      ];
      if (gaps.length > 0) {
        layers.unshift({
          data: { values: gaps },
          mark: { type: "rect", color: "#f4a582", opacity: 0.35 },
          encoding: { x: { ...UTC_X(""), field: "t" }, x2: { field: "t2" } },
        });
      }
      return { width: 760, height: 120, title: p.name, layer: layers };
    }),
  };
}

function profiles(a: Analysis): VegaLiteSpec {
  return {
    columns: 2,
    concat: a.pollutants.map((p) => {
      const values = p.profile.filter((q) => q.n > 0).map((q) => ({
        hour: q.hour,
        daytype: q.daytype,
        mean: v(q.mean),
        lo: v(q.lo),
        hi: v(q.hi),
      }));
      const color = { field: "daytype", type: "nominal", title: "days" };
      return {
        width: 330,
        height: 160,
        title: p.name,
        data: { values },
        layer: [
          {
            mark: { type: "area", opacity: 0.25 },
            encoding: {
              x: { field: "hour", type: "quantitative", title: "local hour" },
              y: { field: "lo", type: "quantitative", title: label(p) },
              y2: { field: "hi" },
              color,
            },
          },
          {
            mark: "line",
            encoding: {
              x: { field: "hour", type: "quantitative" },
              y: { field: "mean", type: "quantitative" },
              color,
            },
          },
        ],
      };
    }),
  };
}

function dow(a: Analysis): VegaLiteSpec {
  const values = a.pollutants.flatMap((p) =>
    p.dow.filter((d) => d.n > 1).map((d) => ({
      pollutant: p.name,
      dow: d.dow,
      ratio: v(d.ratio),
      lo: v(d.lo / (d.mean / d.ratio)),
      hi: v(d.hi / (d.mean / d.ratio)),
    }))
  );
  const x = { field: "dow", type: "ordinal", sort: [...DOW_NAMES], title: null };
  return {
    data: { values },
    facet: { column: { field: "pollutant", title: null, sort: a.pollutants.map((p) => p.name) } },
    spec: {
      width: 150,
      height: 150,
      layer: [
        {
          mark: { type: "bar", color: "#4c78a8" },
          encoding: {
            x,
            y: { field: "ratio", type: "quantitative", title: "daily mean / mean of all days" },
          },
        },
        {
          mark: { type: "rule", color: "black" },
          encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } },
        },
      ],
    },
  };
}

function monthly(a: Analysis): VegaLiteSpec {
  return {
    columns: 2,
    concat: a.pollutants.map((p) => ({
      width: 330,
      height: 130,
      title: p.name,
      data: {
        values: p.months.filter((m) => m.coverage > 0).map((m) => ({
          t: dayMs(`${m.month}-15`),
          mean: v(m.mean),
          lo: v(m.lo),
          hi: v(m.hi),
        })),
      },
      layer: [
        {
          mark: { type: "area", opacity: 0.2 },
          encoding: {
            x: UTC_X(""),
            y: { field: "lo", type: "quantitative", title: label(p) },
            y2: { field: "hi" },
          },
        },
        {
          mark: { type: "line", point: true },
          encoding: { x: UTC_X(""), y: { field: "mean", type: "quantitative" } },
        },
      ],
    })),
  };
}

function exceedances(a: Analysis): VegaLiteSpec {
  const hourly = a.exceedances.filter((e) => e.when !== null && e.above > 0);
  return {
    vconcat: hourly.map((e) => ({
      width: 660,
      height: 170,
      title: `${e.name} above ${e.threshold} ${e.unit} (${e.label}): ${e.above} hours`,
      data: { values: e.when!.byMonthHour.map((c) => ({ ...c, t: dayMs(`${c.month}-15`) })) },
      mark: "rect",
      encoding: {
        x: {
          field: "month",
          type: "ordinal",
          title: null,
          sort: [...new Set(a.calendar.month)],
          scale: { domain: [...new Set(a.calendar.month)] },
        },
        y: {
          field: "hour",
          type: "ordinal",
          title: "local hour",
          scale: { domain: Array.from({ length: 24 }, (_, h) => h) },
          axis: { values: [0, 3, 6, 9, 12, 15, 18, 21] },
        },
        color: {
          field: "n",
          type: "quantitative",
          title: "hours above",
          scale: { scheme: "reds" },
        },
      },
    })),
  };
}

function anomalies(a: Analysis): VegaLiteSpec {
  return {
    vconcat: a.pollutants.map((p) => {
      const d = p.decomposition;
      const max = new Map<string, number>();
      a.calendar.day.forEach((day, i) => {
        const x = d.residual[i]! + d.trend[i]! + d.daily[i]! + d.weekly[i]!;
        if (Number.isFinite(x)) max.set(day, Math.max(max.get(day) ?? -Infinity, x));
      });
      const days = p.daily.days.map((day) => ({ t: dayMs(day), max: v(max.get(day) ?? NaN) }));
      const points = a.episodes.filter((e) => e.series === p.name && e.method !== "missing data")
        .map((e) => ({
          t: a.localMs[e.start]!,
          value: v(e.peakValue),
          cause: e.cause,
          method: e.method,
        }));
      const layers: VegaLiteSpec[] = [
        {
          data: { values: days },
          mark: { type: "line", color: "#999", strokeWidth: 1 },
          encoding: {
            x: UTC_X(""),
            y: { field: "max", type: "quantitative", title: `daily max (${p.unit})` },
          },
        },
      ];
      if (points.length > 0) {
        layers.push({
          data: { values: points },
          mark: { type: "point", filled: true, size: 40 },
          encoding: {
            x: UTC_X(""),
            y: { field: "value", type: "quantitative" },
            color: {
              field: "cause",
              type: "nominal",
              scale: {
                domain: ["real pollution event", "sensor fault", "analyser outage"],
                range: ["#d62728", "#9467bd", "#ff7f0e"],
              },
            },
            shape: { field: "method", type: "nominal" },
          },
        });
      }
      return { width: 760, height: 110, title: p.name, layer: layers };
    }),
  };
}

function drift(a: Analysis): VegaLiteSpec {
  const first = new Map<string, number>();
  for (const d of a.drift) if (!first.has(d.sensor)) first.set(d.sensor, d.slope);
  const values = a.drift.map((d) => ({
    t: dayMs(`${d.month}-15`),
    pair: `${d.sensor} vs ${d.reference}`,
    slope: v(d.slope / first.get(d.sensor)!),
    r2: v(d.r2),
  }));
  const color = { field: "pair", type: "nominal", title: "sensor vs reference" };
  const chart = (field: string, title: string) => ({
    width: 340,
    height: 180,
    mark: { type: "line", point: true },
    encoding: {
      x: UTC_X(""),
      y: { field, type: "quantitative", title, scale: { zero: false } },
      color,
    },
  });
  return {
    data: { values },
    hconcat: [chart("slope", "monthly slope / first month's slope"), chart("r2", "monthly R²")],
  };
}

/** Every figure of the analysis report, in reading order. */
export function analysisFigures(a: Analysis): Figure[] {
  return [...levelFigures(a), ...eventFigures(a)];
}

/** Levels, cycles and dependence: from the daily series to the ACF. */
function levelFigures(a: Analysis): Figure[] {
  const names = a.pollutants.map((p) => p.name).join(", ");
  return [
    {
      id: "timeseries",
      title: "Daily means, 7-day rolling mean and Theil-Sen trend",
      caption:
        `Grey: daily means of ${names}; blue: centred rolling mean of the daily means; red dashes: Theil-Sen line; shaded: analyser outages.`,
      spec: timeseries(a),
    },
    {
      id: "profiles",
      title: "Hourly profiles, weekdays and weekends",
      caption: "Mean per local hour with its 95 % confidence band (t interval over days).",
      spec: profiles(a),
    },
    {
      id: "dow",
      title: "Day-of-week effect",
      caption:
        "Mean of the daily means per day of week relative to the mean of all days, with 95 % intervals.",
      spec: dow(a),
    },
    {
      id: "monthly",
      title: "Monthly levels",
      caption: "Mean per calendar month; band: 95 % interval of the month's daily means.",
      spec: monthly(a),
    },
    {
      id: "correlation",
      title: "Correlation matrix",
      caption:
        "Pairwise-complete correlations of hourly values; the p-values, Holm-adjusted, are in the table below.",
      spec: correlation(a),
    },
    {
      id: "ccf",
      title: "Lagged cross-correlations",
      caption:
        "Correlation of a series at t with each pollutant at t + lag (positive lag: the series leads).",
      spec: ccf(a),
    },
    {
      id: "acf",
      title: "ACF and PACF",
      caption:
        "Autocorrelation and partial autocorrelation (Durbin-Levinson) per lag; red dashes: ±1.96/√n.",
      spec: acfPacf(a),
    },
  ];
}

/** Decompositions, anomalies, exceedances and sensor drift. */
function eventFigures(a: Analysis): Figure[] {
  return [
    ...a.pollutants.map((p) => ({
      id: `decomposition-${p.field}`,
      title: `Decomposition of ${p.name}`,
      caption:
        "Trend (2×168 h moving average), daily and weekly components (one week shown), residual (hourly; gaps are missing hours).",
      spec: decomposition(a, p),
    })),
    {
      id: "anomalies",
      title: "Anomalous episodes",
      caption:
        "Daily maximum of each pollutant; points: episode peaks, coloured by likely cause, shaped by detector.",
      spec: anomalies(a),
    },
    ...(a.exceedances.some((e) => e.when !== null && e.above > 0)
      ? [{
        id: "exceedances",
        title: "Hours above the hourly limits, by month and hour of the day",
        caption:
          "Each cell counts the hours above the limit in that month at that local hour; months without a cell had none.",
        spec: exceedances(a),
      }]
      : []),
    {
      id: "drift",
      title: "Cheap sensors against the reference, month by month",
      caption:
        "Slope of the monthly least-squares fit sensor = a + b·reference, relative to the first month, and its R².",
      spec: drift(a),
    },
  ];
}
