/**
 * What `deno task quality --db PATH --json` prints: the store's counts. One
 * zod schema, used by the writer (the task checks the summary before printing
 * it), by the stores' contract (`summary()` returns this type) and by the
 * readers (the ingest bench, the drills).
 *
 * @module
 */
import { z } from "zod";
import { parseLastLine } from "./file.ts";

const count = z.number().int().min(0);

/** Counts over the whole store. */
export const StoreSummarySchema = z.strictObject({
  /** Rows in the reading table (one per station and hour). */
  stored_readings: count,
  /** Distinct stations among the stored readings. */
  stations: count,
  /** Missing (null) values per measured column, keyed by the SOURCE column name, e.g. `CO(GT)`; all 13 columns. */
  missing: z.record(z.string(), count),
  /** Stored dead letters. */
  dead_letters: count,
  /** Stored forecasts (one per `forecast_id`). */
  forecasts: count,
  /** Stored estimates (one per `estimate_id`). */
  estimates: count,
  /** Stored alert events (one per `(alert_id, state, severity)`). */
  alerts: count,
});

/** Counts over the whole store. */
export type StoreSummary = z.infer<typeof StoreSummarySchema>;

/**
 * The summary in the output of `deno task quality --json` (its last line).
 *
 * @throws {SyntaxError} when that line is not JSON.
 * @throws {TypeError} when it is not a summary.
 */
export function parseQualityOutput(stdout: string | Uint8Array): StoreSummary {
  return parseLastLine(StoreSummarySchema, stdout, "deno task quality --json");
}
