/**
 * The input reference: for every measured field, quantile bins of its values
 * in the training window and the share of values in each bin, saved by
 * `deno task train` as `<modelDir>/reference.json`. The model monitor bins
 * recent readings the same way and compares the two with the population
 * stability index (PSI).
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { quantileSorted } from "../scoring/quantile.ts";

export { quantileSorted };
import { z } from "zod";
import { HOUR_MS, type HourlySeries } from "../features/mod.ts";
import { MEASUREMENT_FIELDS, type MeasurementField } from "../records/reading.ts";

/** Version of the reference file format. */
export const INPUT_REFERENCE_VERSION = 1;

/** Bins per field when nothing else is asked for: deciles. */
export const DEFAULT_BINS = 10;

/** Fewest values of a field for which a reference is computed. */
export const DEFAULT_MIN_REFERENCE_VALUES = 100;

const increasing = (a: readonly number[]) => a.every((x, i) => i === 0 || a[i - 1]! < x);

/** The bins of one field. A field without enough values has `n` below the minimum and no bins. */
export const FieldReferenceSchema = z.strictObject({
  /** Values (not missing) of the field in the training window. */
  n: z.number().int().min(0),
  /** Hours of the training window where the field is missing. */
  missing: z.number().int().min(0),
  /**
   * Inner bin edges, strictly increasing: the deciles of the values, ties
   * merged (so up to `bins - 1`). Bin `i` holds `edges[i-1] < x <= edges[i]`;
   * the first and last bins are open.
   */
  edges: z.array(z.number().finite()).refine(increasing, "edges must be strictly increasing"),
  /** Share of the field's training values in each bin: `edges.length + 1` numbers summing to 1. */
  proportions: z.array(z.number().min(0).max(1)),
}).refine(
  (f) =>
    f.proportions.length === 0
      ? f.edges.length === 0
      : f.proportions.length === f.edges.length + 1 &&
        Math.abs(f.proportions.reduce((s, p) => s + p, 0) - 1) < 1e-9,
  "proportions must have one more entry than edges and sum to 1 (or both be empty)",
);

/** The bins of one field. */
export type FieldReference = z.infer<typeof FieldReferenceSchema>;

/** Schema of `<modelDir>/reference.json`. */
export const InputReferenceSchema = z.strictObject({
  format: z.literal("airq-input-reference"),
  version: z.literal(INPUT_REFERENCE_VERSION),
  createdAt: z.string(),
  /** The hours the bins describe: the training window (`from` and `to` inclusive, UTC). */
  trainingWindow: z.strictObject({
    from: z.string(),
    to: z.string(),
    hours: z.number().int().min(0),
  }),
  /** Bins asked for per field (before ties merged). */
  bins: z.number().int().min(2).max(100),
  fields: z.record(z.enum(MEASUREMENT_FIELDS), FieldReferenceSchema),
});

/** The input reference of a training window. */
export type InputReference = z.infer<typeof InputReferenceSchema>;

/** Options of `inputReference()`. */
export interface InputReferenceOptions {
  /** First hour (index into the series) of the training window. */
  from: number;
  /** One past its last hour. */
  to: number;
  /** ISO timestamp saved as `createdAt`. */
  createdAt: string;
  /** Bins per field; default 10 (deciles). */
  bins?: number;
  /** A field with fewer values gets no bins; default 100. */
  minValues?: number;
}

/** The bin of `x` for inner edges `edges[from..from+count)`: the number of edges below `x`. */
export function binOf(edges: ArrayLike<number>, x: number, from = 0, count = edges.length): number {
  let b = 0;
  while (b < count && x > edges[from + b]!) b++;
  return b;
}

/** Bins of a set of values: quantile edges (ties merged) and the share of values per bin. */
export function binValues(
  values: ArrayLike<number>,
  bins: number = DEFAULT_BINS,
): { edges: number[]; proportions: number[] } {
  const sorted = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = quantileSorted(sorted, i / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < sorted.length; i++) counts[binOf(edges, sorted[i]!)]!++;
  return { edges, proportions: counts.map((c) => c / sorted.length) };
}

/**
 * The input reference of hours `[from, to)` of a series: per field, quantile
 * bins of its non-missing values and their proportions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySeries } from "../features/mod.ts";
 * import { inputReference } from "./reference.ts";
 * const s = emptySeries(0, 200);
 * for (let i = 0; i < 200; i++) s.columns.t_c[i] = i;
 * const ref = inputReference(s, { from: 0, to: 200, createdAt: "2005-04-04T14:00:00Z" });
 * assert.equal(ref.fields.t_c.edges.length, 9);
 * assert.deepEqual(ref.fields.co_mg_m3, { n: 0, missing: 200, edges: [], proportions: [] });
 * ```
 */
export function inputReference(
  series: HourlySeries,
  options: InputReferenceOptions,
): InputReference {
  const { from, to, createdAt } = options;
  const bins = options.bins ?? DEFAULT_BINS;
  const minValues = options.minValues ?? DEFAULT_MIN_REFERENCE_VALUES;
  if (
    !(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to &&
      to <= series.length)
  ) {
    throw new RangeError(
      `Window [${from}, ${to}) is not inside the series of ${series.length} hours`,
    );
  }
  const fields = {} as Record<MeasurementField, FieldReference>;
  for (const field of MEASUREMENT_FIELDS) {
    const column = series.columns[field].subarray(from, to);
    const values = column.filter((v) => !Number.isNaN(v));
    const missing = column.length - values.length;
    fields[field] = values.length < minValues
      ? { n: values.length, missing, edges: [], proportions: [] }
      : { n: values.length, missing, ...binValues(values, bins) };
  }
  const iso = (i: number) => new Date(series.startMs + i * HOUR_MS).toISOString();
  return {
    format: "airq-input-reference",
    version: INPUT_REFERENCE_VERSION,
    createdAt,
    trainingWindow: { from: iso(from), to: iso(Math.max(from, to - 1)), hours: to - from },
    bins,
    fields,
  };
}

/**
 * Reads `reference.json` text.
 *
 * @throws {SyntaxError} when the text is not JSON.
 * @throws {TypeError} when it is not an input reference; the message lists the problems.
 */
export function loadInputReference(text: string, shown = "<reference.json>"): InputReference {
  const result = InputReferenceSchema.safeParse(JSON.parse(text));
  if (!result.success) {
    throw new TypeError(
      `${shown} is not an airq input reference:\n${z.prettifyError(result.error)}`,
    );
  }
  return result.data;
}

/**
 * Population stability index of `actual` proportions against `expected` ones:
 * `sum((a - e) * ln(a / e))`, each proportion floored at `epsilon` so an empty
 * bin stays finite. 0 = same distribution; 0.1-0.25 is usually read as a
 * moderate shift, above 0.25 as a significant one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { populationStabilityIndex } from "./reference.ts";
 * assert.equal(populationStabilityIndex([0.5, 0.5], [0.5, 0.5]), 0);
 * const psi = populationStabilityIndex([0.5, 0.5], [0.25, 0.75]);
 * assert.ok(Math.abs(psi - 0.25 * Math.log(2) - 0.25 * Math.log(1.5)) < 1e-12);
 * ```
 */
export function populationStabilityIndex(
  expected: ArrayLike<number>,
  actual: ArrayLike<number>,
  epsilon = 1e-4,
): number {
  if (expected.length !== actual.length) {
    throw new RangeError(`Bins differ: ${expected.length} expected, ${actual.length} actual`);
  }
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, epsilon), a = Math.max(actual[i]!, epsilon);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}
