/**
 * The change models' search (issue 17), on the validation window only: per target and horizon,
 * the trees' weight in the change blend (ridge/trees on the log1p change since the last observed
 * value, scored alone, as the level blend's weight was chosen), then the change blend's weight u
 * beside the level blend and SARIMA's weight v, jointly:
 * (1 - v) x ((1 - u) x level + u x change) + v x SARIMA. The level blend keeps `gbtWeight`.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { z } from "zod";
import { fieldOf, type HourlySeries } from "../features/mod.ts";
import type { SarimaEngine } from "../models/mod.ts";
import { mae } from "../scoring/mod.ts";
import { type ForecastConfig, gbtWeightOf, sarimaWeightOf } from "./forecast_config.ts";
import { blend, withChange } from "./evaluation_window.ts";
import {
  naiveValidationMae,
  observedAhead,
  sarimaOnSpan,
  validationSpanOf,
  walkForwardOnSpan,
} from "./select.ts";

/** The trees' weights in the change blend the search tries. */
const TREE_WEIGHTS = [0, 0.25, 0.5, 0.75, 1];
/** u: below 1, so the level blend always stands in where the change blend has no value. */
export const CHANGE_WEIGHTS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/** v, as SARIMA's own search. */
const SARIMA_WEIGHTS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** One target and horizon of the search. */
const ChangeChoiceSchema = z.strictObject({
  target: z.string(),
  horizon_h: z.number().int(),
  /** Validation skill against the better naive baseline of the configuration before the search. */
  skill_before: z.number(),
  /** The same with SARIMA's weight searched again, without change models. */
  skill_level_only: z.number(),
  change_gbt_weight: z.number(),
  /** The level blend alone (its configured tree weight, no SARIMA). */
  skill_level_alone: z.number(),
  /** The change blend alone (no level blend, no SARIMA). */
  skill_change_alone: z.number(),
  change_weight: z.number(),
  sarima_weight: z.number(),
  skill_chosen: z.number(),
});

/** What `deno task evaluate --select --change` writes. */
export const ChangeSelectionSchema = z.strictObject({
  validation_window: z.strictObject({ from: z.string(), to: z.string() }),
  lookback_h: z.number().int(),
  grid: z.strictObject({
    change_gbt_weight: z.array(z.number()),
    change_weight: z.array(z.number()),
    sarima_weight: z.array(z.number()),
  }),
  choices: z.array(ChangeChoiceSchema),
  /** Mean validation skill per horizon: before, level only (v searched again), chosen. */
  mean_skill: z.array(z.strictObject({
    horizon_h: z.number().int(),
    before: z.number(),
    level_only: z.number(),
    chosen: z.number(),
  })),
});

/** What `deno task evaluate --select --change` writes. */
export type ChangeSelection = z.infer<typeof ChangeSelectionSchema>;

/**
 * (1 - v) x ((1 - u) x level + u x change) + v x sarima, the change blend mixed in as `bestOf`
 * mixes it (`withChange`); where SARIMA has no value, the mix alone.
 */
function combined(
  level: Float64Array,
  change: Float64Array,
  sarima: Float64Array,
  u: number,
  v: number,
): Float64Array {
  const mix = withChange(level, change, u);
  if (v === 0) return mix;
  return Float64Array.from(mix, (m, i) => {
    const s = sarima[i]!;
    return s !== s ? m : (1 - v) * m + v * s;
  });
}

/** The weight in `TREE_WEIGHTS` whose blend of `a` and `b` has the lowest MAE against `obs`. */
export function bestWeight(
  a: Float64Array,
  b: Float64Array,
  obs: Float64Array,
): { w: number; m: number } {
  return TREE_WEIGHTS.map((w) => ({ w, m: mae(blend(a, b, w), obs) }))
    .reduce((p, q) => (q.m < p.m ? q : p));
}

/** The lowest validation MAE over `u` x `v`. */
export function bestPair(
  obs: Float64Array,
  level: Float64Array,
  change: Float64Array,
  sarima: Float64Array,
  us: readonly number[],
): { u: number; v: number; mae: number } {
  let best = { u: 0, v: 0, mae: Infinity };
  for (const u of us) {
    for (const v of SARIMA_WEIGHTS) {
      const m = mae(combined(level, change, sarima, u, v), obs);
      if (m < best.mae) best = { u, v, mae: m };
    }
  }
  return best;
}

/** Runs the search with `lookbackH` (the change models' offset lookback, fixed, not searched). */
export function selectChange(
  series: HourlySeries,
  config: ForecastConfig,
  engine: SarimaEngine,
  lookbackH: number,
  onProgress?: (message: string) => void,
): ChangeSelection {
  const span = validationSpanOf(series, config);
  const ys = config.targets.map((t) => series.columns[fieldOf(t)]);
  const withChange: ForecastConfig = {
    ...config,
    change: { lookbackH, gbtWeight: {}, weight: {} },
  };
  const sarima = sarimaOnSpan(engine, ys, config, span);
  onProgress?.("change: sarima on validation");
  const choices: ChangeSelection["choices"] = [];
  for (const h of config.horizonsH) {
    const runs = walkForwardOnSpan(series, ys, withChange, h, span);
    config.targets.forEach((target, s) => {
      const y = ys[s]!;
      const run = runs[s]!;
      const obs = observedAhead(y, h, span);
      const naive = naiveValidationMae(y, h, obs);
      const skill = (m: number) => 1 - m / naive;
      const key = String(h);
      const level = blend(run.ridge, run.gbt, gbtWeightOf(config, target, key));
      const sar = sarima[s]!.get(h)!;
      const wc = bestWeight(run.change!.ridge, run.change!.gbt, obs);
      const change = blend(run.change!.ridge, run.change!.gbt, wc.w);
      const before = mae(combined(level, change, sar, 0, sarimaWeightOf(config, target, key)), obs);
      const levelOnly = bestPair(obs, level, change, sar, [0]);
      const chosen = bestPair(obs, level, change, sar, CHANGE_WEIGHTS);
      choices.push({
        target,
        horizon_h: h,
        skill_before: skill(before),
        skill_level_only: skill(levelOnly.mae),
        change_gbt_weight: wc.w,
        skill_level_alone: skill(mae(level, obs)),
        skill_change_alone: skill(wc.m),
        change_weight: chosen.u,
        sarima_weight: chosen.v,
        skill_chosen: skill(chosen.mae),
      });
    });
    onProgress?.(`change: h=${h}`);
  }
  const mean = (h: number, f: (c: ChangeSelection["choices"][number]) => number) => {
    const rows = choices.filter((c) => c.horizon_h === h);
    return rows.reduce((a, c) => a + f(c), 0) / rows.length;
  };
  return {
    validation_window: config.validationWindow,
    lookback_h: lookbackH,
    grid: {
      change_gbt_weight: TREE_WEIGHTS,
      change_weight: CHANGE_WEIGHTS,
      sarima_weight: SARIMA_WEIGHTS,
    },
    choices,
    mean_skill: config.horizonsH.map((h) => ({
      horizon_h: h,
      before: mean(h, (c) => c.skill_before),
      level_only: mean(h, (c) => c.skill_level_only),
      chosen: mean(h, (c) => c.skill_chosen),
    })),
  };
}
