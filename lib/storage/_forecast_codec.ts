/**
 * The SQLite row of a forecast set (`_forecast_sets.ts`): the forecasts of one
 * reading in about 470 bytes instead of their 6,600 bytes of JSON, so that a
 * batch writes (and checkpoints) a fourteenth of the pages, and encoding a set
 * is mostly comparing it with the previous one.
 *
 * A row holds
 * - `records`, JSON text: `[template, ts, source, target times, ...others]`:
 *   - `template`: the number of the set's TEMPLATE (below) in the table
 *     `forecast_templates`, 0 when no forecast of the set is compact;
 *   - `ts` and `source`: the feature time and Kafka position of the compact
 *     forecasts (null when there are none);
 *   - `target times`: the distinct `target_ts` of the compact forecasts, in
 *     order of first use;
 *   - `others`: each forecast that is not compact, as its JSON object;
 * - `numbers`, a BLOB: the value, interval lower and upper bounds of each
 *   compact forecast, in template order, as float64 (NaN for null;
 *   little-endian, as on every platform Deno runs on).
 *
 * A forecast is COMPACT when it has the documented shape (`hasForecastShape`),
 * schema version 1, and the `ts` text and source of the set's first compact
 * forecast. The template is what the compact forecasts of a reading share with
 * those of the next readings: per forecast, in order, the end of its id after
 * `station|ts|`, target, field, horizon, model version, baseline, interval
 * level and source, fallback and its reason, and which target time. The
 * forecaster makes a handful (per station: warming up, models, fallbacks), each
 * stored once, as JSON text: an array of those 11 values per forecast.
 *
 * A set row migrated from schema version 2 is `[...objects]`: each forecast's
 * JSON text as that version wrote it.
 *
 * Template numbers are given inside write transactions; a number met in a
 * transaction that rolls back may be given again to another text, so the
 * store tells the codec (`committed()`, `rolledBack()`).
 *
 * @module
 */
import type { ForecastRecord, Interval, SourcePosition } from "../records/mod.ts";
import { checkForecast } from "./_checks.ts";

/** The table of templates, by number: what the codec needs of the database. */
export interface TemplateTable {
  /** The number of template `text`, or undefined when there is none. */
  find(text: string): number | undefined;
  /** Adds template `text`; its number (from 1). */
  add(text: string): number;
  /** The text of template `number`, or undefined when there is none. */
  text(number: number): string | undefined;
}

/**
 * A set row's `records` text and `numbers` (null when no forecast is compact).
 * `numbers` is a view of the codec's buffer: valid until its next `encode()`.
 */
export interface EncodedSet {
  records: string;
  numbers: Uint8Array | null;
}

/** One compact forecast of a template: what it shares with its peers of other readings. */
interface Place {
  /** `forecast_id` after `station|ts|`. */
  suffix: string;
  target: ForecastRecord["target"];
  field: ForecastRecord["field"];
  horizon_h: number;
  model: string;
  baseline: boolean;
  /** The interval's level, null when the interval is null. */
  level: number | null;
  intervalSource: Interval["source"];
  fallback: ForecastRecord["fallback"];
  reason: string | null;
  /** Index of its `target_ts` in the set's target times. */
  time: number;
}

interface Template {
  readonly number: number;
  readonly places: readonly Place[];
}

/** How many templates are compared with a set before one is looked up by its text. */
const RECENT = 16;

/** Encodes and decodes the set rows of one SQLite store, caching its templates. */
export class ForecastCodec {
  readonly #table: TemplateTable;
  readonly #numbers = new Map<string, number>();
  readonly #templates = new Map<number, Template>();
  /** Most recently used first. */
  #recent: Template[] = [];
  /** Numbers met since the last commit or rollback. */
  #met: number[] = [];
  /** The numbers of the set encoded last (a set of a dozen forecasts needs 36). */
  #values = new Float64Array(64);

  constructor(table: TemplateTable) {
    this.#table = table;
  }

  /**
   * The row of set `forecasts` of `station`. They passed `checkForecast`; those
   * in `irregular` do not have the documented shape. With `irregular` null
   * (stored forecasts, merged with new ones), each is checked again.
   */
  encode(
    station: string,
    forecasts: readonly ForecastRecord[],
    irregular: ReadonlySet<ForecastRecord> | null,
  ): EncodedSet {
    const compact: ForecastRecord[] = [];
    const others: ForecastRecord[] = [];
    let ts: string | undefined;
    let source: SourcePosition | null = null;
    for (const f of forecasts) {
      const documented = irregular === null ? checkForecast(f) === true : !irregular.has(f);
      if (!documented || f.schema_version !== 1 || f.kind !== "forecast") others.push(f);
      else if (ts === undefined) {
        ts = f.ts;
        source = f.source;
        compact.push(f);
      } else if (f.ts === ts && samePosition(f.source, source)) compact.push(f);
      else others.push(f);
    }
    if (ts === undefined) {
      return { records: JSON.stringify([0, null, null, [], ...others]), numbers: null };
    }
    const times: string[] = [];
    const timeOf: number[] = [];
    if (this.#values.length < compact.length * 3) {
      this.#values = new Float64Array(compact.length * 6);
    }
    const values = this.#values;
    for (let i = 0, n = 0; i < compact.length; i++) {
      const f = compact[i]!;
      let time = times.indexOf(f.target_ts);
      if (time < 0) time = times.push(f.target_ts) - 1;
      timeOf.push(time);
      const interval = f.interval;
      // + 0: -0 comes back as 0, as from JSON
      values[n++] = f.value === null ? NaN : f.value + 0;
      values[n++] = interval === null ? NaN : interval.lower + 0;
      values[n++] = interval === null ? NaN : interval.upper + 0;
    }
    const prefix = station.length + ts.length + 2; // `station|ts|`, as checkForecast checks
    const template = this.#templateOf(compact, timeOf, prefix);
    return {
      records: JSON.stringify([template, ts, source, times, ...others]),
      numbers: new Uint8Array(values.buffer, 0, compact.length * 24),
    };
  }

  /** The forecasts of a set row of `station`, as `encode` (or migration 3) wrote it. */
  decode(station: string, records: string, numbers: Uint8Array | null): ForecastRecord[] {
    const row = JSON.parse(records) as unknown[];
    if (typeof row[0] !== "number") return row as ForecastRecord[]; // from schema version 2
    const [number, ts, source, times] = row as [number, string, SourcePosition | null, string[]];
    const forecasts: ForecastRecord[] = [];
    if (number !== 0) {
      // A copy: the BLOB's bytes need not be 8-aligned in their buffer.
      const values = new Float64Array((numbers ?? new Uint8Array()).slice().buffer);
      const places = this.#template(number).places;
      if (values.length !== places.length * 3) {
        throw new Error(`a forecast set of template ${number} holds ${values.length} numbers`);
      }
      for (let i = 0, n = 0; i < places.length; i++) {
        const p = places[i]!;
        const value = values[n++]!;
        const lower = values[n++]!;
        const upper = values[n++]!;
        forecasts.push({
          schema_version: 1,
          kind: "forecast",
          forecast_id: `${station}|${ts}|${p.suffix}`,
          station_id: station,
          target: p.target,
          field: p.field,
          horizon_h: p.horizon_h,
          value: Number.isNaN(value) ? null : value,
          interval: p.level === null
            ? null
            : { lower, upper, level: p.level as 0.9, source: p.intervalSource },
          ts,
          target_ts: times[p.time]!,
          model_version: p.model,
          baseline: p.baseline,
          fallback: p.fallback,
          fallback_reason: p.reason,
          source: source === null ? null : { ...source },
        });
      }
    }
    for (let i = 4; i < row.length; i++) forecasts.push(row[i] as ForecastRecord);
    return forecasts;
  }

  /** The write transaction committed: the numbers met in it stay. */
  committed(): void {
    this.#met = [];
  }

  /** The write transaction rolled back: forget the numbers met in it, which may be given again. */
  rolledBack(): void {
    for (const number of this.#met) {
      const template = this.#templates.get(number);
      this.#templates.delete(number);
      for (const [text, n] of this.#numbers) if (n === number) this.#numbers.delete(text);
      this.#recent = this.#recent.filter((t) => t !== template);
    }
    this.#met = [];
  }

  /** The number of the template of `compact` (0 when empty), added to the table if new. */
  #templateOf(compact: readonly ForecastRecord[], timeOf: readonly number[], prefix: number) {
    if (compact.length === 0) return 0;
    const recent = this.#recent;
    for (let i = 0; i < recent.length; i++) {
      const template = recent[i]!;
      if (fits(template.places, compact, timeOf, prefix)) {
        if (i > 0) recent.copyWithin(1, 0, i)[0] = template; // to the front
        return template.number;
      }
    }
    const text = JSON.stringify(compact.map((f, i): unknown[] => [
      f.forecast_id.slice(prefix),
      f.target,
      f.field,
      f.horizon_h + 0,
      f.model_version,
      f.baseline,
      f.interval === null ? null : f.interval.level + 0,
      f.interval === null ? null : f.interval.source,
      f.fallback,
      f.fallback_reason,
      timeOf[i],
    ]));
    let number = this.#numbers.get(text);
    if (number === undefined) {
      number = this.#table.find(text) ?? this.#table.add(text);
      this.#learn(number, text);
    }
    const template = this.#template(number);
    recent.unshift(template);
    if (recent.length > RECENT) recent.pop();
    return number;
  }

  /** Template `number`, read from the table the first time. */
  #template(number: number): Template {
    let template = this.#templates.get(number);
    if (template === undefined) {
      const text = this.#table.text(number);
      if (text === undefined) throw new Error(`forecast template ${number} does not exist`);
      template = this.#learn(number, text);
    }
    return template;
  }

  #learn(number: number, text: string): Template {
    const places = (JSON.parse(text) as unknown[][]).map((p): Place => ({
      suffix: p[0] as string,
      target: p[1] as Place["target"],
      field: p[2] as Place["field"],
      horizon_h: p[3] as number,
      model: p[4] as string,
      baseline: p[5] as boolean,
      level: p[6] as number | null,
      intervalSource: p[7] as Place["intervalSource"],
      fallback: p[8] as Place["fallback"],
      reason: p[9] as string | null,
      time: p[10] as number,
    }));
    const template = { number, places };
    this.#templates.set(number, template);
    this.#numbers.set(text, number);
    this.#met.push(number);
    return template;
  }
}

/** Do the compact forecasts of a set (target times `timeOf`, ids after `prefix` characters) fit `places`? */
function fits(
  places: readonly Place[],
  compact: readonly ForecastRecord[],
  timeOf: readonly number[],
  prefix: number,
): boolean {
  if (places.length !== compact.length) return false;
  for (let i = 0; i < places.length; i++) {
    const p = places[i]!;
    const f = compact[i]!;
    const interval = f.interval;
    if (
      f.target !== p.target || f.horizon_h !== p.horizon_h || f.model_version !== p.model ||
      f.baseline !== p.baseline || f.field !== p.field || f.fallback !== p.fallback ||
      f.fallback_reason !== p.reason || timeOf[i] !== p.time ||
      (interval === null
        ? p.level !== null
        : interval.level !== p.level || interval.source !== p.intervalSource) ||
      f.forecast_id.length !== prefix + p.suffix.length || !f.forecast_id.endsWith(p.suffix)
    ) {
      return false;
    }
  }
  return true;
}

function samePosition(a: SourcePosition | null, b: SourcePosition | null): boolean {
  return a === b ||
    (a !== null && b !== null && a.topic === b.topic && a.partition === b.partition &&
      a.offset === b.offset);
}
