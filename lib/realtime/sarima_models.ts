/**
 * SARIMA for the real-time forecaster (wired into `engine.ts`): the
 * fits of `<modelDir>/sarima.json` compiled once, and per station one
 * {@linkcode SarimaFilter} per target, fed every hour, whose 1, 6 and 24 h
 * forecasts are ctsa's from the latest `windowH` hours (what `deno task
 * evaluate` scored), blended into the ridge/trees forecast as `best` is:
 * (1 - v) x blend + v x SARIMA, v from the artifact's `blendWeight` (=
 * `sarima.blendWeight` of `config/forecast.json`, as evaluate's `sarimaWeightOf`).
 *
 * Pure: no `Deno.*`, no I/O (`sarima_load.ts` reads the file).
 *
 * @module
 */
import { HOUR_MS } from "../features/mod.ts";
import type { CleanReading } from "../records/mod.ts";
import {
  fillForState,
  type SarimaArtifact,
  SarimaFilter,
  type SarimaFilterSpec,
  sarimaFilterSpec,
  type SarimaTargetModel,
} from "../models/mod.ts";
import {
  type CompiledModels,
  REALTIME_HORIZONS,
  REALTIME_TARGETS,
  type RealtimeTarget,
} from "./models.ts";

/** One target's SARIMA, compiled. */
export interface CompiledSarimaTarget {
  readonly target: RealtimeTarget;
  readonly model: SarimaTargetModel;
  readonly spec: SarimaFilterSpec;
  /** Weight of SARIMA in `best` per horizon, in `REALTIME_HORIZONS` order (0 = not blended). */
  readonly weights: Float64Array;
  /** e.g. `sarima(1,0,1)(1,1,1,24)@2026-11-26T20:39:29.136Z`, for the forecast's model version. */
  readonly version: string;
  /** Last hour of the fit window (ISO), the `@` part of the forecast's model version. */
  readonly fitEnd: string;
}

/** The SARIMA fits compiled for the engine, in `REALTIME_TARGETS` order (absent targets left out). */
export interface CompiledSarima {
  readonly targets: readonly CompiledSarimaTarget[];
  /** Hours of history a station needs to forecast as ctsa does (the longest window). */
  readonly historyH: number;
  /** Targets of the artifact left out, one line each (a failed fit, a non-stationary one). */
  readonly problems: readonly string[];
}

/**
 * Compiles the artifact's fits for the targets the engine forecasts. A fit that
 * failed can look normal (ctsa's exit code 15 with huge coefficients and a NaN
 * or non-positive sigma2): such a target, and one whose filter cannot be built
 * (AR part not stationary), is left out with a problem line, and its forecasts
 * stay the ridge/trees blend.
 */
export function compileSarima(artifact: SarimaArtifact): CompiledSarima {
  const targets: CompiledSarimaTarget[] = [];
  const problems: string[] = [];
  for (const target of REALTIME_TARGETS) {
    const model = artifact.models.find((m) => m.target === target.target);
    if (model === undefined) continue;
    const { p, d, q, P, D, Q, s } = model.order;
    const c = model.coefficients;
    const values = [...c.phi, ...c.theta, ...c.PHI, ...c.THETA, c.mean, c.sigma2];
    if (!values.every(Number.isFinite) || !(c.sigma2 > 0)) {
      problems.push(
        `${target.target}: the SARIMA fit looks failed (ctsa exit code ${c.retval}, sigma2 ${c.sigma2})`,
      );
      continue;
    }
    const spec = sarimaFilterSpec(model);
    try {
      // built now (stationary covariance, window weights), not on the first reading
      new SarimaFilter(spec, { windowH: model.windowH, horizons: REALTIME_HORIZONS });
    } catch (error) {
      problems.push(`${target.target}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    targets.push({
      target,
      model,
      spec,
      weights: Float64Array.from(REALTIME_HORIZONS, (h) => model.blendWeight[String(h)] ?? 0),
      version: `sarima(${p},${d},${q})(${P},${D},${Q},${s})@${artifact.createdAt}`,
      fitEnd: model.fitWindow.to,
    });
  }
  return { targets, historyH: Math.max(0, ...targets.map((t) => t.model.windowH)), problems };
}

/**
 * The values a {@linkcode SarimaFilter} was fed, as it filled them (the value
 * 24 hours earlier, else the last one seen; leading missing values skipped):
 * the latest `capacity` of them, so a filter of another fit can be warmed on
 * exactly what this one saw (a model swap) without reading the store.
 */
class FilledHistory {
  readonly #ring: Float64Array;
  #n = 0;
  #lastSeen = NaN;

  constructor(capacity: number) {
    this.#ring = new Float64Array(Math.max(FILL_PERIOD_H + 1, capacity));
  }

  /** Feeds the next hour's value (`NaN` = missing), as `SarimaFilter.update` fills it. */
  push(y: number): void {
    const ring = this.#ring, keep = ring.length;
    let v = y;
    if (v === v) this.#lastSeen = v;
    else v = this.#n >= FILL_PERIOD_H ? ring[(this.#n - FILL_PERIOD_H) % keep]! : this.#lastSeen;
    if (v !== v) return; // nothing seen yet: the filter skips it too
    ring[this.#n % keep] = v;
    this.#n++;
  }

  /** The values held, oldest first (no `NaN`). */
  values(): Float64Array {
    const ring = this.#ring, keep = ring.length, count = Math.min(this.#n, keep);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = ring[(this.#n - count + i) % keep]!;
    return out;
  }
}

/** Hours back SARIMA's fill of a missing value reaches (the filter's and `fillForState`'s period). */
const FILL_PERIOD_H = 24;

/** One station's SARIMA filters, one per compiled target. */
export class StationSarima {
  readonly #compiled: CompiledSarima;
  readonly #filters: SarimaFilter[];
  /** Per target, the values its filter was fed (filled), for a swap to another fit. */
  readonly #history: FilledHistory[];
  /** Hour index (epoch hours) of the last value fed, or null. */
  #lastHour: number | null = null;
  /** Hours fed since the filters (re)started, gaps included. */
  #hours = 0;

  /**
   * Filters warmed on `history`: per compiled target (same order as
   * `compiled.targets`), hourly values ending at hour `lastHour` (epoch ms / 1 h),
   * `NaN` = missing. Give at least `compiled.historyH + 24` hours: the window then
   * starts after a day of context for the fill rule.
   */
  constructor(
    compiled: CompiledSarima,
    history?: { values: readonly ArrayLike<number>[]; lastHour: number },
  ) {
    this.#compiled = compiled;
    this.#history = compiled.targets.map(() =>
      new FilledHistory(compiled.historyH + FILL_PERIOD_H)
    );
    this.#filters = compiled.targets.map((t, k) => {
      const options = { windowH: t.model.windowH, horizons: REALTIME_HORIZONS };
      const h = history?.values[k];
      if (h === undefined) return new SarimaFilter(t.spec, options);
      const filled = fillForState(h, FILL_PERIOD_H);
      for (let i = 0; i < filled.length; i++) this.#history[k]!.push(filled[i]!);
      return SarimaFilter.warm(t.spec, filled, options);
    });
    if (history !== undefined) {
      this.#lastHour = history.lastHour;
      this.#hours = Math.max(0, ...history.values.map((v) => v.length));
    }
  }

  /**
   * This station's filters for another fit (a retrained model): each warmed on
   * the values this one's filter of the same target was fed, so its forecasts
   * are those of filters fed the new fit from the start (a target this one did
   * not serve starts empty). Hours fed and the last hour carry over.
   */
  rebuiltFor(compiled: CompiledSarima): StationSarima {
    const values = compiled.targets.map((t) => {
      const k = this.#compiled.targets.findIndex((o) => o.target.target === t.target.target);
      return k < 0 ? new Float64Array(0) : this.#history[k]!.values();
    });
    const next = new StationSarima(compiled, { values, lastHour: this.#lastHour ?? 0 });
    next.#lastHour = this.#lastHour;
    next.#hours = this.#hours;
    return next;
  }

  /** Hours fed since the filters (re)started, skipped hours included. */
  get hours(): number {
    return this.#hours;
  }

  /** Feeds a {@linkcode SarimaSeed} (before any reading). */
  seed(seed: SarimaSeed): void {
    const values = new Float64Array(this.#filters.length);
    for (let j = 0; j < 24; j++) {
      seed.values.forEach((v, k) => (values[k] = v[j]!));
      this.observe(seed.lastHour - 23 + j, values);
    }
  }

  /**
   * Feeds the reading of hour `hour` (epoch ms / 1 h): `values[k]` for
   * `compiled.targets[k]` (`NaN` = missing). Hours skipped since the last reading
   * are fed as missing (at most `historyH`; a longer gap restarts the filters).
   * A reading for an hour already fed (a redelivery, or late) is ignored.
   */
  observe(hour: number, values: ArrayLike<number>): void {
    const last = this.#lastHour;
    if (last !== null && hour <= last) return;
    const gap = last === null ? 0 : hour - last - 1;
    if (gap > this.#compiled.historyH) {
      this.#hours = 0;
      this.#filters.forEach((_, k) => {
        const t = this.#compiled.targets[k]!;
        this.#filters[k] = new SarimaFilter(t.spec, {
          windowH: t.model.windowH,
          horizons: REALTIME_HORIZONS,
        });
        this.#history[k] = new FilledHistory(this.#compiled.historyH + FILL_PERIOD_H);
      });
    } else {
      for (let i = 0; i < gap; i++) {
        for (let k = 0; k < this.#filters.length; k++) {
          this.#filters[k]!.update(NaN);
          this.#history[k]!.push(NaN);
        }
      }
      this.#hours += gap;
    }
    for (let k = 0; k < this.#filters.length; k++) {
      this.#filters[k]!.update(values[k]!);
      this.#history[k]!.push(values[k]!);
    }
    this.#lastHour = hour;
    this.#hours++;
  }

  /**
   * Target k's forecasts at `REALTIME_HORIZONS` into `out` (`NaN` while the filter
   * has no state: no blend then).
   */
  forecast(k: number, out: Float64Array): Float64Array {
    return this.#filters[k]!.forecast(out);
  }
}

/** SARIMA's part in one target's forecast at one horizon. */
export interface SarimaSlot {
  /** Index of the target in the compiled SARIMA (and in the station's filters). */
  readonly k: number;
  /** Index of the horizon in `REALTIME_HORIZONS`. */
  readonly hi: number;
  readonly weight: number;
  /** The ridge/trees blend's version with SARIMA appended. */
  readonly version: string;
}

/**
 * Per horizon, per forecast slot of `compiled`: SARIMA's part, or null (no fit
 * for the target, weight 0 at the horizon, or no ridge/trees blend to join).
 */
export function sarimaSlotsOf(
  compiled: CompiledModels,
  sarima: CompiledSarima | null,
): (SarimaSlot | null)[][] {
  const targets = sarima?.targets ?? [];
  return compiled.horizons.map(({ horizonH, slots }) => {
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

/** `best` as evaluate blends it: (1 - v) x the ridge/trees blend + v x SARIMA; the blend alone when SARIMA has no value. */
export function blendWithSarima(blend: number, sarima: number, weight: number): number {
  return weight === 0 || sarima !== sarima ? blend : (1 - weight) * blend + weight * sarima;
}

/**
 * The 24 hours before a warm start's history, each SARIMA target's values filled
 * as `fillForState` fills the whole series (what evaluate scored): fed to the
 * filters first, they make the fill of the history's missing hours (the value
 * 24 h before, filled itself) the whole series' fill, however far back its
 * chain goes. On this file it goes far: NOx and NO2 miss the same hour of the
 * day for weeks (a chain of up to 262 days; 102 in the test window).
 */
export interface SarimaSeed {
  /** Hour index (epoch ms / 1 h) of the seed's last hour. */
  readonly lastHour: number;
  /** Per compiled SARIMA target, the 24 filled values, oldest first (`NaN`: never observed). */
  readonly values: readonly Float64Array[];
}

/**
 * The seed of the 24 hours before `startMs` from `readings` (one station's, time
 * order, all before `startMs`). `rooted`: every missing value of those 24 hours
 * found an observed value at the same hour of an earlier day within `readings`,
 * so earlier readings would not change the seed; when not rooted, give every
 * earlier reading the station has (the fill then is that of its whole series).
 */
export function sarimaSeed(
  readings: readonly CleanReading[],
  fields: readonly string[],
  startMs: number,
): { seed: SarimaSeed | null; rooted: boolean } {
  const startHour = Math.floor(startMs / HOUR_MS);
  const lastHour = startHour - 1;
  if (readings.length === 0) return { seed: null, rooted: false };
  const firstHour = Math.min(startHour - 24, Math.floor(readings[0]!.ts_utc_ms / HOUR_MS));
  const n = startHour - firstHour;
  const columns = fields.map(() => new Float64Array(n).fill(NaN));
  for (const r of readings) {
    const i = Math.floor(r.ts_utc_ms / HOUR_MS) - firstHour;
    if (i < 0 || i >= n) continue;
    const m = r.measurements as unknown as Record<string, number | null>;
    fields.forEach((f, k) => (columns[k]![i] = m[f] ?? NaN));
  }
  let rooted = true;
  const values = columns.map((column) => {
    // rooted: each of the last 24 hours, or an hour a whole number of days before it, observed
    for (let j = n - 24; j < n && rooted; j++) {
      let i = j;
      while (i >= 0 && column[i] !== column[i]) i -= 24;
      if (i < 0) rooted = false;
    }
    return fillForState(column, 24).slice(n - 24);
  });
  // nothing observed: no seed (the filters start with the first reading, and count from it)
  const seen = values.some((v) => v.some((x) => x === x));
  return { seed: seen ? { lastHour, values } : null, rooted };
}
