/**
 * How the PostgreSQL store writes a batch: each kind of record checked (the
 * stores' checks, and U+0000, which PostgreSQL text cannot hold) and turned
 * into JSON records before the transaction starts, then sent as one JSON
 * parameter to one statement per kind (`json_to_recordset`,
 * `json_array_elements`) inside it. `postgres.ts` opens the transaction.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  type Alert,
  type CleanReading,
  type DeadLetter,
  type EstimateRecord,
  type ForecastRecord,
  MEASUREMENT_FIELDS,
} from "../records/mod.ts";
import type { Snapshot, WriteBatch, WriteResult } from "./contract.ts";
import {
  alertProblem,
  estimateProblem,
  positionProblem,
  readingProblem,
  snapshotProblem,
} from "./_checks.ts";
import { type ForecastSet, forecastSets } from "./_forecast_sets.ts";
import type { Row } from "./_rows.ts";
import type { Transaction } from "./_postgres_schema.ts";

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

/** A batch as the JSON records of its statements, checked. */
export interface BatchRecords {
  /** The readings in layers of unique keys (`readingLayers`). */
  layers: Row[][];
  letters: Row[];
  sets: Row[];
  estimates: Row[];
  alerts: Row[];
  snapshots: Row[];
}

/** Checks everything in `batch` first: a batch is refused with the item at fault named. */
export function batchRecords(batch: WriteBatch): BatchRecords {
  const { readings, deadLetters, forecasts = [], estimates = [], alerts = [] } = batch;
  const { snapshots = [] } = batch;
  return {
    layers: readingLayers(readings),
    letters: deadLetters.map(deadLetterRecord),
    sets: forecastSetRecords(forecasts),
    estimates: lastOfEachKey(estimates.map(estimateRecord), "estimate_id"),
    alerts: alerts.map(alertRecord),
    snapshots: lastOfEachKey(snapshots.map(snapshotRecord), "name"),
  };
}

/** Writes `records` of `batch` in the transaction `tx`; returns the counts of `writeBatch`. */
export async function writeRecords(
  tx: Transaction,
  batch: WriteBatch,
  records: BatchRecords,
  storedAt: string,
): Promise<WriteResult> {
  let inserted = 0;
  for (const layer of records.layers) {
    const rows = await tx.unsafe(UPSERT, [JSON.stringify(layer), storedAt]);
    inserted += rows.filter((row) => row.revision === 1).length;
  }
  const { letters } = records;
  const stored = letters.length === 0
    ? 0
    : (await tx.unsafe(INSERT_DEAD_LETTERS, [JSON.stringify(letters)])).length;
  const write = async (text: string, rows: Row[]) =>
    rows.length === 0 ? 0 : (await tx.unsafe(text, [JSON.stringify(rows), storedAt])).length;
  await write(UPSERT_FORECAST_SETS, records.sets);
  await write(UPSERT_ESTIMATES, records.estimates);
  const newAlerts = await write(INSERT_ALERTS, records.alerts);
  await write(UPSERT_SNAPSHOTS, records.snapshots);
  return {
    inserted,
    duplicates: batch.readings.length - inserted,
    deadLetters: stored,
    forecasts: batch.forecasts?.length ?? 0,
    estimates: batch.estimates?.length ?? 0,
    alerts: newAlerts,
  };
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
