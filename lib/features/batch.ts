/**
 * Features for every hour of a series at once, by the same `computeFeatures`
 * the incremental state uses, reading the series through a view that stops at
 * the row's hour.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { MEASUREMENT_FIELDS } from "../records/reading.ts";
import {
  computeFeatures,
  featureCount,
  featureNames,
  type FeatureSpec,
  HISTORY_H,
  type HistoryView,
} from "./compute.ts";
import { HOUR_MS, type HourlySeries } from "./series.ts";

/** A row-major matrix of features: row i is information time `startMs + (from + i) h`. */
export interface FeatureMatrix {
  /** Feature names, one per column. */
  readonly names: readonly string[];
  /** Rows. */
  readonly n: number;
  /** Columns. */
  readonly p: number;
  /** Row-major values, `NaN` for missing. */
  readonly data: Float64Array;
  /** Index in the series of row 0. */
  readonly from: number;
}

class SeriesView implements HistoryView {
  readonly #columns: Float64Array[];
  index = 0;
  constructor(series: HourlySeries) {
    this.#columns = MEASUREMENT_FIELDS.map((f) => series.columns[f]);
  }
  value(fieldIndex: number, lag: number): number {
    const i = this.index - lag;
    if (lag < 0 || lag >= HISTORY_H || i < 0) return NaN;
    return this.#columns[fieldIndex]![i]!;
  }
}

/**
 * Features at every information time with index in `[from, to)` of the series
 * (default: all hours).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildFeatureMatrix, emptySeries } from "./mod.ts";
 * const m = buildFeatureMatrix(emptySeries(0, 5), { mode: "forecast", horizonH: 6, utcOffsetMin: 60 });
 * assert.equal(m.n, 5);
 * assert.equal(m.data.length, 5 * m.p);
 * ```
 */
export function buildFeatureMatrix(
  series: HourlySeries,
  spec: FeatureSpec,
  options: { from?: number; to?: number } = {},
): FeatureMatrix {
  const from = Math.max(0, options.from ?? 0);
  const to = Math.min(series.length, options.to ?? series.length);
  const p = featureCount(spec);
  const n = Math.max(0, to - from);
  const data = new Float64Array(n * p);
  const view = new SeriesView(series);
  for (let r = 0; r < n; r++) {
    view.index = from + r;
    computeFeatures(
      view,
      series.startMs + view.index * HOUR_MS,
      spec,
      data.subarray(r * p, (r + 1) * p),
    );
  }
  return { names: featureNames(spec), n, p, data, from };
}
