/**
 * Validation and cleaning of one raw Kafka message into a {@linkcode CleanReading},
 * or the reason it goes to the dead-letter topic.
 *
 * Pure and fast (a few µs per message): bytes are checked for size, decoded as
 * strict UTF-8, parsed as JSON and checked against `ReadingSchema`: by hand
 * (`matchesReadingShape`) for the common shape, by zod for anything else, so
 * every refusal and its wording is zod's. The timestamp is computed from its
 * own offset, never through the local time zone.
 *
 * @module
 */
import type { z } from "zod";
import {
  CLEAN_SCHEMA_VERSION,
  type CleanReading,
  type DeadLetter,
  type FieldFlag,
  type SourcePosition,
} from "../records/clean.ts";
import {
  matchesReadingShape,
  MEASUREMENT_FIELDS,
  type MeasurementField,
  type Measurements,
  type Reading,
  READING_SCHEMA_VERSION,
  ReadingSchema,
} from "../records/reading.ts";
import type { QualityRules } from "./rules.ts";

/** Why a message was dead-lettered, in the order the checks run. */
export const DEAD_LETTER_REASONS = [
  "empty_value",
  "too_large",
  "invalid_utf8",
  "invalid_json",
  "schema",
  "unknown_schema_version",
  "bad_key",
  "bad_timestamp",
] as const;

/** One dead-letter reason. */
export type DeadLetterReason = typeof DEAD_LETTER_REASONS[number];

/** A dead letter as {@linkcode validateMessage} builds it; the caller stamps `rejected_at`. */
export type DeadLetterDraft = Omit<DeadLetter, "rejected_at"> & { reason: DeadLetterReason };

/** Where the message came from and the clock to judge its timestamp by. */
export interface ValidateContext {
  /** Topic, partition and offset of the message. */
  source: SourcePosition;
  /** The message key as text, null when absent; must equal the station id. */
  key: string | null;
  /** The consumer's clock, epoch ms (injected for tests). */
  now: number;
}

/** Result of {@linkcode validateMessage}. */
export type ValidationResult =
  | { ok: true; reading: CleanReading }
  | { ok: false; deadLetter: DeadLetterDraft };

const utf8 = new TextDecoder("utf-8", { fatal: true });
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MS_PER_400_YEARS = 146_097 * 86_400_000;
const TS_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** An ISO 8601 timestamp with an offset, read without the local time zone. */
export interface ParsedTimestamp {
  /** The instant, ms since the Unix epoch (UTC). */
  epochMs: number;
  /** True when the local minutes, seconds and milliseconds are all zero. */
  wholeHour: boolean;
}

/**
 * Reads `YYYY-MM-DDTHH:MM:SS[.sss](Z|±HH:MM)` into epoch milliseconds using its
 * own offset. Returns null for a malformed or impossible time (month 13,
 * 31 April, 24:00, offset beyond ±14:00).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTimestamp } from "./validate.ts";
 * assert.equal(parseTimestamp("2004-03-10T18:00:00+01:00")?.epochMs, Date.UTC(2004, 2, 10, 17));
 * assert.equal(parseTimestamp("2004-02-30T00:00:00Z"), null);
 * ```
 */
export function parseTimestamp(ts: string): ParsedTimestamp | null {
  const m = TS_RE.exec(ts);
  if (m === null) return null;
  const [, ys, mos, ds, hs, mis, ss, fs, sign, ohs, oms] = m;
  const y = Number(ys), mo = Number(mos), d = Number(ds);
  const h = Number(hs), mi = Number(mis), s = Number(ss);
  const ms = fs === undefined ? 0 : Number(fs.padEnd(3, "0"));
  const oh = Number(ohs ?? 0), om = Number(oms ?? 0);
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || om > 59) return null;
  if (oh * 60 + om > 14 * 60) return null;
  if (d > DAYS_IN_MONTH[mo - 1]! || (mo === 2 && d === 29 && !isLeap(y))) return null;
  // Date.UTC reads years 0-99 as 1900-1999: shift by 400 Gregorian years, which are whole days.
  const local = y < 100
    ? Date.UTC(y + 400, mo - 1, d, h, mi, s, ms) - MS_PER_400_YEARS
    : Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const offsetMs = (sign === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
  return { epochMs: local - offsetMs, wholeHour: mi === 0 && s === 0 && ms === 0 };
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Formats zod issues one per entry as `path: message`, joined by `; `. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join(".") : "(message)";
    return `${path}: ${issue.message}`;
  }).join("; ");
}

/**
 * Validates one raw message and cleans it, or says why it is a dead letter.
 * Never throws on bad input.
 *
 * @example
 * ```ts ignore
 * const result = validateMessage(message.value, { source, key, now: Date.now() }, rules);
 * if (result.ok) store(result.reading);
 * else deadLetter({ ...result.deadLetter, rejected_at: new Date().toISOString() });
 * ```
 */
export function validateMessage(
  value: Uint8Array | null,
  ctx: ValidateContext,
  rules: QualityRules,
): ValidationResult {
  const fail = (reason: DeadLetterReason, detail: string): ValidationResult => ({
    ok: false,
    deadLetter: { source: ctx.source, key: ctx.key, reason, detail, original: value },
  });
  if (value === null) return fail("empty_value", "the message has no value (a tombstone)");
  if (value.byteLength > rules.maxMessageBytes) {
    return fail(
      "too_large",
      `the value is ${value.byteLength} bytes, above the limit of ${rules.maxMessageBytes} ` +
        `(quality rules message.maxBytes); a reading is a few hundred bytes`,
    );
  }
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return fail("invalid_utf8", "the value is not valid UTF-8; expected a JSON reading");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return fail("invalid_json", `the value is not JSON (${why}); expected a JSON reading`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    const got = json === null ? "null" : Array.isArray(json) ? "an array" : typeof json;
    return fail("schema", `(message): expected a JSON object, got ${got}`);
  }
  const version = (json as { schema_version?: unknown }).schema_version;
  if (version !== READING_SCHEMA_VERSION) {
    const seen = version === undefined ? "absent" : JSON.stringify(version);
    return fail(
      "unknown_schema_version",
      `schema_version is ${seen}; this consumer reads schema_version ${READING_SCHEMA_VERSION}`,
    );
  }
  let reading: Reading;
  if (matchesReadingShape(json)) reading = json; // the common case, without zod's copy
  else {
    const parsed = ReadingSchema.safeParse(json);
    if (!parsed.success) return fail("schema", describeIssues(parsed.error));
    reading = parsed.data;
  }
  if (ctx.key !== reading.station_id) {
    const key = ctx.key === null ? "absent" : JSON.stringify(ctx.key);
    return fail(
      "bad_key",
      `the message key is ${key}; it must be the station id ${JSON.stringify(reading.station_id)}`,
    );
  }
  const ts = parseTimestamp(reading.ts);
  if (ts === null) return fail("bad_timestamp", `ts ${reading.ts} is not a real date and time`);
  if (ts.epochMs < rules.earliestMs) {
    return fail(
      "bad_timestamp",
      `ts ${reading.ts} is before ${rules.config.timestamp.earliest} (quality rules timestamp.earliest)`,
    );
  }
  if (ts.epochMs > ctx.now + rules.maxFutureMs) {
    return fail(
      "bad_timestamp",
      `ts ${reading.ts} is ${Math.round((ts.epochMs - ctx.now) / 60_000)} min after the ` +
        `consumer's clock (${new Date(ctx.now).toISOString()}); at most ` +
        `${rules.maxFutureMs / 60_000} min is allowed`,
    );
  }
  if (rules.requireWholeHour && !ts.wholeHour) {
    return fail(
      "bad_timestamp",
      `ts ${reading.ts} is not on a whole hour; readings are hourly (e.g. 2004-03-10T18:00:00+01:00)`,
    );
  }
  return { ok: true, reading: cleanReading(reading, ts.epochMs, ctx.source, rules) };
}

type Flags = CleanReading["flags"];
type Rejected = CleanReading["rejected"];

/**
 * Cleans a schema-valid reading: sentinel and null values become missing,
 * physical, typical and cross-field rules add flags, and `status` sums it up.
 */
export function cleanReading(
  reading: Reading,
  tsUtcMs: number,
  source: SourcePosition,
  rules: QualityRules,
): CleanReading {
  const input = reading.measurements;
  const out = {} as Measurements;
  const flags: Flags = {};
  const rejected: Rejected = {};
  let present = 0;
  let flagged = false;
  const add = (field: MeasurementField, flag: FieldFlag) => {
    const list = flags[field];
    if (list === undefined) flags[field] = [flag];
    else list.push(flag);
  };
  for (let i = 0; i < MEASUREMENT_FIELDS.length; i++) {
    const field = MEASUREMENT_FIELDS[i] as MeasurementField;
    const v = input[field];
    if (v === null || v === rules.sentinel) {
      out[field] = null;
      add(field, "missing");
      if (v !== null) {
        add(field, "sentinel");
        flagged = true;
      }
      continue;
    }
    if (v < rules.physicalMin[i]! || v > rules.physicalMax[i]!) {
      add(field, "implausible");
      flagged = true;
      if (rules.physicalReject[i] === 1) {
        out[field] = null;
        rejected[field] = v;
        continue;
      }
    } else if (v < rules.typicalMin[i]! || v > rules.typicalMax[i]!) {
      add(field, "atypical");
      flagged = true;
    }
    out[field] = v;
    present++;
  }
  const cross = rules.no2VsNox;
  if (cross !== null) {
    const no2 = out.no2_ug_m3, nox = out.nox_ppb;
    if (no2 !== null && nox !== null && no2 / cross.ugM3PerPpb > nox + cross.tolerancePpb) {
      add("no2_ug_m3", "inconsistent");
      flagged = true;
    }
  }
  return {
    schema_version: CLEAN_SCHEMA_VERSION,
    station_id: reading.station_id,
    ts: reading.ts,
    ts_utc_ms: tsUtcMs,
    measurements: out,
    flags,
    rejected,
    status: present === 0 ? "outage" : flagged ? "flagged" : "ok",
    source,
  };
}
