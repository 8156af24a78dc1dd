/**
 * The summaries `deno task produce --json` and `deno task consume --json`
 * print as their last stdout line: one zod schema each, used by the writer
 * (the task checks its summary before printing it) and by the readers (the
 * ingest bench, the drills), so neither restates the shape.
 *
 * @module
 */
import { z } from "zod";

const count = z.number().int().min(0);

/** The final report of a replay (`deno task produce --json`). */
export const ProduceSummarySchema = z.strictObject({
  topic: z.string(),
  stations: count,
  /** Readings taken from the replay (duplicate sends not counted). */
  readings: count,
  /** Messages acknowledged by Kafka (including duplicate sends). */
  sent: count,
  duplicates_sent: count,
  late_sent: count,
  /** Messages whose send failed after retries. */
  failed: count,
  /**
   * Messages handed to kafkajs but not acknowledged when the producer gave up
   * after a stop signal (the broker was away): they may or may not be in the
   * topic. Replaying them is safe: the consumer's upsert absorbs a duplicate.
   */
  unconfirmed: count,
  /** Messages built but never handed to Kafka (interrupted). */
  not_sent: count,
  duration_s: z.number(),
  rate_per_s: z.number(),
  outcome: z.enum(["completed", "interrupted", "failed"]),
});

/** The final report of a replay. */
export type ProduceSummary = z.infer<typeof ProduceSummarySchema>;

/** Counters of a consumer run. */
export const ConsumeStatsSchema = z.strictObject({
  consumed: count,
  stored: count,
  duplicates: count,
  dead_letters: count,
  batches: count,
  /** Milliseconds spent in each step of the batch loop (where the time goes). */
  time_ms: z.strictObject({
    validate: z.number(),
    store: z.number(),
    dead_letter_publish: z.number(),
    commit: z.number(),
    monitor: z.number(),
  }),
  commits: count,
  alerts: count,
  lag: z.number().nullable(),
});

/** Counters of a consumer run. */
export type ConsumeStats = z.infer<typeof ConsumeStatsSchema>;

/** The final report of a consumer run (`deno task consume --json`). */
export const ConsumeSummarySchema = ConsumeStatsSchema.extend({
  duration_s: z.number(),
  rate_per_s: z.number(),
  outcome: z.enum(["idle", "stopped"]),
});

/** The final report of a consumer run. */
export type ConsumeSummary = z.infer<typeof ConsumeSummarySchema>;
