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
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import {
  type Alert,
  CLEAN_SCHEMA_VERSION,
  type CleanReading,
  CleanReadingSchema,
  COLUMNS,
  type DeadLetter,
  type EstimateRecord,
  type FieldFlag,
  type ForecastRecord,
  MEASUREMENT_FIELDS,
} from "../records/mod.ts";
import type {
  ForecastQuery,
  ReadingQuery,
  ReadingStore,
  StoreDetails,
  StoreSummary,
  WriteBatch,
  WriteResult,
} from "./contract.ts";
import {
  alertProblem,
  checkLimit,
  estimateProblem,
  failure,
  messageOf,
  recordFilters,
  snapshotProblem,
} from "./_checks.ts";
import { appendMatching, type ForecastSet, forecastSets, mergeSet } from "./_forecast_sets.ts";
import { ForecastCodec } from "./_forecast_codec.ts";

/** Options of {@linkcode openSqliteStore}. */
export interface SqliteStoreOptions {
  /** `NORMAL` (default) survives process crashes; `FULL` also survives power loss. */
  synchronous?: "NORMAL" | "FULL";
  /** How long to wait for a lock held by another connection, in ms; default 5000. */
  busyTimeoutMs?: number;
}

/**
 * Schema migrations, in order: entry `i` takes `PRAGMA user_version` from `i` to
 * `i + 1`. Never edit a released entry; append one. The columns are written out,
 * not generated from MEASUREMENT_FIELDS, so that migration 1 never changes meaning.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE readings (
    station_id TEXT NOT NULL CHECK (length(station_id) > 0),
    ts_utc_ms INTEGER NOT NULL,
    ts_local TEXT NOT NULL,
    co_mg_m3 REAL, pt08_s1_co REAL, nmhc_ug_m3 REAL, c6h6_ug_m3 REAL, pt08_s2_nmhc REAL,
    nox_ppb REAL, pt08_s3_nox REAL, no2_ug_m3 REAL, pt08_s4_no2 REAL, pt08_s5_o3 REAL,
    t_c REAL, rh_pct REAL, ah REAL,
    flags TEXT NOT NULL,
    rejected TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'flagged', 'outage')),
    source_topic TEXT NOT NULL,
    source_partition INTEGER NOT NULL CHECK (source_partition >= 0),
    source_offset INTEGER NOT NULL CHECK (source_offset >= 0),
    revision INTEGER NOT NULL DEFAULT 1,
    stored_at TEXT NOT NULL,
    PRIMARY KEY (station_id, ts_utc_ms)
  ) STRICT;
  CREATE INDEX readings_ts ON readings (ts_utc_ms);
  CREATE TABLE dead_letters (
    source_topic TEXT NOT NULL,
    source_partition INTEGER NOT NULL CHECK (source_partition >= 0),
    source_offset INTEGER NOT NULL CHECK (source_offset >= 0),
    msg_key TEXT,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    original BLOB,
    rejected_at TEXT NOT NULL,
    PRIMARY KEY (source_topic, source_partition, source_offset)
  ) STRICT;
  CREATE INDEX dead_letters_reason ON dead_letters (reason);`,
  // 2: forecasts, estimates, alert events and snapshots, each kept whole as JSON text (`record`,
  // `value`) beside the columns that queries filter and sort on; times in epoch ms.
  `CREATE TABLE IF NOT EXISTS forecasts (
    forecast_id TEXT PRIMARY KEY CHECK (length(forecast_id) > 0),
    station_id TEXT NOT NULL CHECK (length(station_id) > 0),
    ts_ms INTEGER NOT NULL,
    target TEXT NOT NULL,
    horizon_h REAL NOT NULL,
    target_ts_ms INTEGER NOT NULL,
    value REAL,
    baseline INTEGER NOT NULL CHECK (baseline IN (0, 1)),
    record TEXT NOT NULL CHECK (json_valid(record)),
    stored_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS forecasts_ts ON forecasts (ts_ms, station_id, target, horizon_h);
  CREATE INDEX IF NOT EXISTS forecasts_station ON forecasts (station_id, ts_ms);
  CREATE TABLE IF NOT EXISTS estimates (
    estimate_id TEXT PRIMARY KEY CHECK (length(estimate_id) > 0),
    station_id TEXT NOT NULL CHECK (length(station_id) > 0),
    ts_ms INTEGER NOT NULL,
    target TEXT NOT NULL,
    value REAL NOT NULL,
    record TEXT NOT NULL CHECK (json_valid(record)),
    stored_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS estimates_ts ON estimates (ts_ms, station_id, target);
  CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT NOT NULL,
    state TEXT NOT NULL,
    severity TEXT NOT NULL,
    kind TEXT NOT NULL,
    station_id TEXT,
    raised_at_ms INTEGER NOT NULL,
    record TEXT NOT NULL CHECK (json_valid(record)),
    stored_at TEXT NOT NULL,
    PRIMARY KEY (alert_id, state, severity)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS alerts_raised ON alerts (raised_at_ms);
  CREATE TABLE IF NOT EXISTS snapshots (
    name TEXT PRIMARY KEY CHECK (length(name) > 0),
    value TEXT NOT NULL CHECK (json_valid(value)),
    updated_at_ms INTEGER NOT NULL,
    stored_at TEXT NOT NULL
  ) STRICT;`,
  // 3: forecasts as one row per reading, a "forecast set" keyed by station and feature time
  // (lib/storage/_forecast_sets.ts): `n` forecasts, `records` and `numbers` as
  // lib/storage/_forecast_codec.ts writes them, with what the forecasts of many readings share
  // stored once in `forecast_templates`. Version-2 rows move over as the JSON array of their
  // records, their text unchanged.
  `CREATE TABLE forecast_templates (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
  ) STRICT;
  CREATE TABLE forecast_sets (
    station_id TEXT NOT NULL CHECK (length(station_id) > 0),
    ts_ms INTEGER NOT NULL,
    n INTEGER NOT NULL,
    records TEXT NOT NULL,
    numbers BLOB,
    stored_at TEXT NOT NULL,
    PRIMARY KEY (station_id, ts_ms)
  ) STRICT;
  CREATE INDEX forecast_sets_ts ON forecast_sets (ts_ms, station_id, n);
  INSERT INTO forecast_sets (station_id, ts_ms, n, records, numbers, stored_at)
    SELECT station_id, ts_ms, count(*), '[' || group_concat(record, ',') || ']', NULL,
      max(stored_at)
    FROM forecasts GROUP BY station_id, ts_ms;
  DROP TABLE forecasts;`,
  // 4: readings keyed by time first, (ts_utc_ms, station_id), in place of (station_id, ts_utc_ms)
  // plus an index on ts_utc_ms. Readings arrive in time order, so a batch now appends to the end
  // of one index instead of touching a leaf page per station in one and appending to another: the
  // upserts of a year of 100 stations took about a third of the time. The same keys are unique;
  // a station's time range is read along the time order, the station checked in the index.
  `CREATE TABLE readings_v4 (
    station_id TEXT NOT NULL CHECK (length(station_id) > 0),
    ts_utc_ms INTEGER NOT NULL,
    ts_local TEXT NOT NULL,
    co_mg_m3 REAL, pt08_s1_co REAL, nmhc_ug_m3 REAL, c6h6_ug_m3 REAL, pt08_s2_nmhc REAL,
    nox_ppb REAL, pt08_s3_nox REAL, no2_ug_m3 REAL, pt08_s4_no2 REAL, pt08_s5_o3 REAL,
    t_c REAL, rh_pct REAL, ah REAL,
    flags TEXT NOT NULL,
    rejected TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'flagged', 'outage')),
    source_topic TEXT NOT NULL,
    source_partition INTEGER NOT NULL CHECK (source_partition >= 0),
    source_offset INTEGER NOT NULL CHECK (source_offset >= 0),
    revision INTEGER NOT NULL DEFAULT 1,
    stored_at TEXT NOT NULL,
    PRIMARY KEY (ts_utc_ms, station_id)
  ) STRICT;
  INSERT INTO readings_v4 SELECT * FROM readings ORDER BY ts_utc_ms, station_id;
  DROP TABLE readings;
  ALTER TABLE readings_v4 RENAME TO readings;`,
];

/** The schema version this code creates and understands (`PRAGMA user_version`). */
export const SQLITE_SCHEMA_VERSION: number = MIGRATIONS.length;

const FIELDS = MEASUREMENT_FIELDS.join(", ");
const WRITTEN = `station_id, ts_utc_ms, ts_local, ${FIELDS}, flags, rejected, status, ` +
  "source_topic, source_partition, source_offset, stored_at";
const COLUMNS_WRITTEN = WRITTEN.split(", ").length;
const ROW = `(${Array(COLUMNS_WRITTEN).fill("?").join(", ")})`;
const UPDATED = WRITTEN.split(", ").slice(2).map((c) => `${c} = excluded.${c}`).join(", ");
/** Readings per multi-row upsert (32 × 24 parameters), about 25 % faster than one by one. */
const CHUNK = 32;
// The conflict policy of mod.ts. RETURNING gives 1 for an insert, more for a
// replacement, and no row for a duplicate that changed nothing.
const upsert = (rows: number) =>
  `INSERT INTO readings (${WRITTEN}) VALUES ${Array(rows).fill(ROW).join(", ")}
  ON CONFLICT (ts_utc_ms, station_id) DO UPDATE SET ${UPDATED}, revision = readings.revision + 1
  WHERE excluded.source_topic IS NOT readings.source_topic
    OR excluded.source_partition IS NOT readings.source_partition
    OR excluded.source_offset > readings.source_offset
  RETURNING revision`;
const INSERT_DEAD_LETTER = `INSERT INTO dead_letters (source_topic, source_partition,
  source_offset, msg_key, reason, detail, original, rejected_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;
const SELECT_READINGS = `SELECT station_id, ts_utc_ms, ts_local, ${FIELDS}, flags, rejected,
  status, source_topic, source_partition, CAST(source_offset AS TEXT) AS source_offset
  FROM readings`;
const SELECT_DEAD_LETTERS = `SELECT source_topic AS topic, source_partition AS partition,
  CAST(source_offset AS TEXT) AS offset, msg_key, reason, detail, original, rejected_at
  FROM dead_letters ORDER BY rowid DESC LIMIT ?`;
// A set is inserted; only when its key is stored already is the stored set read and merged.
const INSERT_FORECAST_SET = `INSERT INTO forecast_sets (station_id, ts_ms, n, records, numbers,
  stored_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (station_id, ts_ms) DO NOTHING`;
const SELECT_FORECAST_SET = `SELECT records, numbers FROM forecast_sets
  WHERE station_id = ? AND ts_ms = ?`;
const UPDATE_FORECAST_SET = `UPDATE forecast_sets SET n = ?, records = ?, numbers = ?,
  stored_at = ? WHERE station_id = ? AND ts_ms = ?`;
const SELECT_TEMPLATE_NUMBER = "SELECT id FROM forecast_templates WHERE text = ?";
const INSERT_TEMPLATE = "INSERT INTO forecast_templates (text) VALUES (?)";
const SELECT_TEMPLATE_TEXT = "SELECT text FROM forecast_templates WHERE id = ?";
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

type Row = Record<string, unknown>;

/**
 * Opens the SQLite store at `path` (creating the file and its parent folders
 * if needed), switches it to WAL and applies pending migrations in one
 * transaction. Rejects a file whose schema is newer than this code knows.
 */
export async function openSqliteStore(
  path: string,
  options: SqliteStoreOptions = {},
): Promise<ReadingStore> {
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

function migrate(db: DatabaseSync): void {
  const known = MIGRATIONS.length;
  const version = () => Number(db.prepare("PRAGMA user_version").get()?.user_version);
  if (version() === known) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    const from = version(); // again: another process may have migrated meanwhile
    if (from > known) {
      throw new Error(
        `its schema version is ${from}, but this airq knows versions up to ${known}. ` +
          "A newer airq wrote it: run that version, or use another file.",
      );
    }
    for (const sql of MIGRATIONS.slice(from)) db.exec(sql);
    db.exec(`PRAGMA user_version = ${known}; COMMIT`);
  } catch (e) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw e;
  }
}

class SqliteStore implements ReadingStore {
  readonly #db: DatabaseSync;
  readonly #path: string;
  /** `#upserts[n]` upserts n readings in one statement (1 to CHUNK), prepared when first needed. */
  readonly #upserts: StatementSync[] = [];
  readonly #insertDeadLetter: StatementSync;
  readonly #insertForecastSet: StatementSync;
  readonly #selectForecastSet: StatementSync;
  readonly #updateForecastSet: StatementSync;
  /** Encodes forecast sets, numbering their templates in `forecast_templates`. */
  readonly #codec: ForecastCodec;
  readonly #upsertEstimate: StatementSync;
  readonly #insertAlert: StatementSync;
  readonly #upsertSnapshot: StatementSync;

  constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.#path = path;
    this.#insertDeadLetter = db.prepare(INSERT_DEAD_LETTER);
    this.#insertForecastSet = db.prepare(INSERT_FORECAST_SET);
    this.#selectForecastSet = db.prepare(SELECT_FORECAST_SET);
    this.#updateForecastSet = db.prepare(UPDATE_FORECAST_SET);
    const selectNumber = db.prepare(SELECT_TEMPLATE_NUMBER);
    const insertTemplate = db.prepare(INSERT_TEMPLATE);
    const selectText = db.prepare(SELECT_TEMPLATE_TEXT);
    this.#codec = new ForecastCodec({
      find: (text) => {
        const row = selectNumber.get(text);
        return row === undefined ? undefined : Number(row.id);
      },
      add: (text) => Number(insertTemplate.run(text).lastInsertRowid),
      text: (number) => {
        const row = selectText.get(number);
        return row === undefined ? undefined : String(row.text);
      },
    });
    this.#upsertEstimate = db.prepare(UPSERT_ESTIMATE);
    this.#insertAlert = db.prepare(INSERT_ALERT);
    this.#upsertSnapshot = db.prepare(UPSERT_SNAPSHOT);
  }

  writeBatch(batch: WriteBatch): Promise<WriteResult> {
    const { readings, deadLetters, forecasts = [], estimates = [], alerts = [] } = batch;
    const { snapshots = [] } = batch;
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
        for (const set of forecastSets(forecasts)) this.#writeForecastSet(set, storedAt);
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
            () =>
              this.#upsertSnapshot.run(s.name, JSON.stringify(s.value), s.updated_at_ms, storedAt),
          );
        }
        db.exec("COMMIT");
        this.#codec.committed();
      } catch (e) {
        if (db.isTransaction) db.exec("ROLLBACK");
        this.#codec.rolledBack();
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

  /**
   * Inserts the forecast set `set`, or, when the store holds a set of its station
   * and time, merges it into that one by `forecast_id`.
   */
  #writeForecastSet(set: ForecastSet, storedAt: string): void {
    const { station_id, ts_ms, forecasts } = set;
    try {
      const encoded = this.#codec.encode(station_id, forecasts, set.irregular);
      const { records, numbers } = encoded;
      const n = forecasts.length;
      const insert = this.#insertForecastSet.run(station_id, ts_ms, n, records, numbers, storedAt);
      if (Number(insert.changes) === 1) return;
      const row = this.#selectForecastSet.get(station_id, ts_ms) ?? {};
      const bytes = row.numbers as Uint8Array | null;
      const stored = this.#codec.decode(station_id, String(row.records), bytes);
      const merged = mergeSet(stored, forecasts);
      const again = merged === forecasts ? encoded : this.#codec.encode(station_id, merged, null);
      this.#updateForecastSet.run(
        merged.length,
        again.records,
        again.numbers,
        storedAt,
        station_id,
        ts_ms,
      );
    } catch (e) {
      const at = new Date(ts_ms).toISOString();
      throw failure(`the forecasts of station "${station_id}" at ${at}`, e);
    }
  }

  /** The statement that upserts `rows` readings. */
  #upsert(rows: number): StatementSync {
    return this.#upserts[rows] ??= this.#db.prepare(upsert(rows));
  }

  /** Upserts readings `i` to `i + n - 1` in one statement; returns how many were new. */
  #chunk(readings: readonly CleanReading[], i: number, n: number, storedAt: string): number {
    const params: SQLInputValue[] = new Array(n * COLUMNS_WRITTEN);
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
      throw n > 1 ? e : failure(label(readings, i), e);
    }
  }

  summary(): Promise<StoreSummary> {
    return this.#use((db) => {
      const row: Row = db.prepare(SUMMARY).get() ?? {};
      return {
        stored_readings: Number(row.stored_readings),
        stations: Number(row.stations),
        missing: Object.fromEntries(COLUMNS.map((c) => [c.source, Number(row[c.field])])),
        dead_letters: Number(row.dead_letters),
        forecasts: Number(row.forecasts),
        estimates: Number(row.estimates),
        alerts: Number(row.alerts),
      };
    });
  }

  details(): Promise<StoreDetails> {
    return this.#use((db) => {
      const row: Row = db.prepare(DETAILS).get() ?? {};
      const source = new Map<string, string>(COLUMNS.map((c) => [c.field, c.source]));
      const flags: StoreDetails["flags"] = {};
      for (const { k, v, n } of db.prepare(FLAG_COUNTS).all()) {
        (flags[source.get(String(k)) ?? String(k)] ??= {})[v as FieldFlag] = Number(n);
      }
      const reasons = db.prepare(REASON_COUNTS).all().map(({ k, n }) => [String(k), Number(n)]);
      return {
        first_ts_utc_ms: row.first === null ? null : Number(row.first),
        last_ts_utc_ms: row.last === null ? null : Number(row.last),
        status: { ok: Number(row.ok), flagged: Number(row.flagged), outage: Number(row.outage) },
        flags,
        rewritten_readings: Number(row.rewritten),
        dead_letter_reasons: Object.fromEntries(reasons),
      };
    });
  }

  readings(query: ReadingQuery = {}): Promise<CleanReading[]> {
    return this.#use((db) => {
      const { station_id, from_ms, to_ms, limit } = query;
      checkLimit(limit);
      const filters = ([
        ["station_id = ?", station_id],
        ["ts_utc_ms >= ?", from_ms],
        ["ts_utc_ms < ?", to_ms],
      ] as const).filter((f) => f[1] !== undefined);
      const where = filters.length > 0 ? `WHERE ${filters.map((f) => f[0]).join(" AND ")}` : "";
      const params = filters.map((f) => f[1] as string | number);
      const sql = `${SELECT_READINGS} ${where} ORDER BY ts_utc_ms, station_id LIMIT ?`;
      return db.prepare(sql).all(...params, limit ?? -1).map((row) => this.#toReading(row));
    });
  }

  deadLetters(limit?: number): Promise<DeadLetter[]> {
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

  forecasts(query: ForecastQuery = {}): Promise<ForecastRecord[]> {
    return this.#use((db) => {
      const [where, params] = recordFilters(query, () => "?");
      const limit = query.limit ?? Infinity;
      const found: ForecastRecord[] = [];
      if (limit === 0) return found;
      // Set by set, in time and station order; target and horizon are filtered within a set.
      const sql = `SELECT station_id, records, numbers FROM forecast_sets ${where}
        ORDER BY ts_ms, station_id`;
      for (const row of db.prepare(sql).iterate(...params)) {
        const station = String(row.station_id);
        const numbers = row.numbers as Uint8Array | null;
        const set = this.#codec.decode(station, String(row.records), numbers);
        appendMatching(found, set, query, limit);
        if (found.length >= limit) break;
      }
      return found;
    });
  }

  estimates(query: ReadingQuery = {}): Promise<EstimateRecord[]> {
    return this.#use((db) => {
      const [where, params] = recordFilters(query, () => "?");
      const sql = `SELECT record FROM estimates ${where}
        ORDER BY ts_ms, station_id, target, estimate_id LIMIT ?`;
      return db.prepare(sql).all(...params, query.limit ?? -1)
        .map((row) => JSON.parse(String(row.record)) as EstimateRecord);
    });
  }

  alerts(limit?: number): Promise<Alert[]> {
    return this.#use((db) => {
      checkLimit(limit);
      return db.prepare(SELECT_ALERTS).all(limit ?? -1)
        .map((row) => JSON.parse(String(row.record)) as Alert);
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

  #toReading(row: Row): CleanReading {
    const parsed = CleanReadingSchema.safeParse({
      schema_version: CLEAN_SCHEMA_VERSION,
      station_id: row.station_id,
      ts: row.ts_local,
      ts_utc_ms: row.ts_utc_ms,
      measurements: Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, row[f]])),
      flags: JSON.parse(String(row.flags)),
      rejected: JSON.parse(String(row.rejected)),
      status: row.status,
      source: {
        topic: row.source_topic,
        partition: row.source_partition,
        offset: row.source_offset,
      },
    });
    if (parsed.success) return parsed.data;
    const which = `station "${row.station_id}" at ${row.ts_local}`;
    throw new TypeError(
      `Reading store "${this.#path}" holds an invalid reading (${which}): ${parsed.error.message}`,
    );
  }
}

/** Writes the upsert's parameters for reading `i`, in `WRITTEN` order, into `into` from `at`. */
function readingParams(
  readings: readonly CleanReading[],
  i: number,
  storedAt: string,
  into: SQLInputValue[],
  at: number,
): void {
  // deno-lint-ignore no-non-null-assertion -- callers stay below readings.length
  const r = readings[i]!;
  try {
    const m = r.measurements;
    const { topic, partition, offset } = r.source;
    into[at] = r.station_id;
    into[at + 1] = r.ts_utc_ms;
    into[at + 2] = r.ts;
    let k = at + 3;
    for (const f of MEASUREMENT_FIELDS) into[k++] = finiteOrNull(f, m[f]);
    into[k++] = JSON.stringify(r.flags);
    into[k++] = JSON.stringify(r.rejected);
    into[k++] = r.status;
    into[k++] = topic;
    into[k++] = partition;
    into[k++] = offsetValue(offset);
    into[k] = storedAt;
  } catch (e) {
    throw failure(label(readings, i), e);
  }
}

/** `v`, unless it is a number SQLite (and JSON) would store as NULL without a word. */
function finiteOrNull(field: string, v: number | null): number | null {
  if (v !== null && !Number.isFinite(v)) throw new RangeError(`${field} must be finite, not ${v}`);
  return v;
}

const MAX_OFFSET = "9223372036854775807"; // SQLite's largest integer

/** Refuses an offset that is not decimal digits SQLite's 64-bit integer holds exactly. */
function checkOffset(offset: string): void {
  // BigInt() alone would also take " 7" and "0x7".
  if (!/^\d+$/.test(offset)) throw new RangeError(`offset must be decimal digits, not "${offset}"`);
  const digits = offset.replace(/^0+(?=\d)/, "");
  if (
    digits.length > MAX_OFFSET.length ||
    (digits.length === MAX_OFFSET.length && digits > MAX_OFFSET)
  ) throw new RangeError(`offset ${offset} is above ${MAX_OFFSET}, the largest Kafka offset`);
}

/** A Kafka offset as SQLite's 64-bit integer: exact, and ordered as a number. */
function offsetValue(offset: string): bigint {
  checkOffset(offset);
  return BigInt(offset);
}

function label(readings: readonly CleanReading[], i: number): string {
  return `reading ${i} (station "${readings[i]?.station_id}" at ${readings[i]?.ts})`;
}
