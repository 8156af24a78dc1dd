/**
 * The parts of the forecaster's records that do not depend on the engine's
 * state: the 90% interval around a value, the persistence value a forecast
 * falls back to, and the virtual-sensor estimates of one reading.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import type { FeatureSpec, FeatureState } from "../features/mod.ts";
import { MEASUREMENT_FIELDS } from "../records/reading.ts";
import { nowcastExtrasInto } from "../features/nowcast_extras.ts";
import type { CleanReading } from "../records/mod.ts";
import {
  type EstimateRecord,
  FORECAST_SCHEMA_VERSION,
  type Interval,
  type SourcePosition,
} from "../records/forecast.ts";
import type { CompiledModels, ForecastSlot, HalfWidth, RealtimeTarget } from "./models.ts";
import { applyFactors } from "../scoring/mod.ts";
import { forecastGroup, type SlotCalibration } from "./live_intervals.ts";

/** Relative half-width used when neither the artifacts nor the evaluation give one. */
export const FALLBACK_RELATIVE_HALF_WIDTH = 0.5;

const FIELD_INDEX = new Map<string, number>(MEASUREMENT_FIELDS.map((f, i) => [f, i]));

/** The 90% interval around `value`: the model's half-width, else the fallback; never below 0. */
export function interval(value: number, hw: HalfWidth | undefined): Interval {
  const half = hw?.value ?? FALLBACK_RELATIVE_HALF_WIDTH * Math.abs(value);
  // concentrations are not negative: clip the lower bound at 0, never above the value
  return {
    lower: Math.min(value, Math.max(0, value - half)),
    upper: value + half,
    level: 0.9,
    source: hw?.source ?? "fallback",
  };
}

/**
 * The regime-aware 90% interval of the model's forecast `value` made at `hour` (epoch hours) for
 * the hour `targetMs` (UTC ms), as evaluate's served rule (lib/offline/conditional_intervals.ts)
 * builds it: the group from the forecast level, the target hour's clock and whether the
 * station's target is in or just after an outage in `state`; the half-width from the station's
 * live calibration `live` (lib/realtime/live_intervals.ts), else evaluate's for the group after
 * its last hour; null when the slot has no such intervals or the group no half-width.
 */
export function servedInterval(
  value: number,
  slot: ForecastSlot,
  targetMs: number,
  utcOffsetMin: number,
  state: FeatureState,
  live: SlotCalibration | null = null,
  hour = NaN,
): Interval | null {
  const grouped = slot.grouped;
  if (grouped === undefined) return null;
  const g = forecastGroup(
    grouped,
    value,
    targetMs,
    utcOffsetMin,
    (lag) => state.value(grouped.fieldIndex, lag),
  );
  const own = live?.interval(hour, value, g) ?? null;
  if (own !== null) return { lower: own.lower, upper: own.upper, level: 0.9, source: "evaluation" };
  const factors = grouped.factors[g];
  if (factors === null || factors === undefined) return null;
  const { lower, upper } = applyFactors(value, factors, grouped.scale, 0);
  return { lower, upper, level: 0.9, source: "evaluation" };
}

/**
 * The offset of a blend's change models (`changeOffsetAt` on the station's history): log1p of the
 * latest value of field `fieldIndex` observed at lag 0 to `lookbackH` - 1; NaN if none or no change models.
 */
export function changeOffsetOf(
  state: FeatureState,
  fieldIndex: number,
  lookbackH: number | null,
): number {
  return lookbackH === null ? NaN : Math.log1p(lastObserved(state, fieldIndex, lookbackH));
}

/** The latest observed value of `field` in `state` at lag 0 to `lags` - 1 (a week by default); NaN if none. */
function lastObserved(state: FeatureState, fieldIndex: number, lags = 169): number {
  for (let lag = 0; lag < lags; lag++) {
    const v = state.value(fieldIndex, lag);
    if (v === v) return v;
  }
  return NaN;
}

/**
 * The persistence forecast of `field`: its latest observed value in `state`;
 * for a reading the state did not take (late, duplicate), the reading's own
 * value first. NaN if none.
 */
export function persistenceValue(
  state: FeatureState,
  inOrder: boolean,
  measurements: CleanReading["measurements"],
  field: RealtimeTarget["field"],
): number {
  const own = measurements[field];
  return inOrder
    ? lastObserved(state, FIELD_INDEX.get(field)!)
    : own ?? lastObserved(state, FIELD_INDEX.get(field)!);
}

/** What {@linkcode estimatesOf} needs of the engine for one in-order reading. */
export interface EstimateInputs {
  reading: CleanReading;
  state: FeatureState;
  compiled: CompiledModels;
  nowcastSpec: FeatureSpec;
  /** Scratch for the nowcast features. */
  xNowcast: Float64Array;
  source: SourcePosition | null;
}

/**
 * The virtual-sensor estimates of an in-order reading: one per target whose
 * reference value is missing, when the sensors reported and the estimate is finite.
 */
export function estimatesOf(inputs: EstimateInputs): EstimateRecord[] {
  const { reading, state, compiled, source } = inputs;
  const measurements = reading.measurements;
  const estimates: EstimateRecord[] = [];
  if (measurements.pt08_s1_co === null) return estimates;
  const id = reading.station_id;
  let base: Float64Array | null = null;
  let prepared = false, extrasDone = false;
  const extras = compiled.nowcastExtrasScratch;
  const row = compiled.nowcastRow;
  for (const slot of compiled.estimates) {
    const { target } = slot;
    if (measurements[target.field] !== null) continue;
    base ??= state.features(inputs.nowcastSpec, inputs.xNowcast);
    let v: number;
    // a change model's offset: the target's last value before this hour, however old
    const offset = slot.compiled.change === null
      ? NaN
      : Math.log1p(state.lastBefore(slot.fieldIndex).value);
    if (slot.extraIds.length === 0) {
      if (!prepared) row.prepare(base);
      prepared = true;
      v = slot.compiled.predict(base, row, offset);
    } else {
      if (!extrasDone) nowcastExtrasInto(state, compiled.nowcastExtras, extras, 0);
      extrasDone = true;
      slot.x.set(base);
      for (let j = 0; j < slot.extraIds.length; j++) {
        slot.x[base.length + j] = extras[slot.extraIds[j]!]!;
      }
      v = slot.compiled.predict(slot.x, undefined, offset);
    }
    v = Math.max(0, v);
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
  return estimates;
}
