/**
 * Storage of clean readings, dead letters, forecasts, virtual-sensor
 * estimates, alert events and named JSON snapshots: the {@linkcode ReadingStore}
 * interface, its SQLite implementation ({@linkcode openSqliteStore}, the only
 * `node:sqlite` user), its PostgreSQL implementation
 * ({@linkcode openPostgresStore}, the only npm `postgres` user), an in-memory
 * twin ({@linkcode MemoryStore}) for tests of other modules, and
 * {@linkcode openStore}, which picks SQLite or PostgreSQL from a path or URL.
 *
 * The contract (interface, types and the semantics every store shares) is
 * `contract.ts`; this module is the barrel.
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
 * ```ts ignore
 * import { openStore } from "./lib/storage/mod.ts";
 * const store = await openStore("var/airq.db"); // or "postgres://airq@127.0.0.1:5432/airq"
 * try {
 *   const { inserted, duplicates } = await store.writeBatch({ readings, deadLetters: [] });
 *   // commit the Kafka offsets only now: the batch is durable
 * } finally {
 *   await store.close();
 * }
 * ```
 *
 * @module
 */
// The record types this API speaks, so that `deno doc` can link them.
export type {
  Alert,
  CleanReading,
  DeadLetter,
  EstimateRecord,
  FieldFlag,
  ForecastRecord,
  ForecastTarget,
} from "../records/mod.ts";

export { MemoryStore } from "./memory.ts";
export { openSqliteStore, SQLITE_SCHEMA_VERSION, type SqliteStoreOptions } from "./sqlite.ts";
export {
  openPostgresStore,
  POSTGRES_SCHEMA_VERSION,
  type PostgresStoreOptions,
  redactUrl,
} from "./postgres.ts";
export {
  isPostgresUrl,
  openStore,
  type OpenStoreOptions,
  requireExistingStore,
  storeLabel,
} from "./open.ts";

export type {
  ForecastQuery,
  ReadingQuery,
  ReadingStore,
  Snapshot,
  StoreDetails,
  StoreSummary,
  WriteBatch,
  WriteResult,
} from "./contract.ts";
