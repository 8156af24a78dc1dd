/**
 * SARIMA for the real-time forecaster, ready to wire in (not wired yet): the
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
import {
  type SarimaArtifact,
  SarimaFilter,
  type SarimaFilterSpec,
  sarimaFilterSpec,
  type SarimaTargetModel,
} from "../models/mod.ts";
import { REALTIME_HORIZONS, REALTIME_TARGETS, type RealtimeTarget } from "./models.ts";

/** One target's SARIMA, compiled. */
export interface CompiledSarimaTarget {
  readonly target: RealtimeTarget;
  readonly model: SarimaTargetModel;
  readonly spec: SarimaFilterSpec;
  /** Weight of SARIMA in `best` per horizon, in `REALTIME_HORIZONS` order (0 = not blended). */
  readonly weights: Float64Array;
  /** e.g. `sarima(1,0,1)(1,1,1,24)@2026-11-26T20:39:29.136Z`, for the forecast's model version. */
  readonly version: string;
}

/** The SARIMA fits compiled for the engine, in `REALTIME_TARGETS` order (absent targets left out). */
export interface CompiledSarima {
  readonly targets: readonly CompiledSarimaTarget[];
  /** Hours of history a station needs to forecast as ctsa does (the longest window). */
  readonly historyH: number;
}

/** Compiles the artifact's fits for the targets the engine forecasts. */
export function compileSarima(artifact: SarimaArtifact): CompiledSarima {
  const targets: CompiledSarimaTarget[] = [];
  for (const target of REALTIME_TARGETS) {
    const model = artifact.models.find((m) => m.target === target.target);
    if (model === undefined) continue;
    const { p, d, q, P, D, Q, s } = model.order;
    const spec = sarimaFilterSpec(model);
    // built now (stationary covariance, window weights), not on the first reading
    new SarimaFilter(spec, { windowH: model.windowH, horizons: REALTIME_HORIZONS });
    targets.push({
      target,
      model,
      spec,
      weights: Float64Array.from(REALTIME_HORIZONS, (h) => model.blendWeight[String(h)] ?? 0),
      version: `sarima(${p},${d},${q})(${P},${D},${Q},${s})@${artifact.createdAt}`,
    });
  }
  return { targets, historyH: Math.max(0, ...targets.map((t) => t.model.windowH)) };
}

/** One station's SARIMA filters, one per compiled target. */
export class StationSarima {
  readonly #compiled: CompiledSarima;
  readonly #filters: SarimaFilter[];
  /** Hour index (epoch hours) of the last value fed, or null. */
  #lastHour: number | null = null;

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
    this.#filters = compiled.targets.map((t, k) => {
      const options = { windowH: t.model.windowH, horizons: REALTIME_HORIZONS };
      const h = history?.values[k];
      return h === undefined
        ? new SarimaFilter(t.spec, options)
        : SarimaFilter.warm(t.spec, h, options);
    });
    if (history !== undefined) this.#lastHour = history.lastHour;
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
      this.#filters.forEach((_, k) => {
        const t = this.#compiled.targets[k]!;
        this.#filters[k] = new SarimaFilter(t.spec, {
          windowH: t.model.windowH,
          horizons: REALTIME_HORIZONS,
        });
      });
    } else {
      for (let i = 0; i < gap; i++) for (const f of this.#filters) f.update(NaN);
    }
    for (let k = 0; k < this.#filters.length; k++) this.#filters[k]!.update(values[k]!);
    this.#lastHour = hour;
  }

  /**
   * Target k's forecasts at `REALTIME_HORIZONS` into `out` (`NaN` while the filter
   * has no state: no blend then).
   */
  forecast(k: number, out: Float64Array): Float64Array {
    return this.#filters[k]!.forecast(out);
  }
}

/** `best` as evaluate blends it: (1 - v) x the ridge/trees blend + v x SARIMA; the blend alone when SARIMA has no value. */
export function blendWithSarima(blend: number, sarima: number, weight: number): number {
  return weight === 0 || sarima !== sarima ? blend : (1 - weight) * blend + weight * sarima;
}
