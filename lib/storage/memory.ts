/**
 * An in-memory {@linkcode ReadingStore} with the SQLite store's semantics, for
 * tests of modules that need a store but are not about storage. It checks what
 * the SQLite schema's constraints check, so a batch it refuses is one SQLite
 * refuses too, and, like a transaction, it refuses the whole batch.
 *
 * @module
 */
import {
  type Alert,
  type CleanReading,
  COLUMNS,
  type DeadLetter,
  type EstimateRecord,
  type FieldFlag,
  type ForecastRecord,
  MEASUREMENT_FIELDS,
  type SourcePosition,
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
  forecastProblem,
  positionProblem,
  readingProblem,
  snapshotProblem,
} from "./_checks.ts";

interface Row {
  reading: CleanReading;
  /** 1 when inserted, +1 per replacement (the SQLite store's `revision`). */
  revision: number;
}

/** A {@linkcode ReadingStore} that keeps everything in memory, for tests. */
export class MemoryStore implements ReadingStore {
  readonly #rows = new Map<string, Row>();
  /** In insertion order, like SQLite's rowid. */
  readonly #deadLetters = new Map<string, DeadLetter>();
  /**
   * As JSON text, by id: one entry per forecast, where the SQL stores keep a set
   * per reading. Both must agree (tests/storage: "agree on any sequence of batches").
   */
  readonly #forecasts = new Map<string, string>();
  /** As JSON text, as the other stores keep them, by id. */
  readonly #estimates = new Map<string, string>();
  /** In insertion order, by `(alert_id, state, severity)`. */
  readonly #alerts = new Map<string, string>();
  readonly #snapshots = new Map<string, { value: string; updated_at_ms: number }>();
  #closed = false;

  /**
   * Upserts readings, forecasts, estimates and snapshots, and stores new dead
   * letters and alert events, all or nothing.
   */
  writeBatch(batch: WriteBatch): Promise<WriteResult> {
    const { readings, deadLetters, forecasts = [], estimates = [], alerts = [] } = batch;
    const { snapshots = [] } = batch;
    return this.#use(() => {
      // Check everything first, then apply: nothing is written when one item is bad.
      for (const [i, r] of readings.entries()) {
        const problem = readingProblem(r);
        if (problem) this.#refuse(`reading ${i} (station "${r.station_id}" at ${r.ts})`, problem);
      }
      for (const [i, d] of deadLetters.entries()) {
        const { topic, partition, offset } = d.source;
        const problem = positionProblem(d.source);
        if (problem) this.#refuse(`dead letter ${i} (${topic}/${partition}@${offset})`, problem);
      }
      for (const [i, f] of forecasts.entries()) {
        const problem = forecastProblem(f);
        if (problem) this.#refuse(`forecast ${i} ("${f.forecast_id}")`, problem);
      }
      for (const [i, e] of estimates.entries()) {
        const problem = estimateProblem(e);
        if (problem) this.#refuse(`estimate ${i} ("${e.estimate_id}")`, problem);
      }
      for (const [i, a] of alerts.entries()) {
        const problem = alertProblem(a);
        if (problem) this.#refuse(`alert ${i} (${a.alert_id} ${a.state} ${a.severity})`, problem);
      }
      for (const [i, s] of snapshots.entries()) {
        const problem = snapshotProblem(s);
        if (problem) this.#refuse(`snapshot ${i} ("${s.name}")`, problem);
      }
      const result: WriteResult = {
        inserted: 0,
        duplicates: 0,
        deadLetters: 0,
        forecasts: forecasts.length,
        estimates: estimates.length,
        alerts: 0,
      };
      for (const reading of readings) {
        const key = JSON.stringify([reading.station_id, reading.ts_utc_ms]);
        const row = this.#rows.get(key);
        if (row === undefined) {
          this.#rows.set(key, { reading: copyReading(reading), revision: 1 });
          result.inserted++;
          continue;
        }
        result.duplicates++;
        if (replaces(reading.source, row.reading.source)) {
          this.#rows.set(key, { reading: copyReading(reading), revision: row.revision + 1 });
        }
      }
      for (const d of deadLetters) {
        const { topic, partition, offset } = d.source;
        const key = JSON.stringify([topic, partition, String(BigInt(offset))]);
        if (this.#deadLetters.has(key)) continue;
        this.#deadLetters.set(key, copyDeadLetter(d));
        result.deadLetters++;
      }
      for (const f of forecasts) this.#forecasts.set(f.forecast_id, JSON.stringify(f));
      for (const e of estimates) this.#estimates.set(e.estimate_id, JSON.stringify(e));
      for (const a of alerts) {
        const key = JSON.stringify([a.alert_id, a.state, a.severity]);
        if (this.#alerts.has(key)) continue;
        this.#alerts.set(key, JSON.stringify(a));
        result.alerts++;
      }
      for (const { name, value, updated_at_ms } of snapshots) {
        this.#snapshots.set(name, { value: JSON.stringify(value), updated_at_ms });
      }
      return result;
    });
  }

  /** Counts of readings, stations, missing values per source column and dead letters. */
  summary(): Promise<StoreSummary> {
    return this.#use(() => {
      const rows = [...this.#rows.values()];
      const missing = Object.fromEntries(COLUMNS.map((c) => [
        c.source,
        rows.filter((r) => r.reading.measurements[c.field] === null).length,
      ]));
      return {
        stored_readings: rows.length,
        stations: new Set(rows.map((r) => r.reading.station_id)).size,
        missing,
        dead_letters: this.#deadLetters.size,
        forecasts: this.#forecasts.size,
        estimates: this.#estimates.size,
        alerts: this.#alerts.size,
      };
    });
  }

  /** Time range, status and flag counts, rewrites, dead-letter reasons. */
  details(): Promise<StoreDetails> {
    return this.#use(() => {
      const rows = [...this.#rows.values()];
      const times = rows.map((r) => r.reading.ts_utc_ms);
      const status: StoreDetails["status"] = { ok: 0, flagged: 0, outage: 0 };
      const flags: StoreDetails["flags"] = {};
      for (const { reading } of rows) {
        status[reading.status]++;
        for (const c of COLUMNS) {
          for (const flag of reading.flags[c.field] ?? []) {
            const counts: Partial<Record<FieldFlag, number>> = flags[c.source] ??= {};
            counts[flag] = (counts[flag] ?? 0) + 1;
          }
        }
      }
      const reasons: Record<string, number> = {};
      for (const d of this.#deadLetters.values()) reasons[d.reason] = (reasons[d.reason] ?? 0) + 1;
      return {
        first_ts_utc_ms: times.length > 0 ? Math.min(...times) : null,
        last_ts_utc_ms: times.length > 0 ? Math.max(...times) : null,
        status,
        flags,
        rewritten_readings: rows.filter((r) => r.revision > 1).length,
        dead_letter_reasons: reasons,
      };
    });
  }

  /** Readings matching `query`, ordered by time, then station. */
  readings(query: ReadingQuery = {}): Promise<CleanReading[]> {
    return this.#use(() => {
      const { station_id, from_ms, to_ms, limit } = query;
      checkLimit(limit);
      return [...this.#rows.values()]
        .map((r) => r.reading)
        .filter((r) =>
          (station_id === undefined || r.station_id === station_id) &&
          (from_ms === undefined || r.ts_utc_ms >= from_ms) &&
          (to_ms === undefined || r.ts_utc_ms < to_ms)
        )
        .sort((a, b) =>
          a.ts_utc_ms - b.ts_utc_ms ||
          (a.station_id < b.station_id ? -1 : a.station_id > b.station_id ? 1 : 0)
        )
        .slice(0, limit)
        .map(copyReading);
    });
  }

  /** Dead letters, most recently stored first; all of them when `limit` is omitted. */
  deadLetters(limit?: number): Promise<DeadLetter[]> {
    return this.#use(() => {
      checkLimit(limit);
      return [...this.#deadLetters.values()].reverse().slice(0, limit).map(copyDeadLetter);
    });
  }

  /** Forecasts matching `query`, ordered by feature time, then station, target and horizon. */
  forecasts(query: ForecastQuery = {}): Promise<ForecastRecord[]> {
    return this.#use(() => {
      const { target, horizon_h, limit } = query;
      checkLimit(limit);
      const forecasts = [...this.#forecasts.values()].map((t) => JSON.parse(t) as ForecastRecord)
        .filter((f) =>
          matches(f, query) && (target === undefined || f.target === target) &&
          (horizon_h === undefined || f.horizon_h === horizon_h)
        );
      const byTarget = (a: ForecastRecord, b: ForecastRecord) =>
        compare(a.target, b.target) || a.horizon_h - b.horizon_h ||
        compare(a.forecast_id, b.forecast_id);
      return sortByTime(forecasts, byTarget).slice(0, limit);
    });
  }

  /** Estimates matching `query` (on their time `ts`), ordered by time, then station and target. */
  estimates(query: ReadingQuery = {}): Promise<EstimateRecord[]> {
    return this.#use(() => {
      checkLimit(query.limit);
      const estimates = [...this.#estimates.values()].map((t) => JSON.parse(t) as EstimateRecord)
        .filter((e) => matches(e, query));
      const byTarget = (a: EstimateRecord, b: EstimateRecord) =>
        compare(a.target, b.target) || compare(a.estimate_id, b.estimate_id);
      return sortByTime(estimates, byTarget).slice(0, query.limit);
    });
  }

  /** Alert events, most recently raised first (then most recently stored). */
  alerts(limit?: number): Promise<Alert[]> {
    return this.#use(() => {
      checkLimit(limit);
      return [...this.#alerts.values()].reverse().map((t) => JSON.parse(t) as Alert)
        .map((alert, i) => ({ alert, i, at: Date.parse(alert.raised_at) }))
        .sort((a, b) => b.at - a.at || a.i - b.i)
        .slice(0, limit)
        .map((a) => a.alert);
    });
  }

  /** The snapshot stored under `name`, or null when there is none. */
  snapshot(name: string): Promise<{ value: unknown; updated_at_ms: number } | null> {
    return this.#use(() => {
      const row = this.#snapshots.get(name);
      return row === undefined
        ? null
        : { value: JSON.parse(row.value), updated_at_ms: row.updated_at_ms };
    });
  }

  /** Every snapshot whose name starts with `prefix`, ordered by name. */
  snapshots(prefix: string): Promise<Snapshot[]> {
    return this.#use(() =>
      [...this.#snapshots.entries()]
        .filter(([name]) => name.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, row]) => ({
          name,
          value: JSON.parse(row.value),
          updated_at_ms: row.updated_at_ms,
        }))
    );
  }

  /** Marks the store closed; its contents are dropped. */
  close(): Promise<void> {
    this.#closed = true;
    this.#rows.clear();
    this.#deadLetters.clear();
    this.#forecasts.clear();
    this.#estimates.clear();
    this.#alerts.clear();
    this.#snapshots.clear();
    return Promise.resolve();
  }

  #use<T>(f: () => T): Promise<T> {
    return Promise.try(() => {
      if (this.#closed) throw new Error("Reading store (memory) is closed");
      return f();
    });
  }

  #refuse(item: string, problem: string): never {
    throw new Error(
      `Cannot write the batch to reading store (memory) (nothing was written): ${item}: ${problem}`,
    );
  }
}

/** Does record `r` match the station and `[from_ms, to_ms)` (on its `ts`) of `query`? */
function matches(r: { station_id: string; ts: string }, query: ReadingQuery): boolean {
  const { station_id, from_ms, to_ms } = query;
  const t = Date.parse(r.ts);
  return (station_id === undefined || r.station_id === station_id) &&
    (from_ms === undefined || t >= from_ms) && (to_ms === undefined || t < to_ms);
}

/** `records` sorted by the time `ts`, then station, then `tie`, as the SQL stores order them. */
function sortByTime<T extends { station_id: string; ts: string }>(
  records: T[],
  tie: (a: T, b: T) => number,
): T[] {
  return records.sort((a, b) =>
    Date.parse(a.ts) - Date.parse(b.ts) || compare(a.station_id, b.station_id) || tie(a, b)
  );
}

/** Code-unit order, as SQLite's BINARY and PostgreSQL's "C" collations order ASCII text. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The conflict policy of `mod.ts`: may `incoming` replace the row written from `stored`? */
function replaces(incoming: SourcePosition, stored: SourcePosition): boolean {
  return incoming.topic !== stored.topic || incoming.partition !== stored.partition ||
    BigInt(incoming.offset) > BigInt(stored.offset);
}

/** A deep copy, normalised as SQLite stores it: -0 as 0, the offset without leading zeros. */
function copyReading(r: CleanReading): CleanReading {
  const copy = structuredClone(r);
  for (const f of MEASUREMENT_FIELDS) if (copy.measurements[f] === 0) copy.measurements[f] = 0;
  copy.source.offset = String(BigInt(copy.source.offset));
  return copy;
}

/** A copy normalised as SQLite returns it: `original` a plain Uint8Array (not a Buffer view). */
function copyDeadLetter(d: DeadLetter): DeadLetter {
  const original = d.original === null ? null : new Uint8Array(d.original);
  return { ...d, source: { ...d.source, offset: String(BigInt(d.source.offset)) }, original };
}
