/**
 * The SQLite reading store, on `node:sqlite` (the only module that imports it).
 *
 * Durability: the database runs in WAL mode. With `synchronous: "NORMAL"` (the
 * default) a batch is in the WAL file before `writeBatch()` resolves, so it
 * survives a crash of the process, `kill -9` included; a power loss or an OS
 * crash can still lose the last commits. `synchronous: "FULL"` also fsyncs the
 * WAL at every commit and survives those too.
 *
 * node:sqlite is synchronous: a batch blocks the event loop while it is written
 * (roughly 80 ms per 10,000 readings here, 14 ms per 12,000 forecasts, the
 * forecasts of 1,000 readings) and may wait up to `busyTimeoutMs` for a lock
 * held by another process.
 *
 * Forecasts are stored one row per reading, a forecast set
 * (`_forecast_sets.ts`), in a compact form (`_forecast_codec.ts`): about 40
 * bytes per forecast where schema version 2 took a row, two index entries and
 * 500 bytes of JSON each (tests/storage/forecast_store_bench.ts measures it).
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { MEASUREMENT_FIELDS } from "../records/mod.ts";
import type * as Contract from "./contract.ts";
import {
  alertProblem,
  checkLimit,
  estimateProblem,
  failure,
  messageOf,
  recordFilters,
  snapshotProblem,
} from "./_checks.ts";
import { forecastSets } from "./_forecast_sets.ts";
import { detailsOf, readingOf, type Row, summaryOf } from "./_rows.ts";
import { migrate, SQLITE_SCHEMA_VERSION } from "./_sqlite_schema.ts";
import {
  CHUNK,
  COLUMNS_WRITTEN,
  offsetValue,
  readingLabel,
  readingParams,
  selectReadings,
  type SqlValue,
  upsertReadings,
} from "./_sqlite_readings.ts";
import { SqliteForecasts } from "./_sqlite_forecasts.ts";

export { SQLITE_SCHEMA_VERSION };

/** Options of {@linkcode openSqliteStore}. */
export interface SqliteStoreOptions {
  /** `NORMAL` (default) survives process crashes; `FULL` also survives power loss. */
  synchronous?: "NORMAL" | "FULL";
  /** How long to wait for a lock held by another connection, in ms; default 5000. */
  busyTimeoutMs?: number;
}

const INSERT_DEAD_LETTER = `INSERT INTO dead_letters (source_topic, source_partition,
  source_offset, msg_key, reason, detail, original, rejected_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;
const SELECT_DEAD_LETTERS = `SELECT source_topic AS topic, source_partition AS partition,
  CAST(source_offset AS TEXT) AS offset, msg_key, reason, detail, original, rejected_at
  FROM dead_letters ORDER BY rowid DESC LIMIT ?`;
const UPSERT_ESTIMATE = `INSERT INTO estimates (estimate_id, station_id, ts_ms, target, value,
  record, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (estimate_id) DO UPDATE SET
  station_id = excluded.station_id, ts_ms = excluded.ts_ms, target = excluded.target,
  value = excluded.value, record = excluded.record, stored_at = excluded.stored_at`;
const INSERT_ALERT = `INSERT INTO alerts (alert_id, state, severity, kind, station_id,
  raised_at_ms, record, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;
const UPSERT_SNAPSHOT = `INSERT INTO snapshots (name, value, updated_at_ms, stored_at)
  VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value,
  updated_at_ms = excluded.updated_at_ms, stored_at = excluded.stored_at`;
const SELECT_ALERTS = "SELECT record FROM alerts ORDER BY raised_at_ms DESC, rowid DESC LIMIT ?";
const SELECT_SNAPSHOT = "SELECT value, updated_at_ms FROM snapshots WHERE name = ?";
const SELECT_SNAPSHOTS = `SELECT name, value, updated_at_ms FROM snapshots
  WHERE substr(name, 1, length(?1)) = ?1 ORDER BY name`;
const SUMMARY = `SELECT count(*) AS stored_readings, count(DISTINCT station_id) AS stations,
  ${MEASUREMENT_FIELDS.map((f) => `total(${f} IS NULL) AS ${f}`).join(", ")},
  (SELECT count(*) FROM dead_letters) AS dead_letters,
  (SELECT total(n) FROM forecast_sets) AS forecasts,
  (SELECT count(*) FROM estimates) AS estimates,
  (SELECT count(*) FROM alerts) AS alerts FROM readings`;
const DETAILS = `SELECT min(ts_utc_ms) AS first, max(ts_utc_ms) AS last,
  total(revision > 1) AS rewritten, total(status = 'ok') AS ok,
  total(status = 'flagged') AS flagged, total(status = 'outage') AS outage FROM readings`;
const FLAG_COUNTS = `SELECT f.key AS k, g.value AS v, count(*) AS n
  FROM readings, json_each(readings.flags) AS f, json_each(f.value) AS g GROUP BY k, v`;
const REASON_COUNTS = "SELECT reason AS k, count(*) AS n FROM dead_letters GROUP BY reason";

/**
 * Opens the SQLite store at `path` (creating the file and its parent folders
 * if needed), switches it to WAL and applies pending migrations in one
 * transaction. Rejects a file whose schema is newer than this code knows.
 */
export async function openSqliteStore(
  path: string,
  options: SqliteStoreOptions = {},
): Promise<Contract.ReadingStore> {
  const { synchronous = "NORMAL", busyTimeoutMs = 5000 } = options;
  if (synchronous !== "NORMAL" && synchronous !== "FULL") {
    throw new RangeError(`synchronous must be "NORMAL" or "FULL", not "${synchronous}"`);
  }
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(`busyTimeoutMs must be a whole number >= 0, not ${busyTimeoutMs}`);
  }
  await Deno.mkdir(dirname(path), { recursive: true });
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path);
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    const mode = db.prepare("PRAGMA journal_mode = WAL").get()?.journal_mode;
    if (mode !== "wal") throw new Error(`it cannot use WAL (journal mode "${mode}")`);
    db.exec(`PRAGMA synchronous = ${synchronous}; PRAGMA foreign_keys = ON`);
    migrate(db);
    return new SqliteStore(db, path);
  } catch (e) {
    db?.close();
    throw new Error(`Cannot open reading store "${path}": ${messageOf(e)}`, { cause: e });
  }
}

class SqliteStore implements Contract.ReadingStore {
  readonly #db: DatabaseSync;
  readonly #path: string;
  /** `#upserts[n]` upserts n readings in one statement (1 to CHUNK), prepared when first needed. */
  readonly #upserts: StatementSync[] = [];
  readonly #insertDeadLetter: StatementSync;
  readonly #forecasts: SqliteForecasts;
  readonly #upsertEstimate: StatementSync;
  readonly #insertAlert: StatementSync;
  readonly #upsertSnapshot: StatementSync;

  constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.#path = path;
    this.#insertDeadLetter = db.prepare(INSERT_DEAD_LETTER);
    this.#forecasts = new SqliteForecasts(db);
    this.#upsertEstimate = db.prepare(UPSERT_ESTIMATE);
    this.#insertAlert = db.prepare(INSERT_ALERT);
    this.#upsertSnapshot = db.prepare(UPSERT_SNAPSHOT);
  }

  writeBatch(batch: Contract.WriteBatch): Promise<Contract.WriteResult> {
    const { readings, deadLetters, forecasts = [], estimates = [] } = batch;
    return this.#use((db) => {
      const storedAt = new Date().toISOString(); // one time for the whole batch
      let inserted = 0;
      let stored = 0;
      let newAlerts = 0;
      try {
        db.exec("BEGIN IMMEDIATE");
        for (let i = 0; i < readings.length; i += CHUNK) {
          inserted += this.#chunk(readings, i, Math.min(CHUNK, readings.length - i), storedAt);
        }
        stored = this.#writeDeadLetters(deadLetters);
        for (const set of forecastSets(forecasts)) this.#forecasts.write(set, storedAt);
        newAlerts = this.#writeRecords(batch, storedAt);
        db.exec("COMMIT");
        this.#forecasts.committed();
      } catch (e) {
        if (db.isTransaction) db.exec("ROLLBACK");
        this.#forecasts.rolledBack();
        const where = `reading store "${this.#path}" (nothing was written)`;
        throw failure(`Cannot write the batch to ${where}`, e);
      }
      return {
        inserted,
        duplicates: readings.length - inserted,
        deadLetters: stored,
        forecasts: forecasts.length,
        estimates: estimates.length,
        alerts: newAlerts,
      };
    });
  }

  /** Inserts the dead letters (the first one of a position stays); returns how many were new. */
  #writeDeadLetters(deadLetters: readonly Contract.DeadLetter[]): number {
    let stored = 0;
    for (const [j, d] of deadLetters.entries()) {
      const { topic, partition, offset } = d.source;
      try {
        const params = [d.key, d.reason, d.detail, d.original, d.rejected_at];
        stored += Number(
          this.#insertDeadLetter.run(topic, partition, offsetValue(offset), ...params).changes,
        );
      } catch (e) {
        throw failure(`dead letter ${j} (${topic}/${partition}@${offset})`, e);
      }
    }
    return stored;
  }

  /** Writes the batch's estimates, alert events and snapshots; returns the alert events new. */
  #writeRecords(batch: Contract.WriteBatch, storedAt: string): number {
    const { estimates = [], alerts = [], snapshots = [] } = batch;
    let newAlerts = 0;
    for (const [j, e] of estimates.entries()) {
      this.#write(
        `estimate ${j} ("${e.estimate_id}")`,
        estimateProblem(e),
        () =>
          this.#upsertEstimate.run(
            e.estimate_id,
            e.station_id,
            Date.parse(e.ts),
            e.target,
            e.value,
            JSON.stringify(e),
            storedAt,
          ),
      );
    }
    for (const [j, a] of alerts.entries()) {
      const item = `alert ${j} (${a.alert_id} ${a.state} ${a.severity})`;
      newAlerts += this.#write(item, alertProblem(a), () =>
        this.#insertAlert.run(
          a.alert_id,
          a.state,
          a.severity,
          a.kind,
          a.station_id,
          Date.parse(a.raised_at),
          JSON.stringify(a),
          storedAt,
        ));
    }
    for (const [j, s] of snapshots.entries()) {
      this.#write(
        `snapshot ${j} ("${s.name}")`,
        snapshotProblem(s),
        () => this.#upsertSnapshot.run(s.name, JSON.stringify(s.value), s.updated_at_ms, storedAt),
      );
    }
    return newAlerts;
  }

  /** Runs `statement` for `item` unless the checks found a `problem`; returns rows changed. */
  #write(
    item: string,
    problem: string | undefined,
    statement: () => { changes: number | bigint },
  ): number {
    try {
      if (problem) throw new RangeError(problem);
      return Number(statement().changes);
    } catch (e) {
      throw failure(item, e);
    }
  }

  /** The statement that upserts `rows` readings. */
  #upsert(rows: number): StatementSync {
    return this.#upserts[rows] ??= this.#db.prepare(upsertReadings(rows));
  }

  /** Upserts readings `i` to `i + n - 1` in one statement; returns how many were new. */
  #chunk(
    readings: readonly Contract.CleanReading[],
    i: number,
    n: number,
    storedAt: string,
  ): number {
    const params: SqlValue[] = new Array(n * COLUMNS_WRITTEN);
    for (let j = 0; j < n; j++) {
      readingParams(readings, i + j, storedAt, params, j * COLUMNS_WRITTEN);
    }
    try {
      let inserted = 0;
      for (const row of this.#upsert(n).all(...params)) if (row.revision === 1) inserted++;
      return inserted;
    } catch (e) {
      // Only this statement was undone: replay it row by row to name the reading at fault.
      for (let j = i; j < i + n && n > 1 && this.#db.isTransaction; j++) {
        this.#chunk(readings, j, 1, storedAt);
      }
      throw n > 1 ? e : failure(readingLabel(readings, i), e);
    }
  }

  summary(): Promise<Contract.StoreSummary> {
    return this.#use((db) => summaryOf(db.prepare(SUMMARY).get() ?? {}));
  }

  details(): Promise<Contract.StoreDetails> {
    return this.#use((db) => {
      const row: Row = db.prepare(DETAILS).get() ?? {};
      const flags = db.prepare(FLAG_COUNTS).all();
      return detailsOf(row, flags, db.prepare(REASON_COUNTS).all());
    });
  }

  readings(query: Contract.ReadingQuery = {}): Promise<Contract.CleanReading[]> {
    return this.#use((db) => {
      const [sql, params] = selectReadings(query);
      return db.prepare(sql).all(...params).map((row) =>
        readingOf(row, JSON.parse(String(row.flags)), JSON.parse(String(row.rejected)), this.#path)
      );
    });
  }

  deadLetters(limit?: number): Promise<Contract.DeadLetter[]> {
    return this.#use((db) => {
      checkLimit(limit);
      return db.prepare(SELECT_DEAD_LETTERS).all(limit ?? -1).map((r) => ({
        source: {
          topic: String(r.topic),
          partition: Number(r.partition),
          offset: String(r.offset),
        },
        key: r.msg_key === null ? null : String(r.msg_key),
        reason: String(r.reason),
        detail: String(r.detail),
        original: r.original instanceof Uint8Array ? r.original : null,
        rejected_at: String(r.rejected_at),
      }));
    });
  }

  forecasts(query: Contract.ForecastQuery = {}): Promise<Contract.ForecastRecord[]> {
    return this.#use(() => this.#forecasts.query(query));
  }

  estimates(query: Contract.ReadingQuery = {}): Promise<Contract.EstimateRecord[]> {
    return this.#use((db) => {
      const [where, params] = recordFilters(query, () => "?");
      const sql = `SELECT record FROM estimates ${where}
        ORDER BY ts_ms, station_id, target, estimate_id LIMIT ?`;
      return db.prepare(sql).all(...params, query.limit ?? -1)
        .map((row) => JSON.parse(String(row.record)) as Contract.EstimateRecord);
    });
  }

  alerts(limit?: number): Promise<Contract.Alert[]> {
    return this.#use((db) => {
      checkLimit(limit);
      return db.prepare(SELECT_ALERTS).all(limit ?? -1)
        .map((row) => JSON.parse(String(row.record)) as Contract.Alert);
    });
  }

  snapshot(name: string): Promise<{ value: unknown; updated_at_ms: number } | null> {
    return this.#use((db) => {
      const row = db.prepare(SELECT_SNAPSHOT).get(name);
      return row === undefined
        ? null
        : { value: JSON.parse(String(row.value)), updated_at_ms: Number(row.updated_at_ms) };
    });
  }

  snapshots(prefix: string): Promise<Contract.Snapshot[]> {
    return this.#use((db) =>
      db.prepare(SELECT_SNAPSHOTS).all(prefix).map((row) => ({
        name: String(row.name),
        value: JSON.parse(String(row.value)),
        updated_at_ms: Number(row.updated_at_ms),
      }))
    );
  }

  close(): Promise<void> {
    return Promise.try(() => {
      if (!this.#db.isOpen) return;
      try {
        this.#db.exec("PRAGMA optimize");
      } finally {
        this.#db.close();
      }
    });
  }

  /** Runs `f` on the open database; a throw (or a closed store) becomes a rejection. */
  #use<T>(f: (db: DatabaseSync) => T): Promise<T> {
    return Promise.try(() => {
      if (!this.#db.isOpen) throw new Error(`Reading store "${this.#path}" is closed`);
      return f(this.#db);
    });
  }
}
