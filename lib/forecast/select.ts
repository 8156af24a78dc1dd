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
import { mae } from "../evaluation/mod.ts";
import { lastObserved, seasonalNaiveForecast } from "../models/mod.ts";
import { type ForecastConfig, offsetMinutes } from "./config.ts";
import { seriesIndex } from "./evaluate.ts";
import { walkForward } from "./walk_forward.ts";

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
        const obs = new Float64Array(y.length).fill(NaN);
        for (let t = from - h; t <= to - h; t++) obs[t] = y[t + h]!;
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
