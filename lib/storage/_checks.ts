/**
 * What every store refuses before writing, so that the memory and PostgreSQL
 * stores refuse what the SQLite schema's STRICT types and CHECKs refuse, all
 * three refuse the same forecasts, estimates, alerts and snapshots, and each
 * names the item at fault.
 *
 * @module
 */
import {
  type Alert,
  AlertSchema,
  type CleanReading,
  type EstimateRecord,
  type ForecastRecord,
  IsoTimestamp,
  MEASUREMENT_FIELDS,
  type SourcePosition,
} from "../records/mod.ts";
import type { Snapshot } from "./mod.ts";

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

/** Why the stores refuse forecast `f`, or undefined when they accept it. */
export function forecastProblem(f: ForecastRecord): string | undefined {
  return idProblem("forecast_id", f.forecast_id) ?? idProblem("station_id", f.station_id) ??
    idProblem("target", f.target) ?? timeProblem("ts", f.ts) ??
    timeProblem("target_ts", f.target_ts) ??
    (Number.isFinite(f.horizon_h) ? undefined : `horizon_h must be finite, not ${f.horizon_h}`) ??
    (typeof f.baseline === "boolean" ? undefined : "baseline must be true or false") ??
    jsonProblem(f, "forecast");
}

/** Why the stores refuse estimate `e`, or undefined when they accept it. */
export function estimateProblem(e: EstimateRecord): string | undefined {
  return idProblem("estimate_id", e.estimate_id) ?? idProblem("station_id", e.station_id) ??
    idProblem("target", e.target) ?? timeProblem("ts", e.ts) ??
    (Number.isFinite(e.value) ? undefined : `value must be finite, not ${e.value}`) ??
    jsonProblem(e, "estimate");
}

/** Why the stores refuse alert `a` (anything `AlertSchema` refuses), or undefined. */
export function alertProblem(a: Alert): string | undefined {
  const parsed = AlertSchema.safeParse(a);
  if (parsed.success) return undefined;
  const [issue] = parsed.error.issues;
  return issue ? `${issue.path.join(".") || "alert"}: ${issue.message}` : "not an alert";
}

/** Why the stores refuse snapshot `s`, or undefined when they accept it. */
export function snapshotProblem(s: Snapshot): string | undefined {
  return idProblem("name", s.name) ??
    (Number.isSafeInteger(s.updated_at_ms)
      ? undefined
      : `updated_at_ms must be an integer, not ${s.updated_at_ms}`) ??
    (s.value === undefined ? "value must be a JSON value, not undefined" : undefined) ??
    jsonProblem(s.value, "value");
}

/**
 * Why `value` would not come back from JSON text deep-equal to itself (a
 * number JSON cannot carry, a bigint, a function, a Map or another class
 * instance), or undefined. `-0` (read back as `0`) and `undefined` object
 * properties (dropped) are accepted, as `JSON.stringify` treats them.
 */
export function jsonProblem(value: unknown, path: string): string | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number") {
    return Number.isFinite(value) ? undefined : `${path} must be finite, not ${value}`;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const problem = jsonProblem(v, `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  const proto = typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    for (const [k, v] of Object.entries(value as object)) {
      const problem = v === undefined ? undefined : jsonProblem(v, `${path}.${k}`);
      if (problem) return problem;
    }
    return undefined;
  }
  const what = typeof value === "object" ? (proto?.constructor?.name ?? "object") : typeof value;
  return `${path} must be JSON (null, boolean, finite number, string, array, plain object), ` +
    `not ${what}`;
}

function idProblem(name: string, value: unknown): string | undefined {
  return typeof value === "string" && value !== ""
    ? undefined
    : `${name} must be a non-empty string`;
}

function timeProblem(name: string, value: unknown): string | undefined {
  return IsoTimestamp.safeParse(value).success && Number.isFinite(Date.parse(value as string))
    ? undefined
    : `${name} must be an ISO 8601 timestamp with an offset, not ${JSON.stringify(value)}`;
}
