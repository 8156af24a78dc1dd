/**
 * The analysis figures of dependence and structure (see ./analysis_figures.ts):
 * the correlation matrix, lagged cross-correlations, ACF and PACF, and each
 * pollutant's decomposition into trend, daily and weekly components.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import type { VegaLiteSpec } from "./mod.ts";
import type { Analysis, PollutantAnalysis } from "../analysis/run.ts";
import { UTC_X, v } from "./figure_values.ts";

export function correlation(a: Analysis): VegaLiteSpec {
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

export function ccf(a: Analysis): VegaLiteSpec {
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
export function acfPacf(a: Analysis): VegaLiteSpec {
  return {
    vconcat: a.pollutants.map((p) => ({
      hconcat: [correlogram(p, "ACF", p.acf, 24), correlogram(p, "PACF", p.pacf, 6)],
    })),
  };
}

export function decomposition(a: Analysis, p: PollutantAnalysis): VegaLiteSpec {
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
