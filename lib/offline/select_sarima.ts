/**
 * The SARIMA part of the validation search (`deno task evaluate --select --sarima`): SARIMA's
 * window length and scale, then its weight on top of the ridge/trees blend per target and
 * horizon, all scored on the validation window (lib/offline/select.ts), never on test data.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { fieldOf, type HourlySeries } from "../features/mod.ts";
import { mae } from "../scoring/mod.ts";
import type { SarimaEngine, SarimaParams } from "../models/mod.ts";
import { type ForecastConfig, gbtWeightOf } from "./forecast_config.ts";
import {
  naiveValidationMae,
  observedAhead,
  sarimaOnSpan,
  type TargetSpan,
  validationSpanOf,
  walkForwardOnSpan,
} from "./select.ts";

/** What the SARIMA search found (validation window only). */
export interface SarimaSelectionReport {
  validation_window: { from: string; to: string };
  /** Mean validation skill of SARIMA alone, per candidate window and transform. */
  candidates: {
    window_h: number;
    transform: string;
    mean_skill: number;
    skill: Record<string, Record<string, number>>;
    seconds: number;
  }[];
  window_h: number;
  transform: string;
  /** Weight of SARIMA in `best` per target and horizon: (1 - v) ridge/gbt blend + v SARIMA. */
  blend_weight: Record<string, Record<string, number>>;
  /** Validation skill of the ridge/gbt blend alone and with SARIMA at the chosen weight. */
  validation: {
    target: string;
    horizon_h: number;
    v: number;
    skill_without: number;
    skill_with: number;
  }[];
}

const SARIMA_WEIGHTS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** A SARIMA candidate: its window length and scale. */
type SarimaCandidate = { windowH: number; transform: SarimaParams["transform"] };

/** One candidate's validation run: its forecasts and skill per target and horizon. */
interface SarimaRun {
  c: SarimaCandidate;
  forecasts: Map<number, Float64Array>[];
  skill: Record<string, Record<string, number>>;
  mean: number;
  seconds: number;
}

/** The lower validation MAE of persistence and the value 24 h before the target, at `h`. */
function naiveSpanMae(y: Float64Array, h: number, span: TargetSpan): number {
  return naiveValidationMae(y, h, observedAhead(y, h, span));
}

/** SARIMA alone with candidate `c` over the validation span, scored per target and horizon. */
function runSarimaCandidate(
  engine: SarimaEngine,
  ys: readonly Float64Array[],
  config: ForecastConfig,
  span: TargetSpan,
  c: SarimaCandidate,
  clock: () => number,
  onProgress?: (message: string) => void,
): SarimaRun {
  const t0 = clock();
  const forecasts = sarimaOnSpan(engine, ys, config, span, c);
  const skill: Record<string, Record<string, number>> = {};
  let sum = 0, count = 0;
  config.targets.forEach((target, s) => {
    for (const h of config.horizonsH) {
      const y = ys[s]!;
      const k = 1 -
        mae(forecasts[s]!.get(h)!, observedAhead(y, h, span)) / naiveSpanMae(y, h, span);
      (skill[target] ??= {})[String(h)] = k;
      sum += k;
      count++;
    }
  });
  const seconds = (clock() - t0) / 1000;
  onProgress?.(`sarima validation: ${c.windowH} h ${c.transform}, mean skill ${sum / count}`);
  return { c, forecasts, skill, mean: sum / count, seconds };
}

/**
 * SARIMA's weight in `SARIMA_WEIGHTS` on top of the config's ridge/trees blend, per target and
 * horizon, with the skill of the blend without and with it.
 */
function sarimaBlendWeights(
  series: HourlySeries,
  ys: readonly Float64Array[],
  config: ForecastConfig,
  span: TargetSpan,
  chosen: SarimaRun,
  onProgress?: (message: string) => void,
): SarimaSelectionReport["validation"] {
  const validation: SarimaSelectionReport["validation"] = [];
  for (const h of config.horizonsH) {
    const wf = walkForwardOnSpan(series, ys, config, h, span);
    config.targets.forEach((target, s) => {
      const y = ys[s]!;
      const obs = observedAhead(y, h, span);
      const w = gbtWeightOf(config, target, String(h));
      const run = wf[s]!;
      const sar = chosen.forecasts[s]!.get(h)!;
      const mix = Float64Array.from(run.ridge, (r, i) => (1 - w) * r + w * run.gbt[i]!);
      const naive = naiveSpanMae(y, h, span);
      let best = { v: 0, m: Infinity };
      for (const v of SARIMA_WEIGHTS) {
        const m = mae(Float64Array.from(mix, (x, i) => (1 - v) * x + v * sar[i]!), obs);
        if (m < best.m) best = { v, m };
      }
      validation.push({
        target,
        horizon_h: h,
        v: best.v,
        skill_without: 1 - mae(mix, obs) / naive,
        skill_with: 1 - best.m / naive,
      });
    });
    onProgress?.(`sarima validation: blend weights at ${h} h`);
  }
  return validation;
}

/**
 * Chooses SARIMA's window length and scale, then its weight in `best`, on the
 * validation window (weekly refits anchored at its start, as the main search).
 */
export function selectSarimaOnValidation(
  series: HourlySeries,
  config: ForecastConfig,
  engine: SarimaEngine,
  candidates: readonly SarimaCandidate[],
  clock: () => number,
  onProgress?: (message: string) => void,
): SarimaSelectionReport {
  const span = validationSpanOf(series, config);
  const ys = config.targets.map((t) => series.columns[fieldOf(t)]);
  const runs = candidates.map((c) =>
    runSarimaCandidate(engine, ys, config, span, c, clock, onProgress)
  );
  runs.sort((a, b) => b.mean - a.mean);
  const chosen = runs[0]!;
  const validation = sarimaBlendWeights(series, ys, config, span, chosen, onProgress);
  const blendWeight: Record<string, Record<string, number>> = {};
  for (const r of validation) (blendWeight[r.target] ??= {})[String(r.horizon_h)] = r.v;
  return {
    validation_window: config.validationWindow,
    candidates: runs.map((r) => ({
      window_h: r.c.windowH,
      transform: r.c.transform,
      mean_skill: r.mean,
      skill: r.skill,
      seconds: r.seconds,
    })),
    window_h: chosen.c.windowH,
    transform: chosen.c.transform,
    blend_weight: blendWeight,
    validation,
  };
}
