/**
 * The forecast trees' training window and row subsample (`walkForward.trees`, issue 17), on the
 * validation window only. Each candidate (the configuration without `trees` first) gets the same
 * weight search: the level blend's tree weight and the change blend's tree weight, each scored
 * alone, then the change blend's weight u and SARIMA's weight v jointly, as
 * `deno task evaluate --select --change` searches them. Ridge keeps `walkForward.trainWindowH`.
 * The walk-forward's seconds per candidate are reported beside its skill: evaluate's time budget
 * (120 s) weighs in the choice.
 *
 * Pure but for the clock it is given: no `Deno.*`, no I/O.
 *
 * @module
 */
import { z } from "zod";
import { fieldOf, type HourlySeries } from "../features/mod.ts";
import type { SarimaEngine } from "../models/mod.ts";
import type { ForecastConfig } from "./forecast_config.ts";
import { blend } from "./evaluation_window.ts";
import {
  naiveValidationMae,
  observedAhead,
  sarimaOnSpan,
  validationSpanOf,
  walkForwardOnSpan,
} from "./select.ts";
import { bestPair, bestWeight, CHANGE_WEIGHTS } from "./select_change.ts";

/**
 * The candidates after the configuration without `trees`: all history, or twice the window, at
 * `gbt.learningRate` (no `learningRate` here), and all history at 0.4 with lower learning rates.
 */
export const TREES_CANDIDATES: readonly {
  trainWindowH: number | null;
  rowSubsample: number;
  learningRate?: number;
}[] = [
  { trainWindowH: null, rowSubsample: 0.4 },
  { trainWindowH: null, rowSubsample: 0.8 },
  { trainWindowH: 5376, rowSubsample: 0.5 },
  { trainWindowH: null, rowSubsample: 0.4, learningRate: 0.05 },
  { trainWindowH: null, rowSubsample: 0.4, learningRate: 0.03 },
  { trainWindowH: null, rowSubsample: 0.4, learningRate: 0.02 },
];

const CandidateSchema = z.strictObject({
  /** Null: all history. */
  train_window_h: z.number().int().nullable(),
  row_subsample: z.number(),
  learning_rate: z.number(),
  /** True for the configuration without `walkForward.trees` (the trees on ridge's window). */
  baseline: z.boolean(),
  /** Seconds of the candidate's walk-forwards over the validation window (all horizons). */
  seconds: z.number(),
  mean_skill: z.array(z.strictObject({ horizon_h: z.number().int(), skill: z.number() })),
  choices: z.array(z.strictObject({
    target: z.string(),
    horizon_h: z.number().int(),
    gbt_weight: z.number(),
    change_gbt_weight: z.number(),
    change_weight: z.number(),
    sarima_weight: z.number(),
    skill: z.number(),
  })),
});

/** What `deno task evaluate --select --trees` writes. */
export const TreesSelectionSchema = z.strictObject({
  validation_window: z.strictObject({ from: z.string(), to: z.string() }),
  ridge_train_window_h: z.number().int().nullable(),
  candidates: z.array(CandidateSchema),
});

/** What `deno task evaluate --select --trees` writes. */
export type TreesSelection = z.infer<typeof TreesSelectionSchema>;

/** Runs the search; `clock` (milliseconds) times each candidate's walk-forwards. */
export function selectTrees(
  series: HourlySeries,
  config: ForecastConfig,
  engine: SarimaEngine,
  clock: () => number,
  onProgress?: (message: string) => void,
): TreesSelection {
  const span = validationSpanOf(series, config);
  const ys = config.targets.map((t) => series.columns[fieldOf(t)]);
  const sarima = sarimaOnSpan(engine, ys, config, span);
  onProgress?.("trees: sarima on validation");
  const { trees: _, ...untreed } = config.walkForward;
  const baseline = {
    trainWindowH: config.walkForward.trainWindowH,
    rowSubsample: config.gbt.rowSubsample,
    learningRate: config.gbt.learningRate,
  };
  const candidates = [baseline, ...TREES_CANDIDATES].map((c, k) => {
    const withTrees: ForecastConfig = {
      ...config,
      walkForward: k === 0 ? untreed : { ...untreed, trees: c },
    };
    const choices: z.infer<typeof CandidateSchema>["choices"] = [];
    let ms = 0;
    for (const h of config.horizonsH) {
      const t0 = clock();
      const runs = walkForwardOnSpan(series, ys, withTrees, h, span);
      ms += clock() - t0;
      config.targets.forEach((target, s) => {
        const obs = observedAhead(ys[s]!, h, span);
        const naive = naiveValidationMae(ys[s]!, h, obs);
        const run = runs[s]!;
        const level = bestWeight(run.ridge, run.gbt, obs);
        const change = bestWeight(run.change!.ridge, run.change!.gbt, obs);
        const pair = bestPair(
          obs,
          blend(run.ridge, run.gbt, level.w),
          blend(run.change!.ridge, run.change!.gbt, change.w),
          sarima[s]!.get(h)!,
          CHANGE_WEIGHTS,
        );
        choices.push({
          target,
          horizon_h: h,
          gbt_weight: level.w,
          change_gbt_weight: change.w,
          change_weight: pair.u,
          sarima_weight: pair.v,
          skill: 1 - pair.mae / naive,
        });
      });
      onProgress?.(`trees: candidate ${k}, h=${h}`);
    }
    const mean = (h: number) => {
      const rows = choices.filter((c) => c.horizon_h === h);
      return rows.reduce((a, c) => a + c.skill, 0) / rows.length;
    };
    return {
      train_window_h: c.trainWindowH,
      row_subsample: c.rowSubsample,
      learning_rate: c.learningRate ?? config.gbt.learningRate,
      baseline: k === 0,
      seconds: ms / 1000,
      mean_skill: config.horizonsH.map((h) => ({ horizon_h: h, skill: mean(h) })),
      choices,
    };
  });
  return {
    validation_window: config.validationWindow,
    ridge_train_window_h: config.walkForward.trainWindowH,
    candidates,
  };
}
