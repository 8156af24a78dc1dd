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
 * (SQLite: about 0.08 s), far above what the consumer needs.
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
  CLEAN_SCHEMA_VERSION,
  type CleanReading,
  CleanReadingSchema,
  COLUMNS,
  type DeadLetter,
  type FieldFlag,
  MEASUREMENT_FIELDS,
} from "../records/mod.ts";
import type {
  ReadingQuery,
  ReadingStore,
  StoreDetails,
  StoreSummary,
  WriteBatch,
  WriteResult,
} from "./mod.ts";
import { checkLimit, positionProblem, readingProblem } from "./_checks.ts";

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
  (SELECT count(*) FROM dead_letters)::float8 AS dead_letters FROM readings`;
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

  writeBatch({ readings, deadLetters }: WriteBatch): Promise<WriteResult> {
    return this.#use(async (sql) => {
      try {
        // Check everything first: the batch is refused with the item at fault named.
        const layers = readingLayers(readings);
        const letters = deadLetters.map(deadLetterRecord);
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
          return { inserted, duplicates: readings.length - inserted, deadLetters: stored };
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

/** `e` wrapped in an Error whose message starts with `context`. */
function failure(context: string, e: unknown): Error {
  return new Error(`${context}: ${messageOf(e)}`, { cause: e });
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
