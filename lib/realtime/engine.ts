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
import type { CleanReading } from "../records/mod.ts";
import {
  type EstimateRecord,
  FORECAST_SCHEMA_VERSION,
  type ForecastRecord,
  type Interval,
  type SourcePosition,
} from "../records/forecast.ts";

export type { EstimateRecord, ForecastRecord, Interval, SourcePosition };
export { FORECAST_SCHEMA_VERSION };
import {
  type CompiledModels,
  compileModels,
  type DeployedModels,
  REALTIME_HORIZONS,
} from "./models.ts";
import {
  changeOffsetOf,
  estimatesOf,
  FALLBACK_RELATIVE_HALF_WIDTH,
  interval,
  persistenceValue,
  servedInterval,
} from "./engine_records.ts";
import { stationTime } from "./station_time.ts";
import { LiveCalibrations, type StationCalibrations } from "./live_intervals.ts";
import {
  DEFAULT_SARIMA_MIN_HOURS,
  type EngineOptions,
  type EngineOutput,
} from "./engine_options.ts";

export { DEFAULT_SARIMA_MIN_HOURS, type EngineOptions, type EngineOutput };
export { FALLBACK_RELATIVE_HALF_WIDTH, stationTime };
import {
  blendWithSarima,
  type CompiledSarima,
  type SarimaSeed,
  type SarimaSlot,
  sarimaSlotsOf,
  StationSarima,
} from "./sarima_models.ts";

/** One reading on its way through {@linkcode RealtimeForecaster.process}. */
interface Pass {
  readonly reading: CleanReading;
  readonly state: FeatureState;
  /** Whether the station's state took the reading (not late, duplicate or off the grid). */
  readonly inOrder: boolean;
  /** Whether the station is past the warm-up (the models replace persistence). */
  readonly warm: boolean;
  /** Whether SARIMA's forecasts for this reading are in the scratch buffers. */
  readonly useSarima: boolean;
  readonly idPrefix: string;
  readonly source: SourcePosition | null;
  /** The station's live interval calibrations (null: none, or the reading is not in order). */
  readonly live: StationCalibrations | null;
  /** The reading's hour, epoch hours. */
  readonly hour: number;
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
  /** Per station, the live calibrations of the regime-aware intervals (lib/realtime/live_intervals.ts). */
  #calibrations!: LiveCalibrations;
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
    this.#calibrations = new LiveCalibrations(this.#compiled, options.utcOffsetMin);
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
    this.#sarimaSlots = sarimaSlotsOf(this.#compiled, this.#sarima);
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
    this.#calibrations.recompiled(this.#compiled);
  }

  /** Whether some interval rule recalibrates live (then a warm start wants the stored forecasts). */
  get recalibrates(): boolean {
    return this.#calibrations.active;
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
    this.#calibrations.clear();
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
   * first, so their fill of missing hours is the whole series'. `past`, the station's stored
   * forecasts over the same span, rebuilds its live interval calibrations as they were when the
   * reading at `nextMs` came (lib/realtime/live_intervals.ts).
   */
  warm(
    stationId: string,
    history: readonly CleanReading[],
    seed?: SarimaSeed,
    past?: { forecasts: readonly ForecastRecord[]; nextMs: number },
  ): number {
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
    if (past !== undefined) {
      this.#calibrations.replay(stationId, history, past.forecasts, past.nextMs);
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
    const pass: Pass = {
      reading,
      state,
      inOrder,
      warm,
      useSarima: warm && this.#sarimaForecasts(id),
      idPrefix: `${id}|${reading.ts}|`,
      source,
      live: inOrder ? this.#calibrations.of(id) : null,
      hour: Math.floor(t / HOUR_MS),
    };
    if (warm && this.#compiled.anyForecastModel) this.#prepareFeatures(state);
    const forecasts: ForecastRecord[] = [];
    const horizons = this.#compiled.horizons;
    for (let hi = 0; hi < horizons.length; hi++) {
      const targetMs = t + horizons[hi]!.horizonH * HOUR_MS;
      const targetTs = stationTime(targetMs, this.#options.utcOffsetMin);
      for (let si = 0; si < horizons[hi]!.slots.length; si++) {
        forecasts.push(this.#forecast(pass, hi, si, targetTs, targetMs));
      }
    }
    const estimates = inOrder
      ? estimatesOf({
        reading,
        state,
        compiled: this.#compiled,
        nowcastSpec: this.#nowcastSpec,
        xNowcast: this.#xNowcast,
        source,
      })
      : [];
    return { forecasts, estimates };
  }

  /** Every horizon's features at once (they share all but a few), binned once for all trees. */
  #prepareFeatures(state: FeatureState): void {
    const horizons = this.#compiled.horizons;
    state.featuresFor(this.#specs, this.#x);
    const first = horizons[0]!.row.prepare(this.#x[0]!);
    for (let hi = 1; hi < horizons.length; hi++) {
      horizons[hi]!.row.prepareLike(this.#x[hi]!, this.#x[0]!, first);
    }
  }

  /**
   * SARIMA's forecasts of every target at every horizon into the scratch
   * buffers, once the station's filters have had enough hours; false if not.
   */
  #sarimaForecasts(id: string): boolean {
    const stationSarima = this.#sarimaStates.get(id);
    if (stationSarima === undefined || stationSarima.hours < this.#sarimaMinHours) return false;
    const sarimaOut = this.#sarimaOut;
    for (let k = 0; k < sarimaOut.length; k++) stationSarima.forecast(k, sarimaOut[k]!);
    return true;
  }

  /** One target's forecast at one horizon: the model's (SARIMA blended in), else persistence. */
  #forecast(pass: Pass, hi: number, si: number, targetTs: string, ms: number): ForecastRecord {
    const { horizonH: h, slots, row } = this.#compiled.horizons[hi]!;
    const slot = slots[si]!;
    const { blend, compiled: model, target } = slot;
    const live = pass.live?.[hi]?.[si] ?? null;
    // the residual of the forecast made h hours ago enters the window before this one's interval
    live?.observe(pass.hour, pass.state.value(slot.grouped?.fieldIndex ?? 0, 0));
    let value: number | null = null, fallbackReason: string | null = null;
    let version = blend?.version ?? "none";
    if (pass.warm && model !== undefined) {
      const offset = changeOffsetOf(pass.state, slot.fieldIndex, model.change?.lookbackH ?? null);
      let v = model.predict(this.#x[hi]!, row, offset);
      const part = this.#sarimaSlots[hi]![si] ?? null;
      if (pass.useSarima && part !== null) {
        const s = this.#sarimaOut[part.k]![part.hi]!;
        // as evaluate's `best`: (1 - v) x blend + v x SARIMA, the blend alone without a SARIMA value
        if (Number.isFinite(s)) {
          v = blendWithSarima(v, s, part.weight);
          version = part.version;
        }
      }
      if (Number.isFinite(v)) value = v;
      else fallbackReason = "model_not_finite";
    } else {
      fallbackReason = !pass.inOrder
        ? "late_or_duplicate"
        : blend === undefined
        ? (this.#compiled.anyModel ? "no_model_for_target" : "no_model")
        : "warming_up";
    }
    let hw = slot.halfWidth;
    const served = value === null
      ? null
      : servedInterval(value, slot, ms, this.#options.utcOffsetMin, pass.state, live, pass.hour);
    if (value === null) {
      const v = persistenceValue(pass.state, pass.inOrder, pass.reading.measurements, target.field);
      if (Number.isFinite(v)) value = v;
      else fallbackReason = "no_observation";
      version = "persistence";
      hw = slot.persistenceHalfWidth;
    }
    return {
      schema_version: FORECAST_SCHEMA_VERSION,
      kind: "forecast",
      forecast_id: pass.idPrefix + slot.idSuffix,
      station_id: pass.reading.station_id,
      target: target.target,
      field: target.field,
      horizon_h: h,
      value,
      interval: value === null ? null : served ?? interval(value, hw),
      ts: pass.reading.ts,
      target_ts: targetTs,
      model_version: version,
      baseline: fallbackReason !== null,
      fallback: fallbackReason === null ? null : "persistence",
      fallback_reason: fallbackReason,
      source: pass.source,
    };
  }
}
