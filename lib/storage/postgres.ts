/**
 * The PostgreSQL reading store, on npm `postgres` (the only module that
 * imports it). Same semantics as the SQLite store (see `mod.ts`): one
 * transaction per batch, the same conflict policy, the same counts.
 *
 * Durability: a batch is committed before `writeBatch()` resolves; with the
 * server's default `synchronous_commit = on` it survives a crash of the
 * consumer, of the server and a power loss.
 *
 * A batch is sent as one JSON parameter and upserted with one multi-row
 * `INSERT ... SELECT FROM json_to_recordset(...) ON CONFLICT` (a second one
 * only for keys repeated within the batch, which PostgreSQL cannot update
 * twice in one statement): about 0.5 s per 10,000 readings on a local server
 * (SQLite: about 0.08 s), far above what the consumer needs. Forecasts,
 * estimates, alert events and snapshots go the same way, one JSON parameter
 * and one statement per kind, in the same transaction; forecasts as one row
 * per reading (`_forecast_sets.ts`), merged into a stored one by the statement.
 *
 * Connection settings come from the URL (`postgres://user:password@host:port/db`);
 * what the URL leaves out, npm `postgres` reads from the libpq variables
 * `PG*` (`PGPASSWORD`, `PGUSER`, ...), so scripts need `--allow-env=PG*`.
 *
 * @module
 */
import postgres from "postgres";
import { Buffer } from "node:buffer";
import { getLogger } from "@logtape/logtape";
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
  Snapshot,
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
  positionProblem,
  readingProblem,
  recordFilters,
  snapshotProblem,
} from "./_checks.ts";
import { appendMatching, type ForecastSet, forecastSets } from "./_forecast_sets.ts";

/** Options of {@linkcode openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Most connections the store keeps open at once; default 4. */
  maxConnections?: number;
  /** How long to wait for the server when connecting, in seconds; default 10. */
  connectTimeoutS?: number;
}

/**
 * Schema migrations, in order: entry `i` takes `airq_schema.version` from `i` to
 * `i + 1`. Never edit a released entry; append one. The columns are written out,
 * not generated from MEASUREMENT_FIELDS, so that migration 1 never changes meaning.
 * `COLLATE "C"` orders station ids by code point, as SQLite and the memory store do.
 */
const MIGRATIONS: readonly string[] = [
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

const FIELDS = MEASUREMENT_FIELDS.join(", ");
const WRITTEN = `station_id, ts_utc_ms, ts_local, ${FIELDS}, flags, rejected, status, ` +
  "source_topic, source_partition, source_offset";
const RECORD = `station_id text, ts_utc_ms bigint, ts_local text, ` +
  `${MEASUREMENT_FIELDS.map((f) => `${f} float8`).join(", ")}, flags jsonb, rejected jsonb, ` +
  "status text, source_topic text, source_partition integer, source_offset bigint";
const UPDATED = `${WRITTEN}, stored_at`.split(", ").slice(2).map((c) => `${c} = excluded.${c}`)
  .join(", ");
// The conflict policy of mod.ts. RETURNING gives 1 for an insert, more for a
// replacement, and no row for a duplicate that changed nothing.
const UPSERT = `INSERT INTO readings (${WRITTEN}, stored_at)
  SELECT ${WRITTEN}, $2::timestamptz FROM json_to_recordset($1::text::json) AS r(${RECORD})
  ON CONFLICT (station_id, ts_utc_ms) DO UPDATE SET ${UPDATED}, revision = readings.revision + 1
  WHERE excluded.source_topic IS DISTINCT FROM readings.source_topic
    OR excluded.source_partition IS DISTINCT FROM readings.source_partition
    OR excluded.source_offset > readings.source_offset
  RETURNING revision`;
// ORDER BY n: `seq` follows the batch's order, as SQLite's rowid does; the first one stored wins.
const INSERT_DEAD_LETTERS = `INSERT INTO dead_letters (source_topic, source_partition,
  source_offset, msg_key, reason, detail, original, rejected_at)
  SELECT d->>'topic', (d->>'partition')::integer, (d->>'offset')::bigint, d->>'key',
    d->>'reason', d->>'detail', decode(d->>'original', 'hex'), d->>'rejected_at'
  FROM json_array_elements($1::text::json) WITH ORDINALITY AS e(d, n) ORDER BY n
  ON CONFLICT DO NOTHING RETURNING 1`;
// One row per forecast set (unique keys: forecastSets() merged the batch's). A stored set is
// merged by forecast_id: its forecasts whose id the new set lacks are kept (the text of each
// as stored: json_array_elements of a json value keeps it), then the new set's.
const UPSERT_FORECAST_SETS = `INSERT INTO forecast_sets (station_id, ts_ms, n, ids, records,
  stored_at)
  SELECT station_id, ts_ms, n, ids, records, $2::timestamptz
  FROM json_to_recordset($1::text::json) AS r(station_id text, ts_ms bigint, n integer,
    ids text[], records text)
  ON CONFLICT (station_id, ts_ms) DO UPDATE SET (n, ids, records, stored_at) = (
    SELECT excluded.n + count(*),
      coalesce(array_agg(kept.id ORDER BY kept.i), '{}') || excluded.ids,
      CASE WHEN count(*) = 0 THEN excluded.records
        ELSE '[' || string_agg(kept.e, ',' ORDER BY kept.i) || ',' ||
          substr(excluded.records, 2) END,
      excluded.stored_at
    FROM unnest(forecast_sets.ids, ARRAY(
      SELECT e::text FROM json_array_elements(forecast_sets.records::json) AS e
    )) WITH ORDINALITY AS kept(id, e, i)
    WHERE kept.id <> ALL (excluded.ids))`;
const UPSERT_ESTIMATES = `INSERT INTO estimates (estimate_id, station_id, ts_ms, target, value,
  record, stored_at)
  SELECT estimate_id, station_id, ts_ms, target, value, record, $2::timestamptz
  FROM json_to_recordset($1::text::json) AS r(estimate_id text, station_id text, ts_ms bigint,
    target text, value float8, record text)
  ON CONFLICT (estimate_id) DO UPDATE SET station_id = excluded.station_id,
    ts_ms = excluded.ts_ms, target = excluded.target, value = excluded.value,
    record = excluded.record, stored_at = excluded.stored_at`;
// ORDER BY n: `seq` follows the batch's order, as SQLite's rowid does; the first one stored wins.
const INSERT_ALERTS = `INSERT INTO alerts (alert_id, state, severity, kind, station_id,
  raised_at_ms, record, stored_at)
  SELECT a->>'alert_id', a->>'state', a->>'severity', a->>'kind', a->>'station_id',
    (a->>'raised_at_ms')::bigint, a->>'record', $2::timestamptz
  FROM json_array_elements($1::text::json) WITH ORDINALITY AS e(a, n) ORDER BY n
  ON CONFLICT DO NOTHING RETURNING 1`;
const UPSERT_SNAPSHOTS = `INSERT INTO snapshots (name, value, updated_at_ms, stored_at)
  SELECT name, value, updated_at_ms, $2::timestamptz
  FROM json_to_recordset($1::text::json) AS r(name text, value text, updated_at_ms bigint)
  ON CONFLICT (name) DO UPDATE SET value = excluded.value,
    updated_at_ms = excluded.updated_at_ms, stored_at = excluded.stored_at`;
const SELECT_ALERTS = "SELECT record FROM alerts ORDER BY raised_at_ms DESC, seq DESC LIMIT $1";
const SELECT_SNAPSHOT = `SELECT value, updated_at_ms::float8 AS updated_at_ms FROM snapshots
  WHERE name = $1`;
const SELECT_READINGS = `SELECT station_id, ts_utc_ms::float8 AS ts_utc_ms, ts_local, ${FIELDS},
  flags, rejected, status, source_topic, source_partition, source_offset::text AS source_offset
  FROM readings`;
const SELECT_DEAD_LETTERS = `SELECT source_topic, source_partition,
  source_offset::text AS source_offset, msg_key, reason, detail, original, rejected_at
  FROM dead_letters ORDER BY seq DESC LIMIT $1`;
const SUMMARY = `SELECT count(*)::float8 AS stored_readings,
  count(DISTINCT station_id)::float8 AS stations,
  ${
  MEASUREMENT_FIELDS.map((f) => `count(*) FILTER (WHERE ${f} IS NULL)::float8 AS ${f}`)
    .join(", ")
},
  (SELECT count(*) FROM dead_letters)::float8 AS dead_letters,
  (SELECT coalesce(sum(n), 0) FROM forecast_sets)::float8 AS forecasts,
  (SELECT count(*) FROM estimates)::float8 AS estimates,
  (SELECT count(*) FROM alerts)::float8 AS alerts FROM readings`;
const DETAILS = `SELECT min(ts_utc_ms)::float8 AS first, max(ts_utc_ms)::float8 AS last,
  count(*) FILTER (WHERE revision > 1)::float8 AS rewritten,
  count(*) FILTER (WHERE status = 'ok')::float8 AS ok,
  count(*) FILTER (WHERE status = 'flagged')::float8 AS flagged,
  count(*) FILTER (WHERE status = 'outage')::float8 AS outage FROM readings`;
const FLAG_COUNTS = `SELECT f.key AS k, g.v, count(*)::float8 AS n
  FROM readings, jsonb_each(readings.flags) AS f, jsonb_array_elements_text(f.value) AS g(v)
  GROUP BY 1, 2`;
const REASON_COUNTS = "SELECT reason AS k, count(*)::float8 AS n FROM dead_letters GROUP BY reason";

type Row = Record<string, unknown>;
type Sql = ReturnType<typeof postgres>;

const log = getLogger(["airq", "storage", "postgres"]);

/**
 * Opens the PostgreSQL store at `url` (`postgres://` or `postgresql://`) and
 * applies pending migrations in one transaction. The database must exist; the
 * tables are created in it. Rejects a database whose schema is newer than this
 * code knows.
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<ReadingStore> {
  const { maxConnections = 4, connectTimeoutS = 10 } = options;
  const label = redactUrl(url);
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
    throw new RangeError(`maxConnections must be a whole number >= 1, not ${maxConnections}`);
  }
  if (!(connectTimeoutS > 0)) {
    throw new RangeError(`connectTimeoutS must be a number > 0, not ${connectTimeoutS}`);
  }
  let sql: Sql | undefined;
  try {
    if (!/^postgres(ql)?:\/\//i.test(url)) {
      throw new TypeError("the URL must start with postgres:// or postgresql://");
    }
    sql = postgres(url, {
      max: maxConnections,
      connect_timeout: connectTimeoutS,
      onnotice: (notice) => log.debug("PostgreSQL notice: {message}", { ...notice }),
    });
    await migrate(sql);
    return new PostgresStore(sql, label);
  } catch (e) {
    await sql?.end({ timeout: 1 });
    throw new Error(`Cannot open reading store "${label}": ${messageOf(e)}`, { cause: e });
  }
}

async function migrate(sql: Sql): Promise<void> {
  const known = MIGRATIONS.length;
  await sql.begin(async (tx) => {
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
  });
}

class PostgresStore implements ReadingStore {
  readonly #sql: Sql;
  readonly #label: string;
  #closed = false;

  constructor(sql: Sql, label: string) {
    this.#sql = sql;
    this.#label = label;
  }

  writeBatch(batch: WriteBatch): Promise<WriteResult> {
    const { readings, deadLetters, forecasts = [], estimates = [], alerts = [] } = batch;
    const { snapshots = [] } = batch;
    return this.#use(async (sql) => {
      try {
        // Check everything first: the batch is refused with the item at fault named.
        const layers = readingLayers(readings);
        const letters = deadLetters.map(deadLetterRecord);
        const setRows = forecastSetRecords(forecasts);
        const estimateRows = lastOfEachKey(estimates.map(estimateRecord), "estimate_id");
        const alertRows = alerts.map(alertRecord);
        const snapshotRows = lastOfEachKey(snapshots.map(snapshotRecord), "name");
        const storedAt = new Date().toISOString(); // one time for the whole batch
        return await sql.begin(async (tx) => {
          let inserted = 0;
          for (const layer of layers) {
            const rows = await tx.unsafe(UPSERT, [JSON.stringify(layer), storedAt]);
            inserted += rows.filter((row) => row.revision === 1).length;
          }
          const stored = letters.length === 0
            ? 0
            : (await tx.unsafe(INSERT_DEAD_LETTERS, [JSON.stringify(letters)])).length;
          const write = async (text: string, rows: Row[]) =>
            rows.length === 0
              ? 0
              : (await tx.unsafe(text, [JSON.stringify(rows), storedAt])).length;
          await write(UPSERT_FORECAST_SETS, setRows);
          await write(UPSERT_ESTIMATES, estimateRows);
          const newAlerts = await write(INSERT_ALERTS, alertRows);
          await write(UPSERT_SNAPSHOTS, snapshotRows);
          return {
            inserted,
            duplicates: readings.length - inserted,
            deadLetters: stored,
            forecasts: forecasts.length,
            estimates: estimates.length,
            alerts: newAlerts,
          };
        });
      } catch (e) {
        const where = `reading store "${this.#label}" (nothing was written)`;
        throw failure(`Cannot write the batch to ${where}`, e);
      }
    });
  }

  summary(): Promise<StoreSummary> {
    return this.#use(async (sql) => {
      const [row = {}]: Row[] = await sql.unsafe(SUMMARY);
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
    return this.#use(async (sql) => {
      const [row = {}]: Row[] = await sql.unsafe(DETAILS);
      const source = new Map<string, string>(COLUMNS.map((c) => [c.field, c.source]));
      const flags: StoreDetails["flags"] = {};
      for (const { k, v, n } of await sql.unsafe(FLAG_COUNTS)) {
        (flags[source.get(String(k)) ?? String(k)] ??= {})[v as FieldFlag] = Number(n);
      }
      const reasons = (await sql.unsafe(REASON_COUNTS)).map(({ k, n }) => [String(k), Number(n)]);
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
    return this.#use(async (sql) => {
      const { station_id, from_ms, to_ms, limit } = query;
      checkLimit(limit);
      const filters = ([
        ["station_id = $", station_id],
        ["ts_utc_ms >= $", from_ms],
        ["ts_utc_ms < $", to_ms],
      ] as const).filter((f) => f[1] !== undefined);
      const where = filters.length > 0
        ? `WHERE ${filters.map((f, i) => `${f[0]}${i + 1}`).join(" AND ")}`
        : "";
      const params = filters.map((f) => f[1] as string | number);
      const n = params.length + 1;
      const text = `${SELECT_READINGS} ${where} ORDER BY ts_utc_ms, station_id LIMIT $${n}`;
      const rows: Row[] = await sql.unsafe(text, [...params, limit ?? null]);
      return rows.map((row) => this.#toReading(row));
    });
  }

  deadLetters(limit?: number): Promise<DeadLetter[]> {
    return this.#use(async (sql) => {
      checkLimit(limit);
      const rows: Row[] = await sql.unsafe(SELECT_DEAD_LETTERS, [limit ?? null]);
      return rows.map((r) => ({
        source: {
          topic: String(r.source_topic),
          partition: Number(r.source_partition),
          offset: String(r.source_offset),
        },
        key: r.msg_key === null ? null : String(r.msg_key),
        reason: String(r.reason),
        detail: String(r.detail),
        // A plain Uint8Array (a copy), not the driver's Buffer, as the other stores return.
        original: r.original instanceof Uint8Array ? new Uint8Array(r.original) : null,
        rejected_at: String(r.rejected_at),
      }));
    });
  }

  forecasts(query: ForecastQuery = {}): Promise<ForecastRecord[]> {
    return this.#use(async (sql) => {
      const [where, params] = recordFilters(query, (i) => `$${i}`);
      const limit = query.limit ?? Infinity;
      const found: ForecastRecord[] = [];
      if (limit === 0) return found;
      // Set by set, in time and station order; target and horizon are filtered within a set.
      const text = `SELECT records FROM forecast_sets ${where} ORDER BY ts_ms, station_id`;
      for await (const rows of sql.unsafe(text, params).cursor(100)) {
        for (const row of rows) {
          appendMatching(found, JSON.parse(String(row.records)), query, limit);
        }
        if (found.length >= limit) break;
      }
      return found;
    });
  }

  estimates(query: ReadingQuery = {}): Promise<EstimateRecord[]> {
    return this.#use(async (sql) => {
      const [where, params] = recordFilters(query, (i) => `$${i}`);
      const text = `SELECT record FROM estimates ${where}
        ORDER BY ts_ms, station_id, target, estimate_id LIMIT $${params.length + 1}`;
      const rows: Row[] = await sql.unsafe(text, [...params, query.limit ?? null]);
      return rows.map((row) => JSON.parse(String(row.record)) as EstimateRecord);
    });
  }

  alerts(limit?: number): Promise<Alert[]> {
    return this.#use(async (sql) => {
      checkLimit(limit);
      const rows: Row[] = await sql.unsafe(SELECT_ALERTS, [limit ?? null]);
      return rows.map((row) => JSON.parse(String(row.record)) as Alert);
    });
  }

  snapshot(name: string): Promise<{ value: unknown; updated_at_ms: number } | null> {
    return this.#use(async (sql) => {
      const [row]: Row[] = await sql.unsafe(SELECT_SNAPSHOT, [name]);
      return row === undefined
        ? null
        : { value: JSON.parse(String(row.value)), updated_at_ms: Number(row.updated_at_ms) };
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sql.end({ timeout: 5 });
  }

  /** Runs `f` on the open connection pool; a throw (or a closed store) becomes a rejection. */
  #use<T>(f: (sql: Sql) => Promise<T>): Promise<T> {
    return Promise.try(() => {
      if (this.#closed) throw new Error(`Reading store "${this.#label}" is closed`);
      return f(this.#sql);
    });
  }

  #toReading(row: Row): CleanReading {
    const parsed = CleanReadingSchema.safeParse({
      schema_version: CLEAN_SCHEMA_VERSION,
      station_id: row.station_id,
      ts: row.ts_local,
      ts_utc_ms: row.ts_utc_ms,
      measurements: Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, row[f]])),
      flags: row.flags,
      rejected: row.rejected,
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
      `Reading store "${this.#label}" holds an invalid reading (${which}): ${parsed.error.message}`,
    );
  }
}

/**
 * The readings as `json_to_recordset` records, in layers whose keys are unique:
 * layer `k` holds the `k`-th occurrence of each key. Upserting the layers in
 * order applies the conflict policy reading by reading, as SQLite does, where
 * one statement could not (PostgreSQL refuses to update a row twice in one).
 */
function readingLayers(readings: readonly CleanReading[]): Row[][] {
  const layers: Row[][] = [];
  const seen = new Map<string, number>();
  for (const [i, r] of readings.entries()) {
    const problem = readingProblem(r) ?? textProblem([r.station_id, r.ts, r.source.topic]);
    if (problem) throw new Error(`reading ${i} (station "${r.station_id}" at ${r.ts}): ${problem}`);
    const key = `${r.ts_utc_ms} ${r.station_id}`;
    const k = seen.get(key) ?? 0;
    seen.set(key, k + 1);
    const record: Row = { station_id: r.station_id, ts_utc_ms: r.ts_utc_ms, ts_local: r.ts };
    for (const f of MEASUREMENT_FIELDS) record[f] = r.measurements[f];
    record.flags = r.flags;
    record.rejected = r.rejected;
    record.status = r.status;
    record.source_topic = r.source.topic;
    record.source_partition = r.source.partition;
    record.source_offset = r.source.offset;
    (layers[k] ??= []).push(record);
  }
  return layers;
}

/** Dead letter `d` as a JSON record for `INSERT_DEAD_LETTERS`, after the stores' checks. */
function deadLetterRecord(d: DeadLetter, i: number): Row {
  const { topic, partition, offset } = d.source;
  const problem = positionProblem(d.source) ??
    textProblem([topic, d.key ?? "", d.reason, d.detail, d.rejected_at]);
  if (problem) throw new Error(`dead letter ${i} (${topic}/${partition}@${offset}): ${problem}`);
  return {
    topic,
    partition,
    offset,
    key: d.key,
    reason: d.reason,
    detail: d.detail,
    original: d.original === null ? null : Buffer.from(d.original).toString("hex"),
    rejected_at: d.rejected_at,
  };
}

/** The sets of `forecasts` as JSON records for `UPSERT_FORECAST_SETS`, after the stores' checks. */
function forecastSetRecords(forecasts: readonly ForecastRecord[]): Row[] {
  const sets = forecastSets(forecasts);
  for (const [i, f] of forecasts.entries()) {
    const problem = textProblem([f.forecast_id, f.station_id, f.target]);
    if (problem) throw new Error(`forecast ${i} ("${f.forecast_id}"): ${problem}`);
  }
  return sets.map(({ station_id, ts_ms, forecasts }: ForecastSet) => ({
    station_id,
    ts_ms,
    n: forecasts.length,
    ids: forecasts.map((f) => f.forecast_id),
    records: JSON.stringify(forecasts),
  }));
}

/** Estimate `e` as a JSON record for `UPSERT_ESTIMATES`, after the stores' checks. */
function estimateRecord(e: EstimateRecord, i: number): Row {
  const problem = estimateProblem(e) ?? textProblem([e.estimate_id, e.station_id, e.target]);
  if (problem) throw new Error(`estimate ${i} ("${e.estimate_id}"): ${problem}`);
  return {
    estimate_id: e.estimate_id,
    station_id: e.station_id,
    ts_ms: Date.parse(e.ts),
    target: e.target,
    value: e.value,
    record: JSON.stringify(e),
  };
}

/** Alert `a` as a JSON record for `INSERT_ALERTS`, after the stores' checks. */
function alertRecord(a: Alert, i: number): Row {
  const problem = alertProblem(a) ??
    textProblem([a.alert_id, a.state, a.severity, a.kind, a.station_id ?? ""]);
  if (problem) throw new Error(`alert ${i} (${a.alert_id} ${a.state} ${a.severity}): ${problem}`);
  return {
    alert_id: a.alert_id,
    state: a.state,
    severity: a.severity,
    kind: a.kind,
    station_id: a.station_id,
    raised_at_ms: Date.parse(a.raised_at),
    record: JSON.stringify(a),
  };
}

/** Snapshot `s` as a JSON record for `UPSERT_SNAPSHOTS`, after the stores' checks. */
function snapshotRecord(s: Snapshot, i: number): Row {
  const problem = snapshotProblem(s) ?? textProblem([s.name]);
  if (problem) throw new Error(`snapshot ${i} ("${s.name}"): ${problem}`);
  return { name: s.name, value: JSON.stringify(s.value), updated_at_ms: s.updated_at_ms };
}

/**
 * The last row of each `key` in `rows`, in order: an upsert replaces, so the last
 * write of a key is the one that stays, and PostgreSQL cannot update a row twice
 * in one statement.
 */
function lastOfEachKey(rows: Row[], key: string): Row[] {
  return [...new Map(rows.map((row) => [row[key], row])).values()];
}

/** PostgreSQL's `text` cannot hold U+0000, which SQLite's TEXT can: refuse it by name. */
function textProblem(texts: readonly string[]): string | undefined {
  return texts.some((t) => t.includes("\0"))
    ? "PostgreSQL text cannot hold the character U+0000"
    : undefined;
}

/** `url` without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === "") return url;
    parsed.password = "***";
    return parsed.href;
  } catch {
    return url.replace(/:\/\/([^:/@]*):[^@/]*@/, "://$1:***@");
  }
}
