/**
 * An in-memory {@linkcode ReadingStore} with the SQLite store's semantics, for
 * tests of modules that need a store but are not about storage. It checks what
 * the SQLite schema's constraints check, so a batch it refuses is one SQLite
 * refuses too, and, like a transaction, it refuses the whole batch.
 *
 * @module
 */
import {
  type CleanReading,
  COLUMNS,
  type DeadLetter,
  type FieldFlag,
  MEASUREMENT_FIELDS,
  type SourcePosition,
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
  #closed = false;

  /** Upserts readings and stores new dead letters, all or nothing. */
  writeBatch({ readings, deadLetters }: WriteBatch): Promise<WriteResult> {
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
      const result: WriteResult = { inserted: 0, duplicates: 0, deadLetters: 0 };
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

  /** Marks the store closed; its contents are dropped. */
  close(): Promise<void> {
    this.#closed = true;
    this.#rows.clear();
    this.#deadLetters.clear();
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
