/**
 * The shape checks under `_checks.ts`: what a value must be to come back from
 * JSON text deep-equal to itself (`jsonProblem`, the walk of every value), and
 * the direct checks of the documented record shapes (their fields, in order,
 * each of its JSON type; intervals, Kafka positions, timestamps, ids) that let
 * the usual forecast skip that walk.
 *
 * @module
 */
import { type Interval, IsoTimestamp, type SourcePosition } from "../records/mod.ts";

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

export function idProblem(name: string, value: unknown): string | undefined {
  return typeof value === "string" && value !== ""
    ? undefined
    : `${name} must be a non-empty string`;
}

/** The fields of each record type, in the order the forecaster writes them. */
export const FORECAST_KEYS: readonly string[] = [
  "schema_version",
  "kind",
  "forecast_id",
  "station_id",
  "target",
  "field",
  "horizon_h",
  "value",
  "interval",
  "ts",
  "target_ts",
  "model_version",
  "baseline",
  "fallback",
  "fallback_reason",
  "source",
];
export const ESTIMATE_KEYS: readonly string[] = [
  "schema_version",
  "kind",
  "estimated",
  "estimate_id",
  "station_id",
  "target",
  "field",
  "ts",
  "value",
  "interval",
  "model_version",
  "source",
];
export const INTERVAL_KEYS: readonly string[] = ["lower", "upper", "level", "source"];
const POSITION_KEYS: readonly string[] = ["topic", "partition", "offset"];

/**
 * Are the enumerable properties of `value` (a plain object) exactly `known`, in
 * that order? A pointer comparison per key (property names are internalised
 * strings), and no array: `for...in` walks the object's cached key list. In
 * another order, the fields are walked whole: `jsonProblem` names the first
 * problem in property order, and so must the direct checks.
 */
export function hasKeys(value: object, known: readonly string[]): boolean {
  let i = 0;
  // Own and inherited keys: a key added to Object.prototype also sends `value` to the walk.
  for (const key in value) if (key !== known[i++]) return false;
  return i === known.length;
}

/** Is `value` a plain object, as `jsonProblem` accepts, with exactly the properties `known`? */
export function isPlain(value: object, known: readonly string[]): boolean {
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && hasKeys(value, known);
}

/** An `Interval` of the documented shape: two numbers, a number and a string; finiteness aside. */
export function isInterval(i: unknown): i is Interval {
  if (typeof i !== "object" || i === null || !isPlain(i, INTERVAL_KEYS)) return false;
  const { lower, upper, level, source } = i as Interval;
  return typeof lower === "number" && typeof upper === "number" && typeof level === "number" &&
    typeof source === "string";
}

/** A `SourcePosition` of the documented shape: a string, a number and a string. */
export function isPosition(p: unknown): p is SourcePosition {
  if (typeof p !== "object" || p === null || !isPlain(p, POSITION_KEYS)) return false;
  const { topic, partition, offset } = p as SourcePosition;
  return typeof topic === "string" && typeof partition === "number" && typeof offset === "string";
}

export function intervalProblem(i: Interval, path: string): string | undefined {
  return finiteProblem(i.lower, `${path}.lower`) ?? finiteProblem(i.upper, `${path}.upper`) ??
    finiteProblem(i.level, `${path}.level`);
}

/** The number `value` as `jsonProblem` checks it (null is not a number here). */
export function finiteProblem(value: number | null, path: string): string | undefined {
  return value === null || Number.isFinite(value)
    ? undefined
    : `${path} must be finite, not ${value}`;
}

/**
 * Timestamps found valid, so that the dozen forecasts of a reading (one `ts`,
 * three `target_ts`) and the next readings' (whose `ts` were targets already)
 * cost a lookup instead of a parse. Whether a text is valid never changes.
 */
const validTimes = new Set<string>();

export function timeProblem(name: string, value: unknown): string | undefined {
  if (typeof value === "string" && validTimes.has(value)) return undefined;
  if (IsoTimestamp.safeParse(value).success && Number.isFinite(Date.parse(value as string))) {
    if (validTimes.size >= 4096) validTimes.clear();
    validTimes.add(value as string);
    return undefined;
  }
  return `${name} must be an ISO 8601 timestamp with an offset, not ${JSON.stringify(value)}`;
}
