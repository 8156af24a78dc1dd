/**
 * Settings of the real-time forecaster: `config/forecaster.json`.
 *
 * @module
 */
import { z } from "zod";
import { MetricsConfigSchema } from "../config/mod.ts";
import { RETRAIN_MODES } from "../records/mod.ts";

/** File name of the forecaster's settings in the config folder. */
export const FORECASTER_CONFIG_FILE = "forecaster.json";

/** Schema of `config/forecaster.json`. */
export const ForecasterConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  /** Consumer group (and transactional id stem) when `--group` is not given. */
  groupId: z.string().min(1),
  /** Fetch size per partition: bounds one batch's memory. */
  maxBytesPerPartition: z.number().int().min(1024),
  /** How long a fetch waits for data on a quiet topic. */
  maxWaitTimeMs: z.number().int().min(0).max(10_000),
  /**
   * Bytes a fetch waits for, at most `maxWaitTimeMs`, before the broker
   * answers (Kafka's fetch.min.bytes): fewer, larger transactions at a
   * steady rate. 1: answer at once.
   */
  minBytes: z.number().int().min(1).max(1_048_576),
  /** Most raw messages of one partition in one transaction: bounds the records held in memory. */
  maxReadingsPerTransaction: z.number().int().min(1),
  /** Full chunks' worth of readings in flight at once (x maxReadingsPerTransaction): bounds memory. */
  maxConcurrentTransactions: z.number().int().min(1).max(64),
  /** Bytes of message values per produce request inside a transaction (< the broker's max.message.bytes). */
  maxBytesPerSend: z.number().int().min(1024).max(1_000_000),
  /** How often the monitoring snapshot is stored, at most. */
  snapshotEveryMs: z.number().int().min(0),
  /** Hours of history a station needs before the model replaces persistence (`--warmup-hours`). */
  warmupHours: z.number().int().min(0),
  /**
   * First retry wait of the transactional producers, ms (kafkajs's default is
   * 300): a partition's next transaction starts right after the previous
   * commit, while the coordinator may still be writing its markers, and the
   * broker answers CONCURRENT_TRANSACTIONS until it is done.
   */
  transactionRetryMs: z.number().int().min(1).max(10_000),
  /** Retries of the transactional producers before a send fails. */
  transactionRetries: z.number().int().min(0).max(100),
  /** Hours a station's SARIMA filters must have been fed before SARIMA joins the blend. */
  sarimaMinHours: z.number().int().min(25),
  /** The metrics and health listener (null: none; `--metrics-port N`). */
  metrics: MetricsConfigSchema,
  /**
   * Retraining as data arrives: at each of evaluate's weekly boundaries
   * (`walkForward.refitEveryH` of config/forecast.json, aligned on
   * `testWindow.from`) a challenger is fitted, in a worker, on the stored
   * readings before the boundary, as evaluate refits; it replaces the champion
   * only when it wins on the hours just before the boundary (docs/realtime.md).
   */
  retrain: z.strictObject({
    /** `off`, `wait` (the batch waits for the refit: deterministic) or `background` (`--retrain`). */
    mode: z.enum(RETRAIN_MODES),
    /** Hours before the boundary on which champion and challenger are both scored. */
    scoreHours: z.number().int().min(1).max(2016),
    /** Promote when mean(challenger MAE / champion MAE) over the targets and horizons is at most this. */
    maxMaeRatio: z.number().positive().max(10),
    /** Most hours of stored readings a refit reads (the fill of SARIMA's missing values reaches far back). */
    historyH: z.number().int().min(2000),
    /**
     * Station whose stored readings train the models (they serve every station,
     * as the offline models do); null = the station of the first reading past the boundary.
     */
    station: z.string().min(1).nullable(),
    why: z.string().min(1),
  }),
  why: z.string().min(1),
});

/** The forecaster's settings. */
export type ForecasterConfig = z.infer<typeof ForecasterConfigSchema>;
