/**
 * The small validation search behind `config/forecast.json`: training-window
 * length, refit cadence (checked with ridge only, the cheap model) and the
 * ridge/trees blend weight per target and horizon, all scored on the
 * validation window (before the test window) and never on test data. The
 * span helpers here are shared with SARIMA's search (select_sarima.ts) and the
 * GRU's blend (sequence_report.ts).
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import {
  buildFeatureMatrix,
  type FeatureMatrix,
  fieldOf,
  type HourlySeries,
} from "../features/mod.ts";
import { mae } from "../scoring/mod.ts";
import {
  lastObserved,
  type SarimaEngine,
  type SarimaParams,
  seasonalNaiveForecast,
} from "../models/mod.ts";
import { type ForecastConfig, offsetMinutes } from "./forecast_config.ts";
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

/** The validation window of `config` as a span of `series`; throws when it reaches the test window. */
export function validationSpanOf(series: HourlySeries, config: ForecastConfig): TargetSpan {
  const from = seriesIndex(series, config.validationWindow.from);
  const to = seriesIndex(series, config.validationWindow.to);
  if (to >= seriesIndex(series, config.testWindow.from)) {
    throw new RangeError("The validation window must end before the test window");
  }
  return { from, to };
}

/** The best blend of one target at one horizon key, scored on validation. */
interface Scored {
  target: string;
  key: string;
  weight: number;
  skill: number;
  mae: number;
}

/** What every scoring pass of {@linkcode selectOnValidation} shares. */
interface BlendSearch {
  config: ForecastConfig;
  span: TargetSpan;
  /** `"1"`, ..., `"nowcast"`. */
  keys: readonly string[];
  matrices: Map<string, FeatureMatrix>;
  ys: readonly Float64Array[];
}

/** The horizon of a key (`"nowcast"` is 0). */
const horizonOfKey = (key: string): number => key === "nowcast" ? 0 : Number(key);

/** The feature matrix of each horizon key. */
function keyMatrices(
  series: HourlySeries,
  config: ForecastConfig,
  keys: readonly string[],
): Map<string, FeatureMatrix> {
  const utcOffsetMin = offsetMinutes(config.utcOffset);
  return new Map(keys.map((key) => [
    key,
    buildFeatureMatrix(
      series,
      key === "nowcast"
        ? { mode: "nowcast", horizonH: 0, utcOffsetMin }
        : { mode: "forecast", horizonH: Number(key), utcOffsetMin },
    ),
  ]));
}

/**
 * The lower validation MAE of the naive baselines at `h`: persistence (for the nowcast, the
 * previous hour's value) and, for forecasts, the value 24 h before the target.
 */
export function naiveValidationMae(y: Float64Array, h: number, obs: Float64Array): number {
  return Math.min(
    mae(Float64Array.from(y, (_, t) => lastObserved(y, h === 0 ? t - 1 : t)), obs),
    h === 0
      ? Infinity
      : mae(Float64Array.from(y, (_, t) => seasonalNaiveForecast(y, t, h, 24)), obs),
  );
}

/** The trees' weight in `weights` whose blend with ridge has the lowest validation MAE. */
function bestBlend(
  target: string,
  key: string,
  run: WalkForwardResult,
  obs: Float64Array,
  naive: number,
  weights: readonly number[],
): Scored {
  let best: Scored | undefined;
  for (const w of weights) {
    const m = mae(
      w === 0 ? run.ridge : Float64Array.from(run.ridge, (r, i) => (1 - w) * r + w * run.gbt[i]!),
      obs,
    );
    if (best === undefined || m < best.mae) {
      best = { target, key, weight: w, skill: 1 - m / naive, mae: m };
    }
  }
  return best!;
}

/** One pass: every target's best blend at every key, for one training window and cadence. */
function scoreBlends(
  search: BlendSearch,
  trainWindowH: number | null,
  cadence: number,
  gbt: boolean,
  onProgress?: (message: string) => void,
): Scored[] {
  const { config, span, ys } = search;
  const out: Scored[] = [];
  for (const key of search.keys) {
    const h = horizonOfKey(key);
    const runs = walkForward(search.matrices.get(key)!, ys, {
      horizonH: h,
      fromTarget: span.from,
      toTarget: span.to,
      anchor: span.from,
      refitEveryH: cadence,
      trainWindowH,
      ridge: config.ridge,
      gbt: gbt ? config.gbt : null,
    });
    config.targets.forEach((target, s) => {
      const y = ys[s]!;
      const obs = observedAhead(y, h, span);
      const naive = naiveValidationMae(y, h, obs);
      out.push(bestBlend(target, key, runs[s]!, obs, naive, gbt ? WEIGHTS : [0]));
    });
    onProgress?.(`validation: window ${trainWindowH ?? "all"} h, cadence ${cadence} h, ${key}`);
  }
  return out;
}

/** Mean skill of the forecast rows (the nowcast left out). */
function meanForecastSkill(rows: readonly Scored[]): number {
  const forecasts = rows.filter((r) => r.key !== "nowcast");
  return forecasts.reduce((s, r) => s + r.skill, 0) / forecasts.length;
}

/** Runs the search. `trainWindows` are the candidate lengths in hours (null = all history). */
export function selectOnValidation(
  series: HourlySeries,
  config: ForecastConfig,
  trainWindows: readonly (number | null)[],
  cadences: readonly number[],
  onProgress?: (message: string) => void,
): SelectionReport {
  const span = validationSpanOf(series, config);
  const keys = [...config.horizonsH.map((h) => String(h)), "nowcast"];
  const search: BlendSearch = {
    config,
    span,
    keys,
    matrices: keyMatrices(series, config, keys),
    ys: config.targets.map((t) => series.columns[fieldOf(t)]),
  };
  const byWindow = trainWindows.map((w) => ({
    w,
    rows: scoreBlends(search, w, 168, true, onProgress),
  }));
  byWindow.sort((a, b) => meanForecastSkill(b.rows) - meanForecastSkill(a.rows));
  const chosen = byWindow[0]!;
  const cadenceCandidates = cadences.map((c) => ({
    refit_every_h: c,
    mean_ridge_skill: meanForecastSkill(scoreBlends(search, chosen.w, c, false, onProgress)),
  }));
  const gbtWeight: Record<string, Record<string, number>> = {};
  for (const r of chosen.rows) (gbtWeight[r.target] ??= {})[r.key] = r.weight;
  return {
    validation_window: config.validationWindow,
    train_window_candidates: byWindow.map((b) => ({
      train_window_h: b.w,
      mean_skill: meanForecastSkill(b.rows),
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
