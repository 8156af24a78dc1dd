/**
 * The JSON files the benchmarks write (`deno task bench ingest|realtime|parity
 * --json PATH`): one zod schema each, used by the writer (the bench checks its
 * result before writing it) and by every reader (the final report), so neither
 * restates the shape.
 *
 * @module
 */
import { z } from "zod";

const Machine = z.object({ cpus: z.number().int(), deno: z.string() });

/**
 * CPU time over a bench phase (Linux /proc; absent elsewhere and in files
 * from before it was measured): where the machine's cores went.
 */
export const CpuUseSchema = z.strictObject({
  /** Wall-clock seconds of the window. */
  window_s: z.number(),
  /** CPU seconds of each watched process in the window (one it could not read is left out). */
  process_cpu_s: z.record(z.string(), z.number()),
  /** CPU seconds the machine spent busy in the window, every process together (null: unreadable). */
  machine_cpu_s: z.number().nullable(),
  /** Cores of the machine: `window_s * cores` CPU seconds were there to use. */
  cores: z.number().int().min(1),
});

/** CPU time over a bench phase. */
export type CpuUse = z.infer<typeof CpuUseSchema>;

/** What `deno task bench ingest --json PATH` writes. */
export const IngestResultSchema = z.object({
  readings: z.number(),
  seconds: z.number(),
  readings_per_s: z.number(),
  peak_rss_mb: z.number(),
  /** Kafka's ProducerPerformance, records/s (the name both benches carry; same value as `kafka_producer_perf_per_s`). */
  broker_producer_perf_per_s: z.number(),
  /** Kafka's ProducerPerformance on the same broker in the same run, records/s. */
  kafka_producer_perf_per_s: z.number(),
  /** `readings_per_s` / `kafka_producer_perf_per_s`: airq end to end against Kafka's own producer. */
  ratio_to_kafka_producer_perf: z.number(),
  broker_consumer_perf_per_s: z.number(),
  producer_peak_rss_mb: z.number(),
  consumer_peak_rss_mb: z.number(),
  producer_seconds: z.number(),
  /** The consumer alone, re-reading the same topic in a new group into a new database. */
  consumer_only_per_s: z.number(),
  /** Where the end-to-end consumer spent its time, ms (validate, store, commit, ...); the rest is kafkajs fetching and decoding, and waiting. */
  consumer_time_ms: z.record(z.string(), z.number()),
  /** Batches (one partition's messages from one fetch) the end-to-end consumer stored and committed. */
  consumer_batches: z.number().nullable(),
  consumer_seconds: z.number(),
  /** The producer alone, into a fresh topic (no consumer running). */
  producer_only_per_s: z.number(),
  /**
   * CPU over the end-to-end run, from the two tasks' spawn to the group's
   * catch-up: the broker and the consumer (`broker`, `consumer`); the
   * producer, which exits before the window closes, only in `machine_cpu_s`.
   */
  cpu: CpuUseSchema.optional(),
  stored_readings: z.number(),
  stations: z.number(),
  kafka_version: z.string(),
  machine: Machine,
});

/** What `deno task bench ingest --json PATH` writes. */
export type IngestResult = z.infer<typeof IngestResultSchema>;

const Summary = z.record(z.string(), z.unknown());

/** What `deno task bench realtime --json PATH` writes. The four fields the issue names come first. */
export const RealtimeResultSchema = z.object({
  readings_per_s: z.number(),
  latency_ms_p50: z.number(),
  latency_ms_p99: z.number(),
  peak_rss_mb: z.number(),
  /**
   * Kafka's own producer perf tool (ProducerPerformance, acks=all, idempotent)
   * on the same broker in the same run, records/s, with records of the
   * forecast set's mean size: each reading makes one such record.
   */
  kafka_producer_perf_per_s: z.number(),
  /** `readings_per_s / kafka_producer_perf_per_s`. */
  ratio_to_kafka_producer_perf: z.number(),
  /** Mean size of a forecast set record, bytes (the perf tool's record size). */
  forecast_set_bytes: z.number(),
  /** Throughput phase. */
  throughput: z.object({
    readings: z.number(),
    stations: z.number(),
    /** Forecaster processes in the group (`--members`). */
    members: z.number(),
    raw_partitions: z.number(),
    forecasts_per_reading: z.number(),
    seconds: z.number(),
    /** From spawning the forecaster (model loading and group join included). */
    seconds_with_startup: z.number(),
    forecasts_per_s: z.number(),
    rss_mb_first_quarter: z.number(),
    rss_mb_last_quarter: z.number(),
    /** The first member's summary (its peak resident memory added). */
    forecaster_summary: Summary,
    /** Every member's summary, when there are several. */
    member_summaries: z.array(Summary).optional(),
    /** Peak of the members' resident memory summed. */
    peak_rss_mb_all_members: z.number(),
    /**
     * From the members' spawn to the group's catch-up: the broker (`broker`),
     * each member (`m0`, ...) and the bench process itself (`bench`).
     */
    cpu: CpuUseSchema.optional(),
  }),
  /** Latency phase. */
  latency: z.object({
    target_readings_per_s: z.number(),
    achieved_readings_per_s: z.number(),
    seconds: z.number(),
    warmup_s: z.number(),
    measured_readings: z.number(),
    latency_ms_mean: z.number(),
    latency_ms_max: z.number(),
    /**
     * The two legs of each measured reading's latency, as quantiles (ms):
     * `produce`, from `produced_at` to the raw record readable by the reader;
     * `forecast`, from there to its forecast set readable (read_committed).
     */
    legs_ms: z.strictObject({
      produce_p50: z.number(),
      produce_p99: z.number(),
      forecast_p50: z.number(),
      forecast_p99: z.number(),
    }).optional(),
    peak_rss_mb: z.number(),
    forecaster_summary: Summary,
    /**
     * From the paced producer's start to the last forecast read: the broker,
     * the forecaster and the bench process (`bench`, whose reader measures the
     * latencies); the paced producer's share is in `machine_cpu_s` only (it
     * exits before the window ends).
     */
    cpu: CpuUseSchema.optional(),
  }),
  kafka_version: z.string(),
  machine: Machine,
});

/** What `deno task bench realtime --json PATH` writes. */
export type RealtimeResult = z.infer<typeof RealtimeResultSchema>;

const Timing = z.object({ median: z.number(), min: z.number(), max: z.number() });

/**
 * What `deno task bench launcher --json PATH` writes: the wall time of a Kafka
 * task's script (`vote --help`: start, load config, exit) run directly with its
 * widened flags, and behind the launcher (tools/_launch.ts), in ms.
 */
export const LauncherResultSchema = z.object({
  runs: z.number().int(),
  /** The script alone, with the flags the launcher would give it. */
  direct_ms: Timing,
  /** The launcher, which then runs the script. */
  launched_ms: Timing,
  /** The launcher alone (AIRQ_LAUNCH_PRINT=1: load the settings, print the command). */
  launcher_only_ms: Timing,
  /** `launched_ms.median - direct_ms.median`. */
  overhead_ms_median: z.number(),
  /** The 1-minute load average when the runs started (other work on the machine). */
  load_average_1m: z.number().nullable(),
  machine: Machine,
});

/** What `deno task bench launcher --json PATH` writes. */
export type LauncherResult = z.infer<typeof LauncherResultSchema>;
/** One target at one horizon: live and offline MAE on the same hours. */
export const ParityRowSchema = z.object({
  /** Target column, e.g. `CO(GT)`. */
  target: z.string(),
  /** Hours ahead. */
  horizon_h: z.number().int(),
  /** Target hours scored (test window, observed, both forecasts present). */
  n: z.number().int(),
  /** MAE of the forecasts the live path committed to Kafka. */
  live_mae: z.number(),
  /** MAE of evaluate's `best` (refit weekly) on the same hours. */
  offline_mae: z.number(),
  /**
   * Of those hours, the ones whose live forecast has a regime-aware (`evaluation`) 90 % interval:
   * how many, the share of observations inside the live interval and inside evaluate's (its
   * served rule over `best`), and both mean interval scores (lower is better). Absent in runs
   * from before the forecaster recalibrated its intervals live (bench-parity-retrain-off.json).
   */
  interval_n: z.number().int().optional(),
  live_coverage: z.number().nullable().optional(),
  offline_coverage: z.number().nullable().optional(),
  live_interval_score: z.number().nullable().optional(),
  offline_interval_score: z.number().nullable().optional(),
});

/** One target at one horizon of `bench parity`. */
export type ParityRow = z.infer<typeof ParityRowSchema>;

/** What `deno task bench parity --json PATH` writes; `rows` first. */
export const ParityResultSchema = z.object({
  rows: z.array(ParityRowSchema),
  /** `live_mae / offline_mae - 1` per row, and the largest in absolute value. */
  relative_difference: z.array(z.object({
    target: z.string(),
    horizon_h: z.number().int(),
    live_vs_offline: z.number(),
  })),
  max_abs_relative_difference: z.number(),
  /**
   * Forecasts made in the test window's first refit block (its first week), where
   * evaluate uses the model fitted at the window's start as the live path does:
   * how many, and the largest |live - offline| / max(1, |offline|).
   */
  first_block: z.object({ forecasts: z.number().int(), max_relative_difference: z.number() }),
  test_window: z.object({ from: z.string(), to: z.string() }),
  live: z.object({
    /** Model folder trained once on the hours before the test window. */
    trained_on_hours: z.number().int(),
    train_summary: Summary,
    history_readings_stored: z.number().int(),
    readings_replayed: z.number().int(),
    forecaster_summary: Summary,
    forecast_sets_read: z.number().int(),
    /** Scored live forecasts that were persistence (warming up, no value), and that blended SARIMA. */
    scored_baseline: z.number().int(),
    scored_with_sarima: z.number().int(),
    /** `--retrain` of the forecaster (absent in files from before retraining). */
    retrain: z.enum(["off", "wait", "background"]).optional(),
    /** Distinct model versions (training `createdAt`) among the scored live forecasts. */
    model_versions: z.array(z.string()).optional(),
    /**
     * The NO2 hourly limit's early warnings on the test window: raised live, and the store
     * replayed through the alerter with each rule (lib/harness/bench/parity_warnings.ts); absent
     * in files from before the evaluated warning was served.
     */
    early_warnings: z.object({
      limit: z.string(),
      /** The served rule's leads and cut-offs; null when the forecaster warned from intervals. */
      served: z.object({ leads_h: z.array(z.number().int()), cutoffs: z.array(z.number()) })
        .nullable(),
      live_fired: z.number().int(),
      /** Exceedance episodes starting in the test window. */
      test_episodes: z.number().int(),
      rules: z.array(z.object({
        /** `interval` (split normal on the 90 % interval) or `served` (the evaluated rule). */
        rule: z.string(),
        fired: z.number().int(),
        /** Episodes with an early warning of the limit firing at the hour before their first. */
        episodes_warned_hour_before: z.number().int(),
        test_hours_under_warning: z.number().int(),
      })),
    }).optional(),
    /** The forecaster's retraining events, from its stored `forecaster.models` snapshot. */
    retraining_events: z.array(z.object({
      block: z.number().int(),
      block_start: z.string(),
      promoted: z.boolean(),
      mae_ratio: z.number().nullable(),
      seconds: z.number(),
      challenger_version: z.string(),
    })).optional(),
  }),
  offline: z.object({
    protocol: z.string(),
    sarima_fits: z.number().int(),
    sarima_failed_fits: z.number().int(),
    seconds: z.number(),
  }),
  /** Offline `best` over every test hour against the evaluation JSON's `best` row (same computation). */
  evaluation_check: z.object({
    path: z.string().nullable(),
    rows: z.array(z.object({
      target: z.string(),
      horizon_h: z.number().int(),
      n: z.number().int(),
      mae: z.number(),
      evaluation_n: z.number().int().nullable(),
      evaluation_mae: z.number().nullable(),
    })),
  }),
  seconds: z.number(),
  machine: Machine,
});

/** What `deno task bench parity --json PATH` writes. */
export type ParityResult = z.infer<typeof ParityResultSchema>;

/** What `tests/realtime/chunk_bench.ts` prints (committed as docs/reports/bench-chunk.json). */
export const ChunkResultSchema = z.object({
  readings: z.number().int(),
  stations: z.number().int(),
  rounds: z.number().int(),
  /** Medians over the rounds, readings/s. */
  readings_per_s_with_observers: z.number(),
  readings_per_s_without_observers: z.number(),
  all_rounds: z.object({ with_observers: z.array(z.number()), without: z.array(z.number()) }),
  machine: Machine,
});

/** What the chunk bench prints. */
export type ChunkResult = z.infer<typeof ChunkResultSchema>;
