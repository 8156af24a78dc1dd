/**
 * What the SQL stores make of the rows they read back, the same for SQLite and
 * PostgreSQL: the summary and details counts, and a stored reading, checked
 * against `CleanReadingSchema` on the way out.
 *
 * @module
 */
import {
  CLEAN_SCHEMA_VERSION,
  type CleanReading,
  CleanReadingSchema,
  COLUMNS,
  type FieldFlag,
  MEASUREMENT_FIELDS,
} from "../records/mod.ts";
import type { StoreDetails, StoreSummary } from "./contract.ts";

/** A row as the drivers return it. */
export type Row = Record<string, unknown>;

/** The summary from the row of the stores' `SUMMARY` query. */
export function summaryOf(row: Row): StoreSummary {
  return {
    stored_readings: Number(row.stored_readings),
    stations: Number(row.stations),
    missing: Object.fromEntries(COLUMNS.map((c) => [c.source, Number(row[c.field])])),
    dead_letters: Number(row.dead_letters),
    forecasts: Number(row.forecasts),
    estimates: Number(row.estimates),
    alerts: Number(row.alerts),
  };
}

/**
 * The details from the row of the `DETAILS` query, the `(k: field, v: flag, n)`
 * rows of `FLAG_COUNTS` and the `(k: reason, n)` rows of `REASON_COUNTS`.
 */
export function detailsOf(
  row: Row,
  flagCounts: Iterable<Row>,
  reasonCounts: readonly Row[],
): StoreDetails {
  const source = new Map<string, string>(COLUMNS.map((c) => [c.field, c.source]));
  const flags: StoreDetails["flags"] = {};
  for (const { k, v, n } of flagCounts) {
    (flags[source.get(String(k)) ?? String(k)] ??= {})[v as FieldFlag] = Number(n);
  }
  const reasons = reasonCounts.map(({ k, n }) => [String(k), Number(n)]);
  return {
    first_ts_utc_ms: row.first === null ? null : Number(row.first),
    last_ts_utc_ms: row.last === null ? null : Number(row.last),
    status: { ok: Number(row.ok), flagged: Number(row.flagged), outage: Number(row.outage) },
    flags,
    rewritten_readings: Number(row.rewritten),
    dead_letter_reasons: Object.fromEntries(reasons),
  };
}

/**
 * The reading of a row of `SELECT_READINGS` whose `flags` and `rejected` are
 * already parsed; a row the schema refuses is an error naming `store`.
 */
export function readingOf(
  row: Row,
  flags: unknown,
  rejected: unknown,
  store: string,
): CleanReading {
  const parsed = CleanReadingSchema.safeParse({
    schema_version: CLEAN_SCHEMA_VERSION,
    station_id: row.station_id,
    ts: row.ts_local,
    ts_utc_ms: row.ts_utc_ms,
    measurements: Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, row[f]])),
    flags,
    rejected,
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
    `Reading store "${store}" holds an invalid reading (${which}): ${parsed.error.message}`,
  );
}
