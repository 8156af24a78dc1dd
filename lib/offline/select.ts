/**
 * The small validation search behind `config/forecast.json`: training-window
 * length, refit cadence (checked with ridge only, the cheap model) and the
 * ridge/trees blend weight per target and horizon, all scored on the
 * validation window (before the test window) and never on test data.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { buildFeatureMatrix, fieldOf, type HourlySeries } from "../features/mod.ts";
import { mae } from "../scoring/mod.ts";
import {
  lastObserved,
  type SarimaEngine,
  type SarimaParams,
  seasonalNaiveForecast,
} from "../models/mod.ts";
import { type ForecastConfig, gbtWeightOf, offsetMinutes } from "./forecast_config.ts";
import { sarimaWalkForward } from "./sarima_runs.ts";
import { type EvaluationWindow, seriesIndex, walkForwardSettings } from "./evaluate.ts";
import { walkForward, type WalkForwardResult } from "./walk_forward.ts";

/** A span of target indices, first and last inclusive (the validation window here). */
export interface TargetSpan {
  readonly from: number;
  readonly to: number;
}

/**
 * What `y` observed `h` hours after each information index whose target lies in `span`
 * (`NaN` elsewhere): the truth a forecast made at that index is scored against.
 */
export function observedAhead(y: Float64Array, h: number, span: TargetSpan): Float64Array {
  const obs = new Float64Array(y.length).fill(NaN);
  for (let t = span.from - h; t <= span.to - h; t++) obs[t] = y[t + h]!;
  return obs;
}

/**
 * The ridge/trees walk-forward of `ys` at horizon `h` over `span`, with the settings of `config`
 * (evaluate's {@linkcode walkForwardSettings}) anchored at the span's start.
 */
export function walkForwardOnSpan(
  series: HourlySeries,
  ys: readonly Float64Array[],
  config: ForecastConfig,
  h: number,
  span: TargetSpan,
): WalkForwardResult[] {
  const utcOffsetMin = offsetMinutes(config.utcOffset);
  const features = buildFeatureMatrix(series, { mode: "forecast", horizonH: h, utcOffsetMin });
  // the span stands where evaluate's test window stands: the walk-forward is anchored at its start
  const window: EvaluationWindow = { testFrom: span.from, testTo: span.to, warmFrom: span.from };
  return walkForward(features, ys, {
    horizonH: h,
    fromTarget: span.from,
    toTarget: span.to,
    ...walkForwardSettings(config, window),
  });
}

/**
 * SARIMA walk-forward of each of `ys` over `span` at every horizon of `config`, refits every
 * `config.walkForward.refitEveryH` anchored at the span's start; `model` defaults to
 * `config.sarima`'s window and transform.
 */
export function sarimaOnSpan(
  engine: SarimaEngine,
  ys: readonly Float64Array[],
  config: ForecastConfig,
  span: TargetSpan,
  model: { windowH: number; transform: SarimaParams["transform"] } = config.sarima,
): Map<number, Float64Array>[] {
  return ys.map((y) =>
    sarimaWalkForward(engine, y, {
      params: { ...config.sarima.order, transform: model.transform },
      windowH: model.windowH,
      horizonsH: config.horizonsH,
      fromTarget: span.from,
      toTarget: span.to,
      anchor: span.from,
      refitEveryH: config.walkForward.refitEveryH,
    }).forecasts
  );
}

/** What the search found. */
export interface SelectionReport {
  validation_window: { from: string; to: string };
  /** Mean validation skill of the best blend, per candidate training window. */
  train_window_candidates: { train_window_h: number | null; mean_skill: number }[];
  train_window_h: number | null;
  /** Mean validation skill of ridge per refit cadence (ridge only, chosen window). */
  cadence_candidates: { refit_every_h: number; mean_ridge_skill: number }[];
  /** Blend weights of the trees, per target and horizon key (`"1"`, ..., `"nowcast"`). */
  gbt_weight: Record<string, Record<string, number>>;
  /** Validation skill (forecasts) or MAE (nowcast) of the chosen blends. */
  validation: { target: string; key: string; gbt_weight: number; skill: number; mae: number }[];
}

const WEIGHTS = [0, 0.25, 0.5, 0.75, 1];

/** Runs the search. `trainWindows` are the candidate lengths in hours (null = all history). */
export function selectOnValidation(
  series: HourlySeries,
  config: ForecastConfig,
  trainWindows: readonly (number | null)[],
  cadences: readonly number[],
  onProgress?: (message: string) => void,
): SelectionReport {
  const utcOffsetMin = offsetMinutes(config.utcOffset);
  const from = seriesIndex(series, config.validationWindow.from);
  const to = seriesIndex(series, config.validationWindow.to);
  const testFrom = seriesIndex(series, config.testWindow.from);
  if (to >= testFrom) throw new RangeError("The validation window must end before the test window");
  const keys = [...config.horizonsH.map((h) => String(h)), "nowcast"];
  const matrices = new Map(keys.map((key) => [
    key,
    buildFeatureMatrix(
      series,
      key === "nowcast"
        ? { mode: "nowcast", horizonH: 0, utcOffsetMin }
        : { mode: "forecast", horizonH: Number(key), utcOffsetMin },
    ),
  ]));
  const ys = config.targets.map((t) => series.columns[fieldOf(t)]);
  type Scored = { target: string; key: string; weight: number; skill: number; mae: number };
  const score = (trainWindowH: number | null, cadence: number, gbt: boolean): Scored[] => {
    const out: Scored[] = [];
    for (const key of keys) {
      const h = key === "nowcast" ? 0 : Number(key);
      const runs = walkForward(matrices.get(key)!, ys, {
        horizonH: h,
        fromTarget: from,
        toTarget: to,
        anchor: from,
        refitEveryH: cadence,
        trainWindowH,
        ridge: config.ridge,
        gbt: gbt ? config.gbt : null,
      });
      config.targets.forEach((target, s) => {
        const y = ys[s]!;
        const run = runs[s]!;
        const obs = observedAhead(y, h, { from, to });
        const naive = Math.min(
          mae(Float64Array.from(y, (_, t) => lastObserved(y, h === 0 ? t - 1 : t)), obs),
          h === 0
            ? Infinity
            : mae(Float64Array.from(y, (_, t) => seasonalNaiveForecast(y, t, h, 24)), obs),
        );
        let best: Scored | undefined;
        for (const w of gbt ? WEIGHTS : [0]) {
          const m = mae(
            w === 0
              ? run.ridge
              : Float64Array.from(run.ridge, (r, i) => (1 - w) * r + w * run.gbt[i]!),
            obs,
          );
          if (best === undefined || m < best.mae) {
            best = { target, key, weight: w, skill: 1 - m / naive, mae: m };
          }
        }
        out.push(best!);
      });
      onProgress?.(`validation: window ${trainWindowH ?? "all"} h, cadence ${cadence} h, ${key}`);
    }
    return out;
  };
  const meanSkill = (rows: Scored[]) => {
    const forecasts = rows.filter((r) => r.key !== "nowcast");
    return forecasts.reduce((s, r) => s + r.skill, 0) / forecasts.length;
  };
  const byWindow = trainWindows.map((w) => ({ w, rows: score(w, 168, true) }));
  byWindow.sort((a, b) => meanSkill(b.rows) - meanSkill(a.rows));
  const chosen = byWindow[0]!;
  const cadenceCandidates = cadences.map((c) => ({
    refit_every_h: c,
    mean_ridge_skill: meanSkill(score(chosen.w, c, false)),
  }));
  const gbtWeight: Record<string, Record<string, number>> = {};
  for (const r of chosen.rows) (gbtWeight[r.target] ??= {})[r.key] = r.weight;
  return {
    validation_window: config.validationWindow,
    train_window_candidates: byWindow.map((b) => ({
      train_window_h: b.w,
      mean_skill: meanSkill(b.rows),
    })),
    train_window_h: chosen.w,
    cadence_candidates: cadenceCandidates,
    gbt_weight: gbtWeight,
    validation: chosen.rows.map((r) => ({
      target: r.target,
      key: r.key,
      gbt_weight: r.weight,
      skill: r.skill,
      mae: r.mae,
    })),
  };
}

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

/**
 * Chooses SARIMA's window length and scale, then its weight in `best`, on the
 * validation window (weekly refits anchored at its start, as the main search).
 */
export function selectSarimaOnValidation(
  series: HourlySeries,
  config: ForecastConfig,
  engine: SarimaEngine,
  candidates: readonly { windowH: number; transform: SarimaParams["transform"] }[],
  clock: () => number,
  onProgress?: (message: string) => void,
): SarimaSelectionReport {
  const from = seriesIndex(series, config.validationWindow.from);
  const to = seriesIndex(series, config.validationWindow.to);
  if (to >= seriesIndex(series, config.testWindow.from)) {
    throw new RangeError("The validation window must end before the test window");
  }
  const ys = config.targets.map((t) => series.columns[fieldOf(t)]);
  const span = { from, to };
  const naiveMae = (y: Float64Array, h: number) => {
    const obs = observedAhead(y, h, span);
    return Math.min(
      mae(Float64Array.from(y, (_, t) => lastObserved(y, t)), obs),
      mae(Float64Array.from(y, (_, t) => seasonalNaiveForecast(y, t, h, 24)), obs),
    );
  };
  const runs = candidates.map((c) => {
    const t0 = clock();
    const forecasts = sarimaOnSpan(engine, ys, config, span, c);
    const skill: Record<string, Record<string, number>> = {};
    let sum = 0, count = 0;
    config.targets.forEach((target, s) => {
      for (const h of config.horizonsH) {
        const y = ys[s]!;
        const k = 1 - mae(forecasts[s]!.get(h)!, observedAhead(y, h, span)) / naiveMae(y, h);
        (skill[target] ??= {})[String(h)] = k;
        sum += k;
        count++;
      }
    });
    const seconds = (clock() - t0) / 1000;
    onProgress?.(`sarima validation: ${c.windowH} h ${c.transform}, mean skill ${sum / count}`);
    return { c, forecasts, skill, mean: sum / count, seconds };
  });
  runs.sort((a, b) => b.mean - a.mean);
  const chosen = runs[0]!;
  const blendWeight: Record<string, Record<string, number>> = {};
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
      const naive = naiveMae(y, h);
      let best = { v: 0, m: Infinity };
      for (const v of SARIMA_WEIGHTS) {
        const m = mae(Float64Array.from(mix, (x, i) => (1 - v) * x + v * sar[i]!), obs);
        if (m < best.m) best = { v, m };
      }
      (blendWeight[target] ??= {})[String(h)] = best.v;
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
