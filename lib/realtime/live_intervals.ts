/**
 * The regime-aware 90 % intervals recalibrated live, as evaluate scores them (issue 13: serve
 * what was evaluated). evaluate's served rule (lib/scoring/conditional_conformal.ts) is rolling:
 * the interval of a forecast comes from the residuals of the earlier forecasts of its group, the
 * latest `window` of them, with an adaptive miss rate. The forecaster keeps that state per
 * station, target and horizon, and feeds it the same residuals in the same order: at each hour,
 * first the residual of the forecast made `horizon` hours before (its observation has just come),
 * then the new forecast's interval from its group's window.
 *
 * While the rule has too few residuals for a group (fewer than `minResiduals` in it and in all
 * groups together), the forecast gets the half-width evaluate had for that group after its last
 * hour, as before; the residual of such a forecast still enters the window but does not move the
 * miss rate (evaluate's rule gave it no interval).
 *
 * A restarted forecaster rebuilds the state from the store ({@linkcode replayCalibration}): the
 * stored readings and forecasts of the warm-start span, replayed hour by hour through the same
 * code.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { HOUR_MS } from "../features/mod.ts";
import type { CleanReading } from "../records/mod.ts";
import type { ForecastRecord } from "../records/forecast.ts";
import { MEASUREMENT_FIELDS } from "../records/reading.ts";
import {
  applyFactors,
  boundFactors,
  clockOf,
  type ConditionalConformalOptions,
  GroupCalibration,
  groupIndex,
  recentOutage,
} from "../scoring/mod.ts";
import type { CompiledModels, GroupedHalfWidths } from "./models.ts";

const NO_CLOCK = { hour: 0, weekend: false } as const;

/**
 * The group of the model's forecast `value` for the hour `targetMs` (UTC ms): its level bin, the
 * target hour's clock (when the rule reads it) and whether the target is in or just after an
 * outage at the issue time (`valueAt(lag)`: the target's value `lag` hours before it).
 */
export function forecastGroup(
  grouped: GroupedHalfWidths,
  value: number,
  targetMs: number,
  utcOffsetMin: number,
  valueAt: (lag: number) => number,
): number {
  const { rule } = grouped;
  const outage = rule.outage !== null && recentOutage(valueAt, rule.outage);
  // only the rush and daytime groupings read the target hour's clock
  const clock = rule.grouping === "none" || rule.grouping === "level"
    ? NO_CLOCK
    : clockOf(targetMs, utcOffsetMin);
  return groupIndex(rule, value, clock, outage);
}

/** One station's target at one horizon: the rule's state and the forecasts awaiting their hour. */
export class SlotCalibration {
  readonly #options: ConditionalConformalOptions;
  readonly #cal: GroupCalibration;
  readonly #horizonH: number;
  /** Ring of the last horizon + 1 issue hours: the hour (NaN: empty), value, group, bounds. */
  readonly #hours: Float64Array;
  readonly #values: Float64Array;
  readonly #groups: Int32Array;
  /** NaN: the rule gave the forecast no interval (the miss rate does not move). */
  readonly #lower: Float64Array;
  readonly #upper: Float64Array;
  /** Per group, the last sides served and their `boundFactors` (they change once an hour at most). */
  readonly #lo: Float64Array;
  readonly #hi: Float64Array;
  readonly #factors: (readonly [number, number])[];

  constructor(options: ConditionalConformalOptions, horizonH: number) {
    this.#options = options;
    this.#cal = new GroupCalibration(options);
    this.#horizonH = horizonH;
    const n = horizonH + 1;
    this.#hours = new Float64Array(n).fill(NaN);
    this.#values = new Float64Array(n);
    this.#groups = new Int32Array(n);
    this.#lower = new Float64Array(n);
    this.#upper = new Float64Array(n);
    this.#lo = new Float64Array(this.#cal.indices).fill(NaN);
    this.#hi = new Float64Array(this.#cal.indices).fill(NaN);
    this.#factors = Array.from({ length: this.#cal.indices }, () => [1, 1] as const);
  }

  /** The observed value `y` (NaN: missing) of `hour` (epoch hours): the residual of its forecast. */
  observe(hour: number, y: number): void {
    if (y !== y) return;
    const s = hour - this.#horizonH;
    const i = s % this.#hours.length;
    if (this.#hours[i] !== s) return; // no model forecast was made for this hour
    this.#hours[i] = NaN;
    const p = this.#values[i]!;
    const r = this.#options.scale === "log1p"
      ? Math.log1p(Math.max(0, y)) - Math.log1p(Math.max(0, p))
      : y - p;
    const lower = this.#lower[i]!;
    this.#cal.push(
      this.#groups[i]!,
      r,
      lower === lower ? (y < lower ? -1 : y > this.#upper[i]! ? 1 : 0) : null,
    );
  }

  /**
   * The rule's interval around the forecast `value` of group `g` made at `hour` (null: too few
   * residuals yet), which is recorded to meet its observation `horizon` hours later.
   */
  interval(hour: number, value: number, g: number): { lower: number; upper: number } | null {
    const hi = this.#cal.upperOffset(g);
    const scale = this.#options.scale;
    if (hi === hi) {
      const lo = this.#cal.lowerOffset(g);
      if (hi !== this.#hi[g] || lo !== this.#lo[g]) {
        this.#hi[g] = hi;
        this.#lo[g] = lo;
        this.#factors[g] = boundFactors(lo, hi, scale);
      }
    }
    const iv = hi === hi ? applyFactors(value, this.#factors[g]!, scale, 0) : null;
    const i = hour % this.#hours.length;
    this.#hours[i] = hour;
    this.#values[i] = value;
    this.#groups[i] = g;
    this.#lower[i] = iv === null ? NaN : iv.lower;
    this.#upper[i] = iv === null ? NaN : iv.upper;
    return iv;
  }
}

/** A station's calibrations, by horizon index and target slot as in `CompiledModels` (null: none). */
export type StationCalibrations = (SlotCalibration | null)[][];

/** Whether some slot of `compiled` has a rule that recalibrates. */
function recalibrates(compiled: CompiledModels): boolean {
  return compiled.horizons.some((h) =>
    h.slots.some((s) => (s.grouped?.calibration ?? null) !== null)
  );
}

/** Fresh calibrations for the slots of `compiled` whose rule recalibrates; null if none does. */
export function calibrationsFor(compiled: CompiledModels): StationCalibrations | null {
  let any = false;
  const out = compiled.horizons.map((h) =>
    h.slots.map((slot) => {
      const options = slot.grouped?.calibration ?? null;
      if (options === null) return null;
      any = true;
      return new SlotCalibration(options, h.horizonH);
    })
  );
  return any ? out : null;
}

/**
 * Every station's calibrations for the compiled models: made at a station's first use, kept
 * across a refit (evaluate's windows run on across its weekly refits too), rebuilt from the store.
 */
export class LiveCalibrations {
  #compiled: CompiledModels;
  #active: boolean;
  readonly #utcOffsetMin: number;
  #stations = new Map<string, StationCalibrations>();

  constructor(compiled: CompiledModels, utcOffsetMin: number) {
    this.#compiled = compiled;
    this.#active = recalibrates(compiled);
    this.#utcOffsetMin = utcOffsetMin;
  }

  /** Whether some rule recalibrates (then a warm start wants the stored forecasts). */
  get active(): boolean {
    return this.#active;
  }

  /** The station's calibrations; null when no rule recalibrates. */
  of(stationId: string): StationCalibrations | null {
    if (!this.#active) return null;
    let c = this.#stations.get(stationId);
    if (c === undefined) this.#stations.set(stationId, c = calibrationsFor(this.#compiled)!);
    return c;
  }

  /** Other models from now on: each station keeps its windows where the new models have a rule. */
  recompiled(compiled: CompiledModels): void {
    this.#compiled = compiled;
    this.#active = recalibrates(compiled);
    for (const [id, old] of this.#stations) {
      const fresh = calibrationsFor(compiled);
      if (fresh === null) this.#stations.delete(id);
      else {this.#stations.set(
          id,
          fresh.map((h, hi) => h.map((c, si) => c && (old[hi]?.[si] ?? c))),
        );}
    }
  }

  /** Forgets every station (the batch will be read again, after a warm start). */
  clear(): void {
    this.#stations = new Map();
  }

  /** A station's calibrations rebuilt from its stored history ({@linkcode replayCalibration}). */
  replay(
    stationId: string,
    history: readonly CleanReading[],
    past: readonly ForecastRecord[],
    nextMs: number,
  ): void {
    const c = this.of(stationId);
    if (c !== null) replayCalibration(c, this.#compiled, history, past, nextMs, this.#utcOffsetMin);
  }
}

/**
 * Rebuilds a station's calibrations from its stored history, as they were when the forecaster
 * that stored it met the reading at `nextMs`: hour by hour from the first reading of `history`
 * up to `nextMs`, each slot observes the hour's value and records the model forecasts issued in
 * it (`past`, ordered by issue time as the store returns them; baselines are skipped), exactly
 * as {@linkcode SlotCalibration} did live. Forecasts issued in the first hours of `history`,
 * whose outage group needs values before it, are left out.
 */
export function replayCalibration(
  calibrations: StationCalibrations,
  compiled: CompiledModels,
  history: readonly CleanReading[],
  past: readonly ForecastRecord[],
  nextMs: number,
  utcOffsetMin: number,
): void {
  if (history.length === 0) return;
  const start = Math.floor(history[0]!.ts_utc_ms / HOUR_MS);
  const end = Math.floor(nextMs / HOUR_MS);
  if (!(end > start)) return;
  const columns = MEASUREMENT_FIELDS.map(() => new Float64Array(end - start).fill(NaN));
  for (const r of history) {
    const i = Math.floor(r.ts_utc_ms / HOUR_MS) - start;
    if (i < 0 || i >= end - start) continue;
    MEASUREMENT_FIELDS.forEach((f, k) => (columns[k]![i] = r.measurements[f] ?? NaN));
  }
  const slotOf = new Map<string, [number, number]>();
  compiled.horizons.forEach((h, hi) =>
    h.slots.forEach((s, si) => slotOf.set(`${s.target.target}|${h.horizonH}`, [hi, si]))
  );
  let next = 0;
  for (let hour = start; hour < end; hour++) {
    const at = hour - start;
    for (let hi = 0; hi < calibrations.length; hi++) {
      const slots = compiled.horizons[hi]!.slots;
      for (let si = 0; si < slots.length; si++) {
        const column = columns[slots[si]!.grouped?.fieldIndex ?? 0]!;
        calibrations[hi]![si]?.observe(hour, column[at]!);
      }
    }
    for (; next < past.length; next++) {
      const f = past[next]!;
      const issued = Math.floor(Date.parse(f.ts) / HOUR_MS);
      if (issued > hour) break;
      if (issued < hour || f.baseline || f.value === null) continue;
      const where = slotOf.get(`${f.target}|${f.horizon_h}`);
      const cal = where === undefined ? null : calibrations[where[0]]![where[1]] ?? null;
      const grouped = where === undefined
        ? undefined
        : compiled.horizons[where[0]]!.slots[where[1]]!.grouped;
      if (cal === null || grouped === undefined || !hasLags(grouped, at)) continue;
      const column = columns[grouped.fieldIndex]!;
      const g = forecastGroup(
        grouped,
        f.value,
        (hour + f.horizon_h) * HOUR_MS,
        utcOffsetMin,
        (lag) => column[at - lag] ?? NaN,
      );
      cal.interval(hour, f.value, g);
    }
  }
}

/** Whether the hour at index `at` of the history has every lag its outage group reads. */
function hasLags(grouped: GroupedHalfWidths, at: number): boolean {
  const o = grouped.rule.outage;
  return o === null || at >= o.withinH + o.minMissingH - 2;
}
