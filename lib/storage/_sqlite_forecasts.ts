/**
 * The SQLite store's forecasts: one row per reading in `forecast_sets`
 * (`_forecast_sets.ts`), in the compact form of `_forecast_codec.ts` with the
 * templates that many readings share numbered in `forecast_templates`; writing
 * a set (merged by `forecast_id` into a stored one) and reading sets back for
 * a query. `sqlite.ts` owns the connection and the transaction.
 *
 * @module
 */
import type { ForecastRecord } from "../records/mod.ts";
import type { ForecastQuery } from "./contract.ts";
import { failure, recordFilters } from "./_checks.ts";
import { appendMatching, type ForecastSet, mergeSet } from "./_forecast_sets.ts";
import { ForecastCodec } from "./_forecast_codec.ts";
import type { Row } from "./_rows.ts";
import type { SqlValue } from "./_sqlite_readings.ts";

/** What this module uses of a `node:sqlite` statement. */
export interface Statement {
  run(...params: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: SqlValue[]): Row | undefined;
  iterate(...params: SqlValue[]): Iterable<Row>;
}

/** What this module uses of a `node:sqlite` database. */
export interface Database {
  prepare(sql: string): Statement;
}

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

/** The forecast sets of one SQLite database. */
export class SqliteForecasts {
  readonly #db: Database;
  readonly #insertForecastSet: Statement;
  readonly #selectForecastSet: Statement;
  readonly #updateForecastSet: Statement;
  /** Encodes and decodes forecast sets, numbering their templates in `forecast_templates`. */
  readonly #codec: ForecastCodec;

  constructor(db: Database) {
    this.#db = db;
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
  }

  /**
   * Inserts the forecast set `set`, or, when the store holds a set of its station
   * and time, merges it into that one by `forecast_id`.
   */
  write(set: ForecastSet, storedAt: string): void {
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

  /** The transaction that wrote sets was committed: the codec keeps the templates it numbered. */
  committed(): void {
    this.#codec.committed();
  }

  /** The transaction that wrote sets was rolled back: the codec forgets what it numbered since. */
  rolledBack(): void {
    this.#codec.rolledBack();
  }

  /** The forecasts `query` asks for, in the order of `ReadingStore.forecasts`. */
  query(query: ForecastQuery): ForecastRecord[] {
    const [where, params] = recordFilters(query, () => "?");
    const limit = query.limit ?? Infinity;
    const found: ForecastRecord[] = [];
    if (limit === 0) return found;
    // Set by set, in time and station order; target and horizon are filtered within a set.
    const sql = `SELECT station_id, records, numbers FROM forecast_sets ${where}
      ORDER BY ts_ms, station_id`;
    for (const row of this.#db.prepare(sql).iterate(...params)) {
      const station = String(row.station_id);
      const numbers = row.numbers as Uint8Array | null;
      const set = this.#codec.decode(station, String(row.records), numbers);
      appendMatching(found, set, query, limit);
      if (found.length >= limit) break;
    }
    return found;
  }
}
