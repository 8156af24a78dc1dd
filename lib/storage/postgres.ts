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
import { getLogger } from "@logtape/logtape";
import { MEASUREMENT_FIELDS } from "../records/mod.ts";
import type * as Contract from "./contract.ts";
import { checkLimit, failure, messageOf, recordFilters } from "./_checks.ts";
import { appendMatching } from "./_forecast_sets.ts";
import { detailsOf, readingOf, type Row, summaryOf } from "./_rows.ts";
import { migrateIn, POSTGRES_SCHEMA_VERSION } from "./_postgres_schema.ts";
import { batchRecords, writeRecords } from "./_postgres_batch.ts";

export { POSTGRES_SCHEMA_VERSION };

/** Options of {@linkcode openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Most connections the store keeps open at once; default 4. */
  maxConnections?: number;
  /** How long to wait for the server when connecting, in seconds; default 10. */
  connectTimeoutS?: number;
}

const SELECT_ALERTS = "SELECT record FROM alerts ORDER BY raised_at_ms DESC, seq DESC LIMIT $1";
const SELECT_SNAPSHOT = `SELECT value, updated_at_ms::float8 AS updated_at_ms FROM snapshots
  WHERE name = $1`;
const SELECT_SNAPSHOTS = `SELECT name, value, updated_at_ms::float8 AS updated_at_ms FROM snapshots
  WHERE left(name, length($1)) = $1 ORDER BY name COLLATE "C"`;
const FIELDS = MEASUREMENT_FIELDS.join(", ");
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
): Promise<Contract.ReadingStore> {
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
    await sql.begin((tx) => migrateIn(tx));
    return new PostgresStore(sql, label);
  } catch (e) {
    await sql?.end({ timeout: 1 });
    throw new Error(`Cannot open reading store "${label}": ${messageOf(e)}`, { cause: e });
  }
}

class PostgresStore implements Contract.ReadingStore {
  readonly #sql: Sql;
  readonly #label: string;
  #closed = false;

  constructor(sql: Sql, label: string) {
    this.#sql = sql;
    this.#label = label;
  }

  writeBatch(batch: Contract.WriteBatch): Promise<Contract.WriteResult> {
    return this.#use(async (sql) => {
      try {
        const records = batchRecords(batch);
        const storedAt = new Date().toISOString(); // one time for the whole batch
        return await sql.begin((tx) => writeRecords(tx, batch, records, storedAt));
      } catch (e) {
        const where = `reading store "${this.#label}" (nothing was written)`;
        throw failure(`Cannot write the batch to ${where}`, e);
      }
    });
  }

  summary(): Promise<Contract.StoreSummary> {
    return this.#use(async (sql) => {
      const [row = {}]: Row[] = await sql.unsafe(SUMMARY);
      return summaryOf(row);
    });
  }

  details(): Promise<Contract.StoreDetails> {
    return this.#use(async (sql) => {
      const [row = {}]: Row[] = await sql.unsafe(DETAILS);
      const flags: Row[] = await sql.unsafe(FLAG_COUNTS);
      return detailsOf(row, flags, await sql.unsafe(REASON_COUNTS));
    });
  }

  readings(query: Contract.ReadingQuery = {}): Promise<Contract.CleanReading[]> {
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
      return rows.map((row) => readingOf(row, row.flags, row.rejected, this.#label));
    });
  }

  deadLetters(limit?: number): Promise<Contract.DeadLetter[]> {
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

  forecasts(query: Contract.ForecastQuery = {}): Promise<Contract.ForecastRecord[]> {
    return this.#use(async (sql) => {
      const [where, params] = recordFilters(query, (i) => `$${i}`);
      const limit = query.limit ?? Infinity;
      const found: Contract.ForecastRecord[] = [];
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

  estimates(query: Contract.ReadingQuery = {}): Promise<Contract.EstimateRecord[]> {
    return this.#use(async (sql) => {
      const [where, params] = recordFilters(query, (i) => `$${i}`);
      const text = `SELECT record FROM estimates ${where}
        ORDER BY ts_ms, station_id, target, estimate_id LIMIT $${params.length + 1}`;
      const rows: Row[] = await sql.unsafe(text, [...params, query.limit ?? null]);
      return rows.map((row) => JSON.parse(String(row.record)) as Contract.EstimateRecord);
    });
  }

  alerts(limit?: number): Promise<Contract.Alert[]> {
    return this.#use(async (sql) => {
      checkLimit(limit);
      const rows: Row[] = await sql.unsafe(SELECT_ALERTS, [limit ?? null]);
      return rows.map((row) => JSON.parse(String(row.record)) as Contract.Alert);
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

  snapshots(prefix: string): Promise<Contract.Snapshot[]> {
    return this.#use(async (sql) => {
      const rows: Row[] = await sql.unsafe(SELECT_SNAPSHOTS, [prefix]);
      return rows.map((row) => ({
        name: String(row.name),
        value: JSON.parse(String(row.value)),
        updated_at_ms: Number(row.updated_at_ms),
      }));
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
