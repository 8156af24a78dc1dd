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
import type { Analysis, PollutantAnalysis } from "../analysis/run.ts";

const v = (x: number): number | null => (Number.isFinite(x) ? Number(x.toPrecision(5)) : null);
const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);
const UTC_X = (title: string) => ({
  field: "t",
  type: "temporal",
  title,
  scale: { type: "utc" },
  axis: { format: "%b %y", labelAngle: 0 },
});
const label = (p: PollutantAnalysis) => `${p.name} (${p.unit})`;

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

function correlation(a: Analysis): VegaLiteSpec {
  const names = [...new Set(a.correlations.flatMap((c) => [c.a, c.b]))];
  const heat = (method: "pearson" | "spearman", title: string) => {
    const values = [
      ...a.correlations.flatMap((c) => [
        { a: c.a, b: c.b, r: v(c[method]) },
        { a: c.b, b: c.a, r: v(c[method]) },
      ]),
      ...names.map((n) => ({ a: n, b: n, r: 1 })),
    ];
    const axis = { sort: names, title: null };
    return {
      title,
      width: 330,
      height: 330,
      data: { values },
      layer: [
        {
          mark: "rect",
          encoding: {
            x: { field: "a", type: "nominal", ...axis },
            y: { field: "b", type: "nominal", ...axis },
            color: {
              field: "r",
              type: "quantitative",
              scale: { scheme: "redblue", domain: [-1, 1], reverse: true },
              title: "r",
            },
          },
        },
        {
          mark: { type: "text", fontSize: 8 },
          encoding: {
            x: { field: "a", type: "nominal", ...axis },
            y: { field: "b", type: "nominal", ...axis },
            text: { field: "r", type: "quantitative", format: ".2f" },
          },
        },
      ],
    };
  };
  return { hconcat: [heat("pearson", "Pearson r"), heat("spearman", "Spearman ρ")] };
}

function ccf(a: Analysis): VegaLiteSpec {
  const values = a.crossCorrelations.flatMap((c) =>
    c.points.map((p) => ({ y: c.y, x: c.x, lag: p.lag, r: v(p.r) }))
  );
  return {
    data: { values },
    facet: {
      column: { field: "y", title: "pollutant at t + lag", sort: a.pollutants.map((p) => p.name) },
    },
    spec: {
      width: 170,
      height: 150,
      mark: "line",
      encoding: {
        x: { field: "lag", type: "quantitative", title: "lag (h)" },
        y: { field: "r", type: "quantitative", title: "Pearson r" },
        color: { field: "x", type: "nominal", title: "series at t" },
      },
    },
  };
}

/** Axis ticks every `step` hours up to `max` (24/48/…/168 for the ACF: the cycles people think in). */
const hourTicks = (max: number, step: number) =>
  Array.from({ length: Math.floor(max / step) + 1 }, (_, k) => k * step);

function correlogram(
  p: PollutantAnalysis,
  kind: "ACF" | "PACF",
  r: Float64Array,
  step: number,
): VegaLiteSpec {
  const maxLag = r.length - 1;
  const values = Array.from(r).slice(1).map((x, i) => ({ lag: i + 1, r: v(x) }));
  const x = {
    field: "lag",
    type: "quantitative",
    title: "lag (h)",
    scale: { domain: [0, maxLag], nice: false },
    axis: { values: hourTicks(maxLag, step) },
  };
  const bound = (y: number) => ({
    mark: { type: "rule", color: "#d62728", strokeDash: [4, 2] },
    encoding: { y: { datum: v(y), type: "quantitative" } },
  });
  return {
    width: 330,
    height: 90,
    title: { text: `${p.name}: ${kind}`, fontSize: 11 },
    data: { values },
    layer: [
      {
        mark: { type: "bar", width: 2 },
        encoding: { x, y: { field: "r", type: "quantitative", title: null } },
      },
      bound(p.bound),
      bound(-p.bound),
    ],
  };
}

/** One row per pollutant (config order), ACF to 168 h left, PACF to 48 h right. */
function acfPacf(a: Analysis): VegaLiteSpec {
  return {
    vconcat: a.pollutants.map((p) => ({
      hconcat: [correlogram(p, "ACF", p.acf, 24), correlogram(p, "PACF", p.pacf, 6)],
    })),
  };
}

function decomposition(a: Analysis, p: PollutantAnalysis): VegaLiteSpec {
  const d = p.decomposition;
  const long = Array.from(a.localMs).flatMap((t, i) => [
    ...(i % 6 === 0 ? [{ t, part: "trend", value: v(d.trend[i]!) }] : []),
    { t, part: "residual", value: v(d.residual[i]!) },
  ]);
  const firstMonday = a.calendar.dow.findIndex((w, i) => w === 0 && a.calendar.hour[i] === 0);
  const week = Array.from({ length: 168 }, (_, k) => {
    const i = Math.max(firstMonday, 0) + k;
    return { h: k, daily: v(d.daily[i] ?? NaN), weekly: v(d.weekly[i] ?? NaN) };
  });
  const line = (field: string, title: string) => ({
    width: 760,
    height: 90,
    data: { values: week },
    mark: "line",
    encoding: {
      x: { field: "h", type: "quantitative", title: "hour of the week (Monday 00:00 = 0)" },
      y: { field, type: "quantitative", title },
    },
  });
  return {
    title: `${p.name}: trend, daily and weekly components, residual`,
    vconcat: [
      ...["trend", "residual"].map((part) => ({
        width: 760,
        height: 90,
        data: { values: long.filter((r) => r.part === part) },
        mark: { type: "line", strokeWidth: part === "residual" ? 0.5 : 1.5 },
        encoding: {
          x: UTC_X(""),
          y: { field: "value", type: "quantitative", title: `${part} (${p.unit})` },
        },
      })),
      line("daily", `daily (${p.unit})`),
      line("weekly", `weekly (${p.unit})`),
    ],
  };
}

/** Hours above each 1 h limit, by month and local hour: when the exceedances happen. */
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
