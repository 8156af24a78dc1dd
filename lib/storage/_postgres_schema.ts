/**
 * The PostgreSQL store's schema: its migrations, in order, the version they
 * reach (kept in the one-row table `airq_schema`), and `migrateIn`, which
 * applies them inside a transaction that `postgres.ts` opens.
 *
 * @module
 */
import type { Row } from "./_rows.ts";

/**
 * Schema migrations, in order: entry `i` takes `airq_schema.version` from `i` to
 * `i + 1`. Never edit a released entry; append one. The columns are written out,
 * not generated from MEASUREMENT_FIELDS, so that migration 1 never changes meaning.
 * `COLLATE "C"` orders station ids by code point, as SQLite and the memory store do.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE readings (
    station_id text COLLATE "C" NOT NULL CHECK (station_id <> ''),
    ts_utc_ms bigint NOT NULL,
    ts_local text NOT NULL,
    co_mg_m3 float8, pt08_s1_co float8, nmhc_ug_m3 float8, c6h6_ug_m3 float8,
    pt08_s2_nmhc float8, nox_ppb float8, pt08_s3_nox float8, no2_ug_m3 float8,
    pt08_s4_no2 float8, pt08_s5_o3 float8, t_c float8, rh_pct float8, ah float8,
    flags jsonb NOT NULL,
    rejected jsonb NOT NULL,
    status text NOT NULL CHECK (status IN ('ok', 'flagged', 'outage')),
    source_topic text NOT NULL,
    source_partition integer NOT NULL CHECK (source_partition >= 0),
    source_offset bigint NOT NULL CHECK (source_offset >= 0),
    revision integer NOT NULL DEFAULT 1,
    stored_at timestamptz NOT NULL,
    PRIMARY KEY (station_id, ts_utc_ms)
  );
  CREATE INDEX readings_ts ON readings (ts_utc_ms);
  CREATE TABLE dead_letters (
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    source_topic text NOT NULL,
    source_partition integer NOT NULL CHECK (source_partition >= 0),
    source_offset bigint NOT NULL CHECK (source_offset >= 0),
    msg_key text,
    reason text NOT NULL,
    detail text NOT NULL,
    original bytea,
    rejected_at text NOT NULL,
    PRIMARY KEY (source_topic, source_partition, source_offset)
  );
  CREATE INDEX dead_letters_reason ON dead_letters (reason);`,
  // 2: forecasts, estimates, alert events and snapshots, each kept whole as JSON text (`record`,
  // `value`: text, not jsonb, so that it comes back exactly as written) beside the columns that
  // queries filter and sort on; times in epoch ms.
  `CREATE TABLE IF NOT EXISTS forecasts (
    forecast_id text PRIMARY KEY CHECK (forecast_id <> ''),
    station_id text COLLATE "C" NOT NULL CHECK (station_id <> ''),
    ts_ms bigint NOT NULL,
    target text COLLATE "C" NOT NULL,
    horizon_h float8 NOT NULL,
    target_ts_ms bigint NOT NULL,
    value float8,
    baseline boolean NOT NULL,
    record text NOT NULL,
    stored_at timestamptz NOT NULL
  );
  CREATE INDEX IF NOT EXISTS forecasts_ts ON forecasts (ts_ms, station_id, target, horizon_h);
  CREATE INDEX IF NOT EXISTS forecasts_station ON forecasts (station_id, ts_ms);
  CREATE TABLE IF NOT EXISTS estimates (
    estimate_id text PRIMARY KEY CHECK (estimate_id <> ''),
    station_id text COLLATE "C" NOT NULL CHECK (station_id <> ''),
    ts_ms bigint NOT NULL,
    target text COLLATE "C" NOT NULL,
    value float8 NOT NULL,
    record text NOT NULL,
    stored_at timestamptz NOT NULL
  );
  CREATE INDEX IF NOT EXISTS estimates_ts ON estimates (ts_ms, station_id, target);
  CREATE TABLE IF NOT EXISTS alerts (
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    alert_id text NOT NULL,
    state text NOT NULL,
    severity text NOT NULL,
    kind text NOT NULL,
    station_id text,
    raised_at_ms bigint NOT NULL,
    record text NOT NULL,
    stored_at timestamptz NOT NULL,
    PRIMARY KEY (alert_id, state, severity)
  );
  CREATE INDEX IF NOT EXISTS alerts_raised ON alerts (raised_at_ms);
  CREATE TABLE IF NOT EXISTS snapshots (
    name text PRIMARY KEY CHECK (name <> ''),
    value text NOT NULL,
    updated_at_ms bigint NOT NULL,
    stored_at timestamptz NOT NULL
  );`,
  // 3: forecasts as one row per reading, a "forecast set" keyed by station and feature time
  // (lib/storage/_forecast_sets.ts): `n` forecasts, `records` the JSON array of their records,
  // `ids` their forecast_ids in the same order (merging by id needs no JSON operator, which
  // would refuse a \u0000 anywhere in a record). Version-2 rows move over, their text unchanged.
  `CREATE TABLE forecast_sets (
    station_id text COLLATE "C" NOT NULL CHECK (station_id <> ''),
    ts_ms bigint NOT NULL,
    n integer NOT NULL,
    ids text[] NOT NULL,
    records text NOT NULL,
    stored_at timestamptz NOT NULL,
    PRIMARY KEY (station_id, ts_ms)
  );
  CREATE INDEX forecast_sets_ts ON forecast_sets (ts_ms, station_id) INCLUDE (n);
  INSERT INTO forecast_sets (station_id, ts_ms, n, ids, records, stored_at)
    SELECT station_id, ts_ms, count(*), array_agg(forecast_id ORDER BY forecast_id),
      '[' || string_agg(record, ',' ORDER BY forecast_id) || ']', max(stored_at)
    FROM forecasts GROUP BY station_id, ts_ms;
  DROP TABLE forecasts;`,
];

/** The schema version this code creates and understands (`airq_schema.version`). */
export const POSTGRES_SCHEMA_VERSION: number = MIGRATIONS.length;

/** Serialises migrations of concurrent openers (an arbitrary 64-bit key: "airq" in ASCII). */
const MIGRATION_LOCK = 0x61697271;
const SCHEMA_TABLE = `CREATE TABLE airq_schema (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  version integer NOT NULL
)`;

/** What `migrateIn` uses of a transaction of npm `postgres`. */
export interface Transaction {
  unsafe(text: string, params?: unknown[]): Promise<Row[]>;
}

/**
 * Applies the migrations the database lacks, in the transaction `tx`, after
 * taking the migration lock; refuses a database whose schema is newer than
 * this code knows.
 */
export async function migrateIn(tx: Transaction): Promise<void> {
  const known = MIGRATIONS.length;
  await tx.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
  const [exists] = await tx.unsafe("SELECT to_regclass('airq_schema') IS NOT NULL AS yes");
  if (!exists?.yes) await tx.unsafe(SCHEMA_TABLE);
  const [row] = await tx.unsafe("SELECT version FROM airq_schema");
  const from = row === undefined ? 0 : Number(row.version);
  if (from === known) return;
  if (from > known) {
    throw new Error(
      `its schema version is ${from}, but this airq knows versions up to ${known}. ` +
        "A newer airq wrote it: run that version, or use another database.",
    );
  }
  for (const ddl of MIGRATIONS.slice(from)) await tx.unsafe(ddl);
  await tx.unsafe(
    "INSERT INTO airq_schema (version) VALUES ($1) " +
      "ON CONFLICT (one) DO UPDATE SET version = excluded.version",
    [known],
  );
}
