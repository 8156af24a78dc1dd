/**
 * Small helpers shared by the analysis figures' Vega-Lite specs: values
 * rounded for the page (missing as `null`), station days as UTC times, the
 * month axis and pollutant titles.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import type { PollutantAnalysis } from "../analysis/run.ts";

/** A value rounded to 5 significant digits, or null (which Vega-Lite leaves out). */
export const v = (
  x: number,
): number | null => (Number.isFinite(x) ? Number(x.toPrecision(5)) : null);
/** Midnight of a `YYYY-MM-DD` day, as UTC milliseconds (station time read as UTC). */
export const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);
/** An x axis of station times read as UTC, labelled by month. */
export const UTC_X = (title: string): Record<string, unknown> => ({
  field: "t",
  type: "temporal",
  title,
  scale: { type: "utc" },
  axis: { format: "%b %y", labelAngle: 0 },
});
/** A pollutant's axis title: name and unit. */
export const label = (p: PollutantAnalysis): string => `${p.name} (${p.unit})`;
