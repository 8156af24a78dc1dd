/**
 * The forecaster's logic without Kafka: per-station feature state, and for
 * every clean reading one forecast record per target and horizon, plus a
 * virtual-sensor estimate for every target whose reference value is missing.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import {
  featureCount,
  type FeatureSpec,
  FeatureState,
  HISTORY_H,
  HOUR_MS,
  StationFeatureStates,
} from "../features/mod.ts";
import { MEASUREMENT_FIELDS } from "../records/reading.ts";
import type { CleanReading } from "../records/mod.ts";
import {
  type EstimateRecord,
  FORECAST_SCHEMA_VERSION,
  type ForecastRecord,
  type Interval,
  type SourcePosition,
} from "../records/forecast.ts";

export {
  type EstimateRecord,
  FORECAST_SCHEMA_VERSION,
  type ForecastRecord,
  type Interval,
  type SourcePosition,
};
import {
  type CompiledModels,
  compileModels,
  type DeployedModels,
  type HalfWidth,
  REALTIME_HORIZONS,
} from "./models.ts";
import {
  blendWithSarima,
  type CompiledSarima,
  type SarimaSeed,
  StationSarima,
} from "./sarima_models.ts";

/** Settings of the engine. */
export interface EngineOptions {
  /** Station time offset from UTC, minutes (+01:00 = 60). */
  utcOffsetMin: number;
  /** Hours of history a station needs before the model replaces persistence. */
  warmupH: number;
  /**
   * Hours a station's SARIMA filters must have been fed before SARIMA joins the
   * blend (default {@linkcode DEFAULT_SARIMA_MIN_HOURS}). From `windowH` hours on
   * (1,000) its forecasts are exactly those `deno task evaluate` scored; before,
   * they are ctsa's on the shorter window.
   */
  sarimaMinHours?: number;
}

/** Default of {@linkcode EngineOptions.sarimaMinHours}: a week, seven daily cycles for the seasonal part. */
export const DEFAULT_SARIMA_MIN_HOURS = 168;

/** SARIMA's part in one target's forecast at one horizon. */
interface SarimaSlot {
  /** Index of the target in the compiled SARIMA (and in the station's filters). */
  readonly k: number;
  /** Index of the horizon in `REALTIME_HORIZONS`. */
  readonly hi: number;
  readonly weight: number;
  /** The ridge/trees blend's version with SARIMA appended. */
  readonly version: string;
}

/** Relative half-width used when neither the artifacts nor the evaluation give one. */
export const FALLBACK_RELATIVE_HALF_WIDTH = 0.5;

/** What one reading produced. */
export interface EngineOutput {
  forecasts: ForecastRecord[];
  estimates: EstimateRecord[];
}

const FIELD_INDEX = new Map<string, number>(MEASUREMENT_FIELDS.map((f, i) => [f, i]));

/** Formats an instant as station time, e.g. `2004-03-11T14:00:00+01:00`. */
export function stationTime(epochMs: number, utcOffsetMin: number): string {
  const local = epochMs + utcOffsetMin * 60_000;
  // years 0000..9999 at whole-minute offsets: the date part of the day from a cache,
  // the rest by arithmetic (what toISOString() would print)
  if (
    !Number.isSafeInteger(local) || local < MIN_4_DIGIT_MS || local > MAX_4_DIGIT_MS ||
    !Number.isInteger(utcOffsetMin)
  ) {
    return stationTimeByDate(epochMs, utcOffsetMin);
  }
  const day = Math.floor(local / DAY_MS);
  const ms = local - day * DAY_MS;
  const slot = day & 63;
  let date = DATE_CACHE[slot];
  if (date === undefined || date.day !== day) {
    date = { day, text: new Date(day * DAY_MS).toISOString().slice(0, 11) };
    DATE_CACHE[slot] = date;
  }
  let offset = OFFSET_CACHE.get(utcOffsetMin);
  if (offset === undefined) {
    offset = offsetText(utcOffsetMin);
    OFFSET_CACHE.set(utcOffsetMin, offset);
  }
  return date.text + TWO_DIGITS[Math.floor(ms / HOUR_MS)] + ":" +
    TWO_DIGITS[Math.floor(ms / 60_000) % 60] + ":" + TWO_DIGITS[Math.floor(ms / 1000) % 60] +
    offset;
}

function stationTimeByDate(epochMs: number, utcOffsetMin: number): string {
  const local = new Date(epochMs + utcOffsetMin * 60_000).toISOString().slice(0, 19);
  return `${local}${offsetText(utcOffsetMin)}`;
}

/** `+01:00` for 60. */
function offsetText(utcOffsetMin: number): string {
  const sign = utcOffsetMin < 0 ? "-" : "+";
  const abs = Math.abs(utcOffsetMin);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${sign}${hh}:${mm}`;
}

const DAY_MS = 24 * HOUR_MS;
const MIN_4_DIGIT_MS = Date.parse("0000-01-01T00:00:00.000Z");
const MAX_4_DIGIT_MS = Date.parse("9999-12-31T23:59:59.999Z");
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const DATE_CACHE: ({ day: number; text: string } | undefined)[] = new Array(64);
const OFFSET_CACHE = new Map<number, string>();

function interval(value: number, hw: HalfWidth | undefined): Interval {
  const half = hw?.value ?? FALLBACK_RELATIVE_HALF_WIDTH * Math.abs(value);
  // concentrations are not negative: clip the lower bound at 0, never above the value
  return {
    lower: Math.min(value, Math.max(0, value - half)),
    upper: value + half,
    level: 0.9,
    source: hw?.source ?? "fallback",
  };
}

/** The latest observed value of `field` in `state` (lag 0 up to a week); NaN if none. */
function lastObserved(state: FeatureState, fieldIndex: number): number {
  for (let lag = 0; lag < 169; lag++) {
    const v = state.value(fieldIndex, lag);
    if (v === v) return v;
  }
  return NaN;
}

/**
 * The real-time forecaster without I/O.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RealtimeForecaster } from "./engine.ts";
 * const engine = new RealtimeForecaster(
 *   { blends: new Map(), halfWidths: new Map(), problems: [] },
 *   { utcOffsetMin: 60, warmupH: 24 },
 * );
 * assert.equal(engine.stations, 0);
 * ```
 */
export class RealtimeForecaster {
  #models: DeployedModels;
  readonly #options: EngineOptions;
  #states = new StationFeatureStates();
  #firstMs = new Map<string, number>();
  readonly #specs: FeatureSpec[];
  readonly #nowcastSpec: FeatureSpec;
  readonly #x: Float64Array[];
  readonly #xNowcast: Float64Array;
  #compiled!: CompiledModels;
  #sarima!: CompiledSarima | null;
  #sarimaStates = new Map<string, StationSarima>();
  /** Per horizon, per slot: SARIMA's part, or null (no fit, weight 0, no ridge/trees blend). */
  #sarimaSlots!: (SarimaSlot | null)[][];
  readonly #sarimaMinHours: number;
  /** Scratch: one reading's target values, and each target's forecasts at the horizons. */
  #sarimaValues!: Float64Array;
  #sarimaOut!: Float64Array[];

  /** `models` are compiled here, once: later changes to them are not seen. */
  constructor(models: DeployedModels, options: EngineOptions) {
    this.#models = models;
    this.#options = options;
    this.#specs = REALTIME_HORIZONS.map((h) => ({
      mode: "forecast" as const,
      horizonH: h,
      utcOffsetMin: options.utcOffsetMin,
    }));
    this.#nowcastSpec = { mode: "nowcast", horizonH: 0, utcOffsetMin: options.utcOffsetMin };
    this.#x = this.#specs.map((s) => new Float64Array(featureCount(s)));
    this.#xNowcast = new Float64Array(featureCount(this.#nowcastSpec));
    this.#sarimaMinHours = options.sarimaMinHours ?? DEFAULT_SARIMA_MIN_HOURS;
    this.#compile(models);
  }

  /** Compiles `models` into the fields `process` reads. */
  #compile(models: DeployedModels): void {
    this.#models = models;
    this.#compiled = compileModels(models, this.#options.utcOffsetMin);
    const sarima = models.sarima ?? null;
    this.#sarima = sarima !== null && sarima.targets.length > 0 ? sarima : null;
    const targets = this.#sarima?.targets ?? [];
    this.#sarimaValues = new Float64Array(targets.length);
    this.#sarimaOut = targets.map(() => new Float64Array(REALTIME_HORIZONS.length));
    this.#sarimaSlots = this.#compiled.horizons.map(({ horizonH, slots }) => {
      const hi = REALTIME_HORIZONS.indexOf(horizonH);
      return slots.map((slot): SarimaSlot | null => {
        const k = targets.findIndex((t) => t.target.target === slot.target.target);
        const t = targets[k];
        const weight = t?.weights[hi] ?? 0;
        if (t === undefined || weight === 0 || slot.blend === undefined) return null;
        return {
          k,
          hi,
          weight,
          version: `${slot.blend.version}+sarima${weight.toFixed(2)}@${t.fitEnd}`,
        };
      });
    });
  }

  /**
   * Serves other models from the next reading on (a retrained champion): the
   * feature state of every station is kept (it does not depend on the models),
   * and each station's SARIMA filters are rebuilt for the new fits from the
   * values the old ones were fed, so the forecasts are those of an engine that
   * had served the new models all along. Synchronous: no reading is processed
   * half with the old models and half with the new.
   */
  install(models: DeployedModels): void {
    this.#compile(models);
    const sarima = this.#sarima;
    const states = new Map<string, StationSarima>();
    if (sarima !== null) {
      for (const [id, state] of this.#sarimaStates) states.set(id, state.rebuiltFor(sarima));
    }
    this.#sarimaStates = states;
  }

  /** The models served now. */
  get models(): DeployedModels {
    return this.#models;
  }

  /**
   * Hours of stored history a warm start should give a station: the features'
   * (HISTORY_H) or, with SARIMA, its window (1,000 hours), whichever is longer.
   */
  get historyH(): number {
    const sarima = this.#sarima;
    return sarima === null ? HISTORY_H : Math.max(HISTORY_H, sarima.historyH);
  }

  /** Reading fields of the targets SARIMA serves, in the order of a {@linkcode SarimaSeed}'s values (empty: none). */
  get sarimaFields(): readonly string[] {
    return this.#sarima?.targets.map((t) => t.target.field) ?? [];
  }

  /** Feeds a station's SARIMA filters the target values of an in-order reading. */
  #observeSarima(id: string, t: number, measurements: CleanReading["measurements"]): void {
    const sarima = this.#sarima;
    if (sarima === null) return;
    let state = this.#sarimaStates.get(id);
    if (state === undefined) {
      state = new StationSarima(sarima);
      this.#sarimaStates.set(id, state);
    }
    const values = this.#sarimaValues, targets = sarima.targets;
    for (let k = 0; k < targets.length; k++) {
      values[k] = measurements[targets[k]!.target.field] ?? NaN;
    }
    state.observe(Math.floor(t / HOUR_MS), values);
  }

  /** Stations seen since the start (or the last reset). */
  get stations(): number {
    return this.#states.size;
  }

  /** Forgets every station's history (after a failed transaction: the batch is re-read). */
  reset(): void {
    this.#states = new StationFeatureStates();
    this.#firstMs = new Map();
    this.#sarimaStates = new Map();
  }

  /** True once the station has history in this engine (a reading or a warm start). */
  knows(stationId: string): boolean {
    return this.#firstMs.has(stationId);
  }

  /**
   * Warm start: feeds a station's stored history (time order, all before the
   * next reading to process) without making forecasts, so the model takes over
   * at once instead of after the warm-up. Readings out of order are skipped.
   * Returns how many readings were taken. `seed` (the 24 hours before
   * `history`, filled: `sarimaSeed()`) goes to the station's SARIMA filters
   * first, so their fill of missing hours is the whole series'.
   */
  warm(stationId: string, history: readonly CleanReading[], seed?: SarimaSeed): number {
    const state = this.#states.get(stationId);
    if (seed !== undefined && this.#sarima !== null && !this.#sarimaStates.has(stationId)) {
      const sarima = new StationSarima(this.#sarima);
      sarima.seed(seed);
      this.#sarimaStates.set(stationId, sarima);
    }
    let taken = 0;
    for (const r of history) {
      if (r.station_id !== stationId) continue;
      const last = state.lastMs;
      if (last !== undefined && r.ts_utc_ms <= last) continue;
      try {
        state.push(r.ts_utc_ms, r.measurements);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        continue; // off the hourly grid
      }
      this.#observeSarima(stationId, r.ts_utc_ms, r.measurements);
      if (!this.#firstMs.has(stationId)) this.#firstMs.set(stationId, r.ts_utc_ms);
      taken++;
    }
    return taken;
  }

  /** Feeds one reading; returns its 12 forecasts and any estimates. */
  process(reading: CleanReading, source: SourcePosition | null = null): EngineOutput {
    const id = reading.station_id;
    const t = reading.ts_utc_ms;
    const state = this.#states.get(id);
    let inOrder = true;
    try {
      state.push(t, reading.measurements);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      inOrder = false; // late, duplicate or off the station's hourly grid
    }
    if (inOrder) this.#observeSarima(id, t, reading.measurements);
    let firstMs = this.#firstMs.get(id);
    if (firstMs === undefined) {
      firstMs = t;
      this.#firstMs.set(id, t);
    }
    const warm = inOrder && (t - firstMs) / HOUR_MS >= this.#options.warmupH;
    const compiled = this.#compiled;
    const { utcOffsetMin } = this.#options;
    const measurements = reading.measurements;
    const idPrefix = `${id}|${reading.ts}|`;
    const horizons = compiled.horizons;
    if (warm && compiled.anyForecastModel) {
      // every horizon's features at once (they share all but a few), binned once for all trees
      state.featuresFor(this.#specs, this.#x);
      const first = horizons[0]!.row.prepare(this.#x[0]!);
      for (let hi = 1; hi < horizons.length; hi++) {
        horizons[hi]!.row.prepareLike(this.#x[hi]!, this.#x[0]!, first);
      }
    }
    // SARIMA's forecasts of every target at every horizon, once the station's filters have enough
    const stationSarima = warm ? this.#sarimaStates.get(id) : undefined;
    const sarimaOut = this.#sarimaOut;
    const useSarima = stationSarima !== undefined &&
      stationSarima.hours >= this.#sarimaMinHours;
    if (useSarima) {
      for (let k = 0; k < sarimaOut.length; k++) stationSarima.forecast(k, sarimaOut[k]!);
    }
    const forecasts: ForecastRecord[] = [];
    for (let hi = 0; hi < horizons.length; hi++) {
      const { horizonH: h, slots, row } = horizons[hi]!;
      const targetTs = stationTime(t + h * HOUR_MS, utcOffsetMin);
      const sarimaSlots = this.#sarimaSlots[hi]!;
      for (let si = 0; si < slots.length; si++) {
        const slot = slots[si]!;
        const { blend, compiled: model, target } = slot;
        let value: number | null = null;
        let fallbackReason: string | null = null;
        let version = blend?.version ?? "none";
        if (warm && model !== undefined) {
          let v = model.predict(this.#x[hi]!, row);
          const part = sarimaSlots[si] ?? null;
          if (useSarima && part !== null) {
            const s = sarimaOut[part.k]![part.hi]!;
            // as evaluate's `best`: (1 - v) x blend + v x SARIMA, the blend alone without a SARIMA value
            if (Number.isFinite(s)) {
              v = blendWithSarima(v, s, part.weight);
              version = part.version;
            }
          }
          if (Number.isFinite(v)) value = v;
          else fallbackReason = "model_not_finite";
        } else {
          fallbackReason = !inOrder
            ? "late_or_duplicate"
            : blend === undefined
            ? (compiled.anyModel ? "no_model_for_target" : "no_model")
            : "warming_up";
        }
        let hw = slot.halfWidth;
        if (value === null) {
          const own = measurements[target.field];
          const v = inOrder
            ? lastObserved(state, FIELD_INDEX.get(target.field)!)
            : own ?? lastObserved(state, FIELD_INDEX.get(target.field)!);
          if (Number.isFinite(v)) value = v;
          else fallbackReason = "no_observation";
          version = "persistence";
          hw = slot.persistenceHalfWidth;
        }
        forecasts.push({
          schema_version: FORECAST_SCHEMA_VERSION,
          kind: "forecast",
          forecast_id: idPrefix + slot.idSuffix,
          station_id: id,
          target: target.target,
          field: target.field,
          horizon_h: h,
          value,
          interval: value === null ? null : interval(value, hw),
          ts: reading.ts,
          target_ts: targetTs,
          model_version: version,
          baseline: fallbackReason !== null,
          fallback: fallbackReason === null ? null : "persistence",
          fallback_reason: fallbackReason,
          source,
        });
      }
    }
    const estimates: EstimateRecord[] = [];
    const sensorsPresent = measurements.pt08_s1_co !== null;
    if (inOrder && sensorsPresent) {
      let x: Float64Array | null = null;
      const row = compiled.nowcastRow;
      for (const slot of compiled.estimates) {
        const { target } = slot;
        if (measurements[target.field] !== null) continue;
        if (x === null) {
          x = state.features(this.#nowcastSpec, this.#xNowcast);
          row.prepare(x);
        }
        const v = Math.max(0, slot.compiled.predict(x, row));
        if (!Number.isFinite(v)) continue;
        estimates.push({
          schema_version: FORECAST_SCHEMA_VERSION,
          kind: "estimate",
          estimated: true,
          estimate_id: `${id}|${reading.ts}|${target.target}`,
          station_id: id,
          target: target.target,
          field: target.field,
          ts: reading.ts,
          value: v,
          interval: interval(v, slot.halfWidth),
          model_version: slot.blend.version,
          source,
        });
      }
    }
    return { forecasts, estimates };
  }
}
