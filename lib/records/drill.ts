/**
 * The JSON `deno task drill NAME --json PATH` writes: one zod schema, used by
 * the writer (the drill checks its report before writing it) and by the
 * final report, which reads the committed files with it.
 *
 * @module
 */
import { z } from "zod";

/** The command that writes the file. */
export const DRILL_WRITER = "deno task drill NAME --json PATH";

/** What one drill found. */
export const DrillReportSchema = z.strictObject({
  drill: z.string(),
  produced: z.number().int(),
  stored_readings: z.number().int(),
  expected_readings: z.number().int(),
  kills: z.number().int(),
  /** Kills that hit a consumer which had stored part of the stream (not idle, not finished). */
  kills_mid_stream: z.number().int(),
  duplicates_absorbed: z.number().int(),
  dead_letters: z.number().int(),
  seconds: z.number(),
  ok: z.boolean(),
});

/** What one drill found. */
export type DrillReport = z.infer<typeof DrillReportSchema>;
