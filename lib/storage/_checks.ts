/**
 * What every store refuses before writing, so that the memory and PostgreSQL
 * stores refuse what the SQLite schema's STRICT types and CHECKs refuse, and
 * name the item at fault.
 *
 * @module
 */
import { type CleanReading, MEASUREMENT_FIELDS, type SourcePosition } from "../records/mod.ts";

const STATUSES: ReadonlySet<string> = new Set(["ok", "flagged", "outage"]);
const INT64_MAX = 2n ** 63n - 1n;

/** Why the stores refuse reading `r`, or undefined when they accept it. */
export function readingProblem(r: CleanReading): string | undefined {
  if (typeof r.station_id !== "string" || r.station_id === "") {
    return "station_id must be a non-empty string";
  }
  if (!Number.isSafeInteger(r.ts_utc_ms)) return `ts_utc_ms must be an integer, not ${r.ts_utc_ms}`;
  if (typeof r.ts !== "string") return "ts must be a string";
  for (const f of MEASUREMENT_FIELDS) {
    const v = r.measurements[f];
    if (v !== null && !Number.isFinite(v)) return `${f} must be finite, not ${v}`;
  }
  if (!STATUSES.has(r.status)) {
    return `status must be ok, flagged or outage, not ${JSON.stringify(r.status)}`;
  }
  return positionProblem(r.source);
}

/** Why the stores refuse a Kafka position, or undefined when they accept it. */
export function positionProblem({ topic, partition, offset }: SourcePosition): string | undefined {
  if (typeof topic !== "string") return "topic must be a string";
  if (!Number.isSafeInteger(partition) || partition < 0) {
    return `partition must be a whole number >= 0, not ${partition}`;
  }
  if (!/^\d+$/.test(offset)) return `offset must be decimal digits, not "${offset}"`;
  if (BigInt(offset) > INT64_MAX) return `offset ${offset} does not fit in 64 bits`;
  return undefined;
}

/** Throws a RangeError unless `limit` is undefined or a whole number >= 0. */
export function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new RangeError(`limit must be a whole number >= 0, not ${limit}`);
  }
}
