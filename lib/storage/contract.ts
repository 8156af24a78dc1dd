/**
 * The storage contract: the {@linkcode ReadingStore} interface every store
 * implements and the types it speaks. Imports nothing but the record types, so
 * the backends (`sqlite.ts`, `postgres.ts`, `memory.ts`) and their callers depend
 * on it without a circle through the `mod.ts` barrel.
 *
 * Semantics shared by every store:
 * - `writeBatch()` is all or nothing, and durable once its promise resolves.
 * - Readings are keyed by `(station_id, ts_utc_ms)`. Writing a reading whose key
 *   exists never adds a row; it counts as a duplicate. The stored row is
 *   replaced only by a message from a later or equal position of the same
 *   Kafka partition (or from another topic or partition, whose offsets cannot be
 *   ordered against it); an earlier offset never overwrites a later one. So
 *   the row always equals what a compacted topic would keep, however often and
 *   in whatever order messages are redelivered.
 * - Dead letters are keyed by `(topic, partition, offset)`; the first one
 *   stored wins, and its original bytes are kept byte for byte.
 * - Forecasts are keyed by `forecast_id`, estimates by `estimate_id` and
 *   snapshots by `name`: a later write replaces the row (a forecast re-made
 *   after a crash replaces the old one).
 * - A forecast's id must begin with its `station_id|ts|` (the documented
 *   `station|ts|target|horizon`); any other is refused. The SQL stores keep the
 *   forecasts of one reading (one station and feature time) as ONE row, a
 *   forecast set, and merge the forecasts written for a reading into its set
 *   by `forecast_id`: an id written again replaces that forecast, the set's
 *   other forecasts stay. The forecaster writes all forecasts of a reading in
 *   the same batch, so a reading re-made after a crash replaces its set whole.
 * - Alert events are keyed by `(alert_id, state, severity)`: the first one
 *   stored wins, so a redelivered event adds nothing.
 * - Forecasts, estimates, alerts and snapshots are kept as JSON text (SQLite
 *   keeps forecasts of the documented shape in a compact form) and come back
 *   deep-equal to what was written. A number that JSON cannot carry (NaN,
 *   ±Infinity) or a value that is not JSON (a Map, a class instance, a bigint)
 *   is refused rather than silently changed; `-0` comes back as `0` and an
 *   `undefined` property is dropped, as `JSON.stringify` does.
 *
 * @module
 */
import type {
  Alert,
  CleanReading,
  DeadLetter,
  EstimateRecord,
  FieldFlag,
  ForecastRecord,
  ForecastTarget,
} from "../records/mod.ts";

// The record types the interface speaks, so that a store can import its whole contract as one namespace.
export type { Alert, CleanReading, DeadLetter, EstimateRecord, ForecastRecord };

/** What one `writeBatch()` call stores, in one transaction. */
export interface WriteBatch {
  /** Clean readings, upserted by `(station_id, ts_utc_ms)`. */
  readonly readings: readonly CleanReading[];
  /** Rejected messages, stored once per `(topic, partition, offset)`. */
  readonly deadLetters: readonly DeadLetter[];
  /**
   * Forecasts, upserted by `forecast_id` (which begins with `station_id|ts|`): a
   * later write replaces the forecast. The SQL stores keep the forecasts of a
   * reading as one row: written in one batch, they write it once (module doc).
   */
  readonly forecasts?: readonly ForecastRecord[];
  /** Virtual-sensor estimates, upserted by `estimate_id`: a later write replaces the row. */
  readonly estimates?: readonly EstimateRecord[];
  /** Alert events, stored once per `(alert_id, state, severity)`: the first one stored wins. */
  readonly alerts?: readonly Alert[];
  /** Named JSON snapshots (e.g. the forecaster's model-monitoring state), upserted by `name`. */
  readonly snapshots?: readonly Snapshot[];
}

/** A named JSON value, as `WriteBatch.snapshots` takes it. */
export interface Snapshot {
  /** The key: a later snapshot of the same name replaces the row. */
  name: string;
  /** Any JSON value (see the module doc for what is refused). */
  value: unknown;
  /** When the value was taken (epoch ms, a whole number). */
  updated_at_ms: number;
}

/** What a `writeBatch()` call did. `inserted + duplicates` is the number of readings sent. */
export interface WriteResult {
  /** Readings whose key was new. */
  inserted: number;
  /** Readings whose key already existed (earlier in the store or in the same batch). */
  duplicates: number;
  /** Dead letters newly stored; a redelivered one is not counted again. */
  deadLetters: number;
  /** Forecasts written, new or replacing a row: all of `batch.forecasts`. */
  forecasts: number;
  /** Estimates written, new or replacing a row: all of `batch.estimates`. */
  estimates: number;
  /** Alert events newly stored; a redelivered one (or a repeat within the batch) is not counted. */
  alerts: number;
}

/** Counts over the whole store (its one schema: lib/records/quality.ts, what `deno task quality --json` prints). */
export type { StoreSummary } from "../records/quality.ts";
import type { StoreSummary } from "../records/quality.ts";

/** Extra statistics for status pages and reports. */
export interface StoreDetails {
  /** Earliest stored reading time (epoch ms), null when the store is empty. */
  first_ts_utc_ms: number | null;
  /** Latest stored reading time (epoch ms), null when the store is empty. */
  last_ts_utc_ms: number | null;
  /** Stored readings per status. */
  status: Record<CleanReading["status"], number>;
  /** Readings carrying each flag, per SOURCE column name; columns without flags are absent. */
  flags: Record<string, Partial<Record<FieldFlag, number>>>;
  /** Readings whose row was replaced at least once by a redelivery or a later message. */
  rewritten_readings: number;
  /** Stored dead letters per reason. */
  dead_letter_reasons: Record<string, number>;
}

/** Which readings `readings()` returns. Times are epoch ms; the range is `[from_ms, to_ms)`. */
export interface ReadingQuery {
  /** Only this station. */
  station_id?: string;
  /** Only readings at or after this instant. */
  from_ms?: number;
  /** Only readings before this instant. */
  to_ms?: number;
  /** At most this many readings (the earliest ones). */
  limit?: number;
}

/**
 * Which forecasts `forecasts()` returns. Times are epoch ms of the feature
 * time `ts` (not `target_ts`); the range is `[from_ms, to_ms)`.
 */
export interface ForecastQuery extends ReadingQuery {
  /** Only this target, e.g. `CO(GT)`. */
  target?: ForecastTarget;
  /** Only this horizon, in hours. */
  horizon_h?: number;
}

/** Where clean readings, dead letters, forecasts and alerts live. Call `close()` when done. */
export interface ReadingStore {
  /**
   * Stores readings, dead letters, forecasts, estimates, alerts and snapshots
   * in ONE transaction: either all of the
   * batch is stored or, when the promise rejects, none of it. Once the promise
   * resolves the batch survives a crash of the process (and, for the SQLite
   * store with `synchronous: "FULL"`, or the PostgreSQL store, a power loss).
   */
  writeBatch(batch: WriteBatch): Promise<WriteResult>;
  /**
   * Counts of readings, stations, missing values per source column, dead
   * letters, forecasts, estimates and alert events.
   */
  summary(): Promise<StoreSummary>;
  /** Time range, status and flag counts, rewrites, dead-letter reasons. */
  details(): Promise<StoreDetails>;
  /** Readings matching `query`, ordered by time, then station. */
  readings(query?: ReadingQuery): Promise<CleanReading[]>;
  /** Dead letters, most recently stored first; all of them when `limit` is omitted. */
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /** Forecasts matching `query`, ordered by feature time, then station, target and horizon. */
  forecasts(query?: ForecastQuery): Promise<ForecastRecord[]>;
  /** Estimates matching `query` (on their time `ts`), ordered by time, then station and target. */
  estimates(query?: ReadingQuery): Promise<EstimateRecord[]>;
  /**
   * Alert events, most recently raised first (at the same `raised_at`, most
   * recently stored first); all of them when `limit` is omitted.
   */
  alerts(limit?: number): Promise<Alert[]>;
  /** The snapshot stored under `name`, or null when there is none. */
  snapshot(name: string): Promise<{ value: unknown; updated_at_ms: number } | null>;
  /**
   * Every snapshot whose name starts with `prefix` (one per writer, e.g. each member of a
   * forecaster group), ordered by name.
   */
  snapshots(prefix: string): Promise<Snapshot[]>;
  /** Releases the store. Further calls reject; calling `close()` again does nothing. */
  close(): Promise<void>;
}
