/**
 * What every store refuses before writing, so that the memory and PostgreSQL
 * stores refuse what the SQLite schema's STRICT types and CHECKs refuse, all
 * three refuse the same forecasts, estimates, alerts and snapshots, and each
 * names the item at fault; and the pieces the SQL stores share around that
 * (query filters, wrapped errors). The shape checks they build on are
 * `_shapes.ts`.
 *
 * @module
 */
import {
  type Alert,
  AlertSchema,
  type CleanReading,
  type EstimateRecord,
  type ForecastRecord,
  MEASUREMENT_FIELDS,
  type SourcePosition,
} from "../records/mod.ts";
import type { ReadingQuery, Snapshot } from "./contract.ts";
import {
  ESTIMATE_KEYS,
  finiteProblem,
  FORECAST_KEYS,
  hasKeys,
  idProblem,
  INTERVAL_KEYS,
  intervalProblem,
  isInterval,
  isPlain,
  isPosition,
  jsonProblem,
  timeProblem,
} from "./_shapes.ts";

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

/**
 * The WHERE clause and its parameters for a query on a table with `station_id`
 * and `ts_ms`; checks the limit. `placeholder(i)` writes the i-th parameter
 * (from 1): `?` for SQLite, `$i` for PostgreSQL.
 */
export function recordFilters(
  query: ReadingQuery,
  placeholder: (i: number) => string,
): [string, (string | number)[]] {
  const { station_id, from_ms, to_ms, limit } = query;
  checkLimit(limit);
  const filters = ([
    ["station_id =", station_id],
    ["ts_ms >=", from_ms],
    ["ts_ms <", to_ms],
  ] as const).filter((f) => f[1] !== undefined);
  const where = filters.length > 0
    ? `WHERE ${filters.map((f, i) => `${f[0]} ${placeholder(i + 1)}`).join(" AND ")}`
    : "";
  return [where, filters.map((f) => f[1] as string | number)];
}

/**
 * Why the stores refuse forecast `f`, or undefined when they accept it. Its
 * `forecast_id` must begin with `station_id|ts|` (the documented
 * `station|ts|target|horizon`): the SQL stores keep a reading's forecasts in one
 * row keyed by station and feature time, so the id must name both.
 */
export function forecastProblem(f: ForecastRecord): string | undefined {
  const checked = checkForecast(f);
  return typeof checked === "string" ? checked : undefined;
}

/**
 * What the stores make of forecast `f`: why they refuse it (a string), or, when
 * they accept it, whether it has the documented shape (`hasForecastShape`).
 *
 * A forecast of the documented shape has its numbers checked directly (value,
 * interval bounds and level, horizon, schema version, source partition); any
 * other is walked whole (`jsonProblem`), so that the same forecasts are refused,
 * with the same messages, as when every forecast was walked. `seen` carries
 * what the calls for one batch found valid last: a reading's dozen forecasts
 * share their `ts`, Kafka position and id prefix, four of them a `target_ts`.
 */
export function checkForecast(f: ForecastRecord, seen: Seen = {}): string | boolean {
  return isUsualForecast(f, seen) || checkEveryField(f, seen);
}

/**
 * Is `f` of the documented shape and valid? The usual case in one pass, reading
 * each field once; false sends `f` to `checkEveryField`, which says why.
 */
function isUsualForecast(f: ForecastRecord, seen: Seen): boolean {
  const proto = Object.getPrototypeOf(f);
  if ((proto !== Object.prototype && proto !== null) || !hasKeys(f, FORECAST_KEYS)) return false;
  const { forecast_id: id, station_id: station, target, ts, target_ts, value, interval } = f;
  const { schema_version, kind, field, model_version, fallback, fallback_reason, source } = f;
  if (
    typeof id !== "string" || typeof station !== "string" || station === "" ||
    typeof target !== "string" || (target as string) === "" || typeof ts !== "string" ||
    typeof target_ts !== "string" || !Number.isFinite(f.horizon_h) ||
    typeof f.baseline !== "boolean" ||
    !(schema_version === null || Number.isFinite(schema_version)) ||
    !(kind === null || typeof kind === "string") ||
    !(field === null || typeof field === "string") ||
    !(model_version === null || typeof model_version === "string") ||
    !(fallback === null || typeof fallback === "string") ||
    !(fallback_reason === null || typeof fallback_reason === "string") ||
    !(value === null || Number.isFinite(value))
  ) {
    return false;
  }
  if (interval !== null) {
    if (typeof interval !== "object" || !isPlain(interval, INTERVAL_KEYS)) return false;
    const { lower, upper, level } = interval;
    if (
      !Number.isFinite(lower) || !Number.isFinite(upper) || !Number.isFinite(level) ||
      typeof interval.source !== "string"
    ) {
      return false;
    }
  }
  if (source !== null && source !== seen.position) {
    if (!isPosition(source) || !Number.isFinite(source.partition)) return false;
    seen.position = source;
  }
  if (ts !== seen.ts) {
    if (timeProblem("ts", ts) !== undefined) return false;
    seen.ts = ts;
  }
  if (target_ts !== seen.targetTs) {
    if (timeProblem("target_ts", target_ts) !== undefined) return false;
    seen.targetTs = target_ts;
  }
  return idPrefixProblem(f, seen) === undefined;
}

/** `checkForecast` field by field, in the order that picks the message. */
function checkEveryField(f: ForecastRecord, seen: Seen): string | boolean {
  const { ts, target_ts } = f;
  const problem = idProblem("forecast_id", f.forecast_id) ??
    idProblem("station_id", f.station_id) ?? idProblem("target", f.target) ??
    (ts === seen.ts && ts !== undefined ? undefined : timeProblem("ts", ts)) ??
    (target_ts === seen.targetTs && target_ts !== undefined
      ? undefined
      : timeProblem("target_ts", target_ts)) ??
    (Number.isFinite(f.horizon_h) ? undefined : `horizon_h must be finite, not ${f.horizon_h}`) ??
    (typeof f.baseline === "boolean" ? undefined : "baseline must be true or false");
  if (problem !== undefined) return problem;
  seen.ts = ts;
  seen.targetTs = target_ts;
  const documented = hasForecastShape(f, seen);
  // The new rule last: what the walk of every value refused keeps its message.
  return (documented ? numbersProblem(f, seen) : jsonProblem(f, "forecast")) ??
    idPrefixProblem(f, seen) ?? documented;
}

/** The numbers of `f`, of the documented shape, checked as `jsonProblem` checks them. */
function numbersProblem(f: ForecastRecord, seen: Seen): string | undefined {
  const { value, interval, source } = f;
  const problem = finiteProblem(f.schema_version, "forecast.schema_version") ??
    (value === null ? undefined : finiteProblem(value, "forecast.value")) ??
    (interval === null ? undefined : intervalProblem(interval, "forecast.interval"));
  if (problem !== undefined || source === null || source === seen.position) return problem;
  const partition = finiteProblem(source.partition, "forecast.source.partition");
  if (partition === undefined) seen.position = source;
  return partition;
}

/** What `checkForecast` remembers across the forecasts of one batch. */
export interface Seen {
  /** The `ts` and the `target_ts` found valid last. */
  ts?: string;
  targetTs?: string;
  /** `station|ts|` of the forecast checked last. */
  prefix?: { station: string; ts: string; text: string };
  /** The Kafka position found of the documented shape, with a finite partition, last. */
  position?: SourcePosition;
}

/**
 * Has `f` the documented shape: a plain object with exactly the 16 fields of
 * `ForecastRecord`, each of its JSON type (finite or not), its interval and
 * source (when not null) plain objects with exactly their fields?
 */
export function hasForecastShape(f: ForecastRecord, seen: Seen = {}): boolean {
  const proto = Object.getPrototypeOf(f);
  if ((proto !== Object.prototype && proto !== null) || !hasKeys(f, FORECAST_KEYS)) return false;
  const { schema_version, kind, field, model_version, fallback, fallback_reason } = f;
  const { forecast_id, station_id, target, ts, target_ts, value, interval, source } = f;
  return (schema_version === null || typeof schema_version === "number") &&
    (kind === null || typeof kind === "string") &&
    (forecast_id === null || typeof forecast_id === "string") &&
    (station_id === null || typeof station_id === "string") &&
    (target === null || typeof target === "string") &&
    (field === null || typeof field === "string") && typeof f.horizon_h === "number" &&
    (value === null || typeof value === "number") &&
    (interval === null || isInterval(interval)) &&
    (ts === null || typeof ts === "string") &&
    (target_ts === null || typeof target_ts === "string") &&
    (model_version === null || typeof model_version === "string") &&
    typeof f.baseline === "boolean" && (fallback === null || typeof fallback === "string") &&
    (fallback_reason === null || typeof fallback_reason === "string") &&
    (source === null || source === seen.position || isPosition(source));
}

/** Why the stores refuse estimate `e`, or undefined when they accept it; checked as forecasts are. */
export function estimateProblem(e: EstimateRecord): string | undefined {
  const problem = idProblem("estimate_id", e.estimate_id) ??
    idProblem("station_id", e.station_id) ??
    idProblem("target", e.target) ?? timeProblem("ts", e.ts) ??
    (Number.isFinite(e.value) ? undefined : `value must be finite, not ${e.value}`);
  if (problem !== undefined) return problem;
  const proto = Object.getPrototypeOf(e);
  const { schema_version, kind, field, model_version, source } = e;
  if (
    (proto !== Object.prototype && proto !== null) || !hasKeys(e, ESTIMATE_KEYS) ||
    !(schema_version === null || typeof schema_version === "number") ||
    !(kind === null || typeof kind === "string") || typeof e.estimated !== "boolean" ||
    !(field === null || typeof field === "string") ||
    !(model_version === null || typeof model_version === "string") ||
    !isInterval(e.interval) || !(source === null || isPosition(source))
  ) {
    return jsonProblem(e, "estimate");
  }
  return finiteProblem(schema_version, "estimate.schema_version") ??
    intervalProblem(e.interval, "estimate.interval") ??
    (source === null ? undefined : finiteProblem(source.partition, "estimate.source.partition"));
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

/** `forecast_id` must begin with `station_id|ts|`, which the forecast's row is keyed by. */
function idPrefixProblem(f: ForecastRecord, seen: Seen): string | undefined {
  const { forecast_id: id, station_id: station, ts } = f;
  let prefix = seen.prefix;
  if (prefix === undefined || prefix.station !== station || prefix.ts !== ts) {
    prefix = seen.prefix = { station, ts, text: `${station}|${ts}|` };
  }
  return id.length > prefix.text.length && id.startsWith(prefix.text)
    ? undefined
    : `forecast_id must begin with "${prefix.text}" (station|ts|target|horizon), ` +
      `not ${JSON.stringify(id)}`;
}

/** `e` wrapped in an Error whose message starts with `context`. */
export function failure(context: string, e: unknown): Error {
  return new Error(`${context}: ${messageOf(e)}`, { cause: e });
}

/** The message of an Error, or the thing itself as text. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
