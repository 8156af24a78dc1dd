/**
 * JSON text of forecast sets and estimate records, the same text
 * `JSON.stringify` gives (same keys in the same order, same numbers), built
 * without walking the objects generically: the forecaster writes a set per
 * reading, each with a dozen forecasts. Only the fields of `ForecastSet` and
 * `EstimateRecord` are written, in the order `forecastSetOf` and the engine
 * create them; pieces that repeat (record heads, target parts, station and
 * times) are quoted once and reused.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import {
  type EstimateRecord,
  FALLBACK_REASONS,
  FORECAST_SET_SCHEMA_VERSION,
  type ForecastRecord,
  type Interval,
  type SourcePosition,
} from "../records/forecast.ts";

/**
 * The JSON text of the forecast set of one reading's rows, equal to
 * `JSON.stringify(forecastSetOf(rows, issuedAt))` for rows as
 * `RealtimeForecaster` builds them (and throwing where `forecastSetOf` would,
 * on rows of several readings or with an unknown fallback reason).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forecastSetOf } from "../records/mod.ts";
 * import { forecastSetJson } from "./serialize.ts";
 * const rows = [{
 *   schema_version: 1, kind: "forecast", forecast_id: "s1|2004-03-10T18:00:00+01:00|CO(GT)|1",
 *   station_id: "s1", target: "CO(GT)", field: "co_mg_m3", horizon_h: 1, value: 2.5,
 *   interval: { lower: 2, upper: 3, level: 0.9, source: "evaluation" },
 *   ts: "2004-03-10T18:00:00+01:00", target_ts: "2004-03-10T19:00:00+01:00",
 *   model_version: "persistence", baseline: true, fallback: "persistence",
 *   fallback_reason: "warming_up", source: null,
 * }] as const;
 * const issued = "2026-12-04T16:00:00.000Z";
 * assert.equal(forecastSetJson(rows, issued), JSON.stringify(forecastSetOf(rows, issued)));
 * ```
 */
export function forecastSetJson(rows: readonly ForecastRecord[], issuedAt: string): string {
  const first = rows[0];
  if (first === undefined) throw new RangeError("a forecast set needs at least one forecast");
  const models: string[] = [];
  let items = "";
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.station_id !== first.station_id || r.ts !== first.ts) {
      throw new RangeError(`forecast ${r.forecast_id} is not of ${first.station_id}|${first.ts}`);
    }
    let model = models.indexOf(r.model_version);
    if (model < 0) model = models.push(r.model_version) - 1;
    const reason = r.fallback_reason;
    if (reason !== null && !REASON_JSON.has(reason)) {
      throw new RangeError(`forecast ${r.forecast_id}: unknown fallback_reason ${reason}`);
    }
    items += (i === 0 ? '{"target":' : ',{"target":') +
      itemHead.get(r.target, r.horizon_h, null, null) +
      ',"target_ts":' + targetTs.json(r.target_ts) +
      ',"value":' + (r.value === null ? "null" : numberJson(r.value)) +
      intervalMembers(r.interval) +
      ',"model":' + model +
      ',"fallback_reason":' + (reason === null ? "null" : REASON_JSON.get(reason)!) + "}";
  }
  let modelsJson = "";
  for (let i = 0; i < models.length; i++) {
    modelsJson += (i === 0 ? "" : ",") + vocabularyJson(models[i]!);
  }
  const station = stationJson.json(first.station_id);
  const tsJson = ts.json(first.ts);
  return SET_HEAD +
    stringJson(first.station_id + "|" + first.ts) +
    ',"station_id":' + station + ',"ts":' + tsJson +
    ',"issued_at":' + stringJson(issuedAt) +
    ',"models":[' + modelsJson + '],"forecasts":[' + items + "]" +
    ',"source":' + sourceJson(first.source) + "}";
}

const SET_HEAD = '{"schema_version":' + FORECAST_SET_SCHEMA_VERSION +
  ',"kind":"forecast_set","set_id":';

/** The JSON text of an estimate record, equal to `JSON.stringify(record)` for records as `RealtimeForecaster` builds them. */
export function estimateJson(e: EstimateRecord): string {
  return head.get(e.schema_version, e.kind, e.estimated, null) +
    ',"estimate_id":' + stringJson(e.estimate_id) +
    ',"station_id":' + stationJson.json(e.station_id) +
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

// `{"schema_version":1,"kind":"estimate","estimated":true`
const head = new Parts((version: number, kind: string, estimated: boolean | null, _: null) =>
  '{"schema_version":' + numberJson(version) + ',"kind":' + stringJson(kind) +
  (estimated === null ? "" : ',"estimated":' + estimated)
);
// `,"target":"CO(GT)","field":"co_mg_m3"` (estimates)
const targetPart = new Parts((target: string, field: string, _c: null, _d: null) =>
  ',"target":' + stringJson(target) + ',"field":' + stringJson(field)
);
// `"CO(GT)","horizon_h":1` (a set's forecast, after its opening `{"target":`)
const itemHead = new Parts((target: string, h: number, _c: null, _d: null) =>
  stringJson(target) + ',"horizon_h":' + numberJson(h)
);
const REASON_JSON = new Map<string, string>(
  FALLBACK_REASONS.map((r) => [r, JSON.stringify(r)]),
);
// `,"level":0.9,"source":"evaluation"}`
const intervalTail = new Parts((level: number, source: string, _c: null, _d: null) =>
  ',"level":' + numberJson(level) + ',"source":' + stringJson(source) + "}"
);

/** `,"lower":..,"upper":..,"interval_source":..` of a set's forecast. */
function intervalMembers(i: Interval | null): string {
  if (i === null) return ',"lower":null,"upper":null,"interval_source":null';
  return ',"lower":' + numberJson(i.lower) + ',"upper":' + numberJson(i.upper) +
    intervalSourceJson.get(i.source, null, null, null);
}

const intervalSourceJson = new Parts((source: string, _b: null, _c: null, _d: null) =>
  ',"interval_source":' + stringJson(source)
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

const stationJson = new Memo();
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
