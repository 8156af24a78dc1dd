/**
 * JSON text of forecast and estimate records, the same text `JSON.stringify`
 * gives (same keys in the same order, same numbers), built without walking the
 * objects generically: the forecaster writes a dozen records per reading. Only the
 * fields of `ForecastRecord` and `EstimateRecord` are written, in the order the
 * engine creates them; pieces that repeat (record heads, target and model parts,
 * station and times) are quoted once and reused.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import type {
  EstimateRecord,
  ForecastRecord,
  Interval,
  SourcePosition,
} from "../records/forecast.ts";

/**
 * The JSON text of a forecast record, equal to `JSON.stringify(record)` for records
 * as `RealtimeForecaster` builds them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forecastJson } from "./serialize.ts";
 * const record = {
 *   schema_version: 1, kind: "forecast", forecast_id: "s1|2004-03-10T18:00:00+01:00|CO(GT)|1",
 *   station_id: "s1", target: "CO(GT)", field: "co_mg_m3", horizon_h: 1, value: 2.5,
 *   interval: { lower: 2, upper: 3, level: 0.9, source: "evaluation" },
 *   ts: "2004-03-10T18:00:00+01:00", target_ts: "2004-03-10T19:00:00+01:00",
 *   model_version: "persistence", baseline: true, fallback: "persistence",
 *   fallback_reason: "warming_up", source: null,
 * } as const;
 * assert.equal(forecastJson(record), JSON.stringify(record));
 * ```
 */
export function forecastJson(f: ForecastRecord): string {
  return head.get(f.schema_version, f.kind, null, null) +
    ',"forecast_id":' + stringJson(f.forecast_id) +
    ',"station_id":' + station.json(f.station_id) +
    targetPart.get(f.target, f.field, f.horizon_h, null) +
    ',"value":' + (f.value === null ? "null" : numberJson(f.value)) +
    ',"interval":' + intervalJson(f.interval) +
    ',"ts":' + ts.json(f.ts) +
    ',"target_ts":' + targetTs.json(f.target_ts) +
    modelPart.get(f.model_version, f.baseline, f.fallback, f.fallback_reason) +
    ',"source":' + sourceJson(f.source) + "}";
}

/** The JSON text of an estimate record, equal to `JSON.stringify(record)` for records as `RealtimeForecaster` builds them. */
export function estimateJson(e: EstimateRecord): string {
  return head.get(e.schema_version, e.kind, e.estimated, null) +
    ',"estimate_id":' + stringJson(e.estimate_id) +
    ',"station_id":' + station.json(e.station_id) +
    targetPart.get(e.target, e.field, null, null) +
    ',"ts":' + ts.json(e.ts) +
    ',"value":' + numberJson(e.value) +
    ',"interval":' + intervalJson(e.interval) +
    ',"model_version":' + vocabularyJson(e.model_version) +
    ',"source":' + sourceJson(e.source) + "}";
}

/**
 * Pieces of JSON text that depend on a few fields only (the target and horizon, the
 * model and fallback, ...), built once per combination of their values.
 */
class Parts<A, B, C, D> {
  readonly #build: (a: A, b: B, c: C, d: D) => string;
  #entries: { a: A; b: B; c: C; d: D; json: string }[] = [];

  constructor(build: (a: A, b: B, c: C, d: D) => string) {
    this.#build = build;
  }

  get(a: A, b: B, c: C, d: D): string {
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.a === a && e.b === b && e.c === c && e.d === d) return e.json;
    }
    if (entries.length >= 64) this.#entries = [];
    const json = this.#build(a, b, c, d);
    this.#entries.push({ a, b, c, d, json });
    return json;
  }
}

// `{"schema_version":1,"kind":"forecast"` (and `,"estimated":true` for estimates)
const head = new Parts((version: number, kind: string, estimated: boolean | null, _: null) =>
  '{"schema_version":' + numberJson(version) + ',"kind":' + stringJson(kind) +
  (estimated === null ? "" : ',"estimated":' + estimated)
);
// `,"target":"CO(GT)","field":"co_mg_m3"` (and `,"horizon_h":1` for forecasts)
const targetPart = new Parts((target: string, field: string, h: number | null, _: null) =>
  ',"target":' + stringJson(target) + ',"field":' + stringJson(field) +
  (h === null ? "" : ',"horizon_h":' + numberJson(h))
);
// `,"model_version":"...","baseline":false,"fallback":null,"fallback_reason":null`
const modelPart = new Parts((
  version: string,
  baseline: boolean,
  fallback: string | null,
  reason: string | null,
) =>
  ',"model_version":' + stringJson(version) + ',"baseline":' + baseline +
  ',"fallback":' + (fallback === null ? "null" : stringJson(fallback)) +
  ',"fallback_reason":' + (reason === null ? "null" : stringJson(reason))
);
// `,"level":0.9,"source":"evaluation"}`
const intervalTail = new Parts((level: number, source: string, _c: null, _d: null) =>
  ',"level":' + numberJson(level) + ',"source":' + stringJson(source) + "}"
);

function intervalJson(i: Interval | null): string {
  if (i === null) return "null";
  return '{"lower":' + numberJson(i.lower) + ',"upper":' + numberJson(i.upper) +
    intervalTail.get(i.level, i.source, null, null);
}

// the source of the last record: the same for every record of a reading
let lastSource: SourcePosition | null = null;
let lastTopic = "";
let lastPartition = NaN;
let lastOffset = "";
let lastSourceJson = "null";

function sourceJson(s: SourcePosition | null): string {
  if (s === null) return "null";
  if (
    s !== lastSource || s.topic !== lastTopic || s.partition !== lastPartition ||
    s.offset !== lastOffset
  ) {
    lastSource = s;
    lastTopic = s.topic;
    lastPartition = s.partition;
    lastOffset = s.offset;
    lastSourceJson = '{"topic":' + vocabularyJson(s.topic) + ',"partition":' +
      numberJson(s.partition) + ',"offset":' + stringJson(s.offset) + "}";
  }
  return lastSourceJson;
}

/** A number as JSON writes it: the shortest round-trip form, `null` when not finite. */
function numberJson(n: number): string {
  return n - n === 0 ? "" + n : "null"; // n - n is NaN for NaN and ±Infinity
}

/**
 * A string field that repeats from one record to the next (the station, the time,
 * the target time): the last one quoted is kept.
 */
class Memo {
  #text = "";
  #json = '""';
  json(s: string): string {
    if (s !== this.#text) {
      this.#text = s;
      this.#json = stringJson(s);
    }
    return this.#json;
  }
}

const station = new Memo();
const ts = new Memo();
const targetTs = new Memo();

// strings of a small vocabulary (model versions, topics), quoted once
const vocabulary = new Map<string, string>();
const VOCABULARY_MAX = 1024;

function vocabularyJson(s: string): string {
  let json = vocabulary.get(s);
  if (json === undefined) {
    if (vocabulary.size >= VOCABULARY_MAX) vocabulary.clear();
    json = stringJson(s);
    vocabulary.set(s, json);
  }
  return json;
}

/** A string as JSON writes it, quoted and escaped. */
function stringJson(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

/** What JSON escapes in a string: control characters, quote, backslash, (lone) surrogates. */
// deno-lint-ignore no-control-regex -- control characters are exactly what is looked for
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;
