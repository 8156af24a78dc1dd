/**
 * Forecast sets: the forecasts made from one reading (one station, one feature
 * time), which the SQL stores keep as ONE row keyed by `(station_id, ts ms)`
 * instead of one row per forecast (`_forecast_codec.ts` has the SQLite row).
 *
 * A forecast stays keyed by its `forecast_id`, which begins with
 * `station_id|ts|` (`forecastProblem` refuses any other), so a given id always
 * falls in the same set. Writing a set merges it into the stored one by
 * `forecast_id`: a forecast of the same id replaces the stored one, stored
 * forecasts of other ids are kept. The forecaster writes all forecasts of a
 * reading in the same batch, so a set re-made after a crash replaces the
 * stored set whole, and a set is written once otherwise; the merge only
 * matters when the forecasts of a reading change (say, a horizon dropped from
 * the configuration: the stored forecasts of that horizon stay).
 *
 * @module
 */
import type { ForecastQuery } from "./contract.ts";
import type { ForecastRecord } from "../records/mod.ts";
import { checkForecast, type Seen } from "./_checks.ts";

/** The forecasts of one reading, as the stores write them. */
export interface ForecastSet {
  readonly station_id: string;
  /** The feature time `ts` of its forecasts, in epoch ms. */
  readonly ts_ms: number;
  /** One forecast per `forecast_id`, the last one written. */
  readonly forecasts: readonly ForecastRecord[];
  /** Those not of the documented shape (`hasForecastShape`), if any. */
  readonly irregular: ReadonlySet<ForecastRecord>;
}

/**
 * Checks `forecasts` (`checkForecast`; a RangeError names the first one refused)
 * and returns their sets, in the order they first appear. Within a set, a later
 * forecast of an id takes the place of an earlier one: the last write of a key
 * wins.
 */
export function forecastSets(forecasts: readonly ForecastRecord[]): ForecastSet[] {
  const sets: ForecastSet[] = [];
  const byKey = new Map<string, ForecastSet & { forecasts: ForecastRecord[] }>();
  const irregular = new Set<ForecastRecord>();
  const seen: Seen = {};
  let set: ForecastSet & { forecasts: ForecastRecord[] } | undefined;
  for (let i = 0; i < forecasts.length; i++) {
    const f = forecasts[i]!;
    const checked = checkForecast(f, seen);
    if (typeof checked === "string") {
      throw new RangeError(`forecast ${i} ("${f.forecast_id}"): ${checked}`);
    }
    if (!checked) irregular.add(f);
    // A reading's forecasts come one after the other: the same station and ts as the last one.
    if (set === undefined || f.ts !== set.forecasts[0]!.ts || f.station_id !== set.station_id) {
      const ts_ms = Date.parse(f.ts);
      const key = `${ts_ms} ${f.station_id}`;
      set = byKey.get(key);
      if (set === undefined) {
        set = { station_id: f.station_id, ts_ms, forecasts: [], irregular };
        byKey.set(key, set);
        sets.push(set);
      }
    }
    place(set.forecasts, f);
  }
  return sets;
}

/** Puts `f` in `list`, in the place of the forecast of its id if there is one. */
function place(list: ForecastRecord[], f: ForecastRecord): void {
  const id = f.forecast_id;
  const length = id.length;
  for (let i = 0; i < list.length; i++) {
    const other = list[i]!.forecast_id; // the ids of a set share `station|ts|`: lengths first
    if (other.length === length && other === id) {
      list[i] = f;
      return;
    }
  }
  list.push(f);
}

/**
 * The stored forecasts of a set with `incoming` written over them by
 * `forecast_id`; `incoming` itself when it replaces every stored forecast.
 */
export function mergeSet(
  stored: readonly ForecastRecord[],
  incoming: readonly ForecastRecord[],
): readonly ForecastRecord[] {
  const ids = new Set(incoming.map((f) => f.forecast_id));
  const kept = stored.filter((f) => !ids.has(f.forecast_id));
  return kept.length === 0 ? incoming : [...kept, ...incoming];
}

/**
 * Appends to `out` the forecasts of one set that match the target and horizon
 * of `query`, in the documented order within a set (target, horizon, id; the
 * stores order the sets by time and station), until `out` holds `limit`.
 */
export function appendMatching(
  out: ForecastRecord[],
  set: readonly ForecastRecord[],
  query: ForecastQuery,
  limit: number,
): void {
  const { target, horizon_h } = query;
  const matching = set.filter((f) =>
    (target === undefined || f.target === target) &&
    (horizon_h === undefined || f.horizon_h === horizon_h)
  );
  matching.sort((a, b) =>
    compare(a.target, b.target) || a.horizon_h - b.horizon_h ||
    compare(a.forecast_id, b.forecast_id)
  );
  for (const f of matching) {
    if (out.length >= limit) return;
    out.push(f);
  }
}

/** Code-unit order, as SQLite's BINARY and PostgreSQL's "C" collations order ASCII text. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
