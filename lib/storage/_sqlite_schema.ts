/**
 * The SQLite store's schema: its migrations, in order, and the version they
 * reach, and `migrate`, which applies them (`PRAGMA user_version` counts them).
 *
 * @module
 */

/**
 * The columns of the readings table, as migration 1 wrote them and migration 4
 * copied them (only its key changed). Written out, not generated from
 * MEASUREMENT_FIELDS, so that neither migration ever changes meaning.
 */
const READING_COLUMNS = `station_id TEXT NOT NULL CHECK (length(station_id) > 0),
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
    stored_at TEXT NOT NULL,`;

/**
 * Schema migrations, in order: entry `i` takes `PRAGMA user_version` from `i` to
 * `i + 1`. Never edit a released entry; append one. The columns are written out,
 * not generated from MEASUREMENT_FIELDS, so that migration 1 never changes meaning.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE readings (
    ${READING_COLUMNS}
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
    ${READING_COLUMNS}
    PRIMARY KEY (ts_utc_ms, station_id)
  ) STRICT;
  INSERT INTO readings_v4 SELECT * FROM readings ORDER BY ts_utc_ms, station_id;
  DROP TABLE readings;
  ALTER TABLE readings_v4 RENAME TO readings;`,
];

/** The schema version this code creates and understands (`PRAGMA user_version`). */
export const SQLITE_SCHEMA_VERSION: number = MIGRATIONS.length;

/** What `migrate` uses of a `node:sqlite` database. */
export interface MigratedDatabase {
  exec(sql: string): void;
  prepare(sql: string): { get(): Record<string, unknown> | undefined };
  readonly isTransaction: boolean;
}

/**
 * Applies the migrations `db` lacks in one transaction; refuses a database
 * whose schema is newer than this code knows.
 */
export function migrate(db: MigratedDatabase): void {
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
