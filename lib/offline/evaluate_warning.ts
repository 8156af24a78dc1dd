/**
 * The NO2 early warning of the evaluation (`warning_no2_200` in the report):
 * the point-forecast rule scored on the test window, and the probabilistic
 * warning at each lead, its cut-off chosen on the validation window, with the
 * episodes it warned of and how early.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { buildFeatureMatrix, fieldOf, type HourlySeries } from "../features/mod.ts";
import { classify } from "../scoring/mod.ts";
import { lastObserved } from "../models/mod.ts";
import type { WarningRow } from "../records/evaluation.ts";
import { type ForecastConfig, gbtWeightOf } from "./forecast_config.ts";
import { episodeLeadTimes, warningAtLead, type WarningLeadRow } from "./warning.ts";
import { walkForward, type WalkForwardOptions } from "./walk_forward.ts";
import {
  bestOf,
  type BestRuns,
  blend,
  type EvaluationWindow,
  seriesIndex,
} from "./evaluation_window.ts";

/** Precision, recall and F1 of a warning and of persistence at one lead (the fields every warning row shares). */
export type WarningScores = Omit<WarningRow["point_forecast_rule"], "lead_h">;

/**
 * The warning of `config.warning` at each of its leads: the target's ridge/trees blend (weight of
 * `gbtWeight` at that horizon, else 0.5; no SARIMA, which runs only at the main horizons) walked
 * forward from before the validation window to the end of the test window with the same weekly
 * refits; the probability cut-off is chosen on the validation window, then scored on test.
 */
export function evaluateWarning(
  series: HourlySeries,
  config: ForecastConfig,
  window: EvaluationWindow,
  utcOffsetMin: number,
  wf: Omit<WalkForwardOptions, "horizonH" | "fromTarget" | "toTarget">,
  pointRule: WarningScores,
  reuse: {
    runs: ReadonlyMap<number, BestRuns>;
    sarima: ReadonlyMap<number, Float64Array> | undefined;
  },
): WarningRow {
  const { target, threshold, horizonH, leadsH } = config.warning;
  const y = series.columns[fieldOf(target)];
  const validation = {
    from: seriesIndex(series, config.validationWindow.from),
    to: seriesIndex(series, config.validationWindow.to),
  };
  const rule = {
    threshold,
    residualWindowH: config.warning.residualWindowH,
    minResiduals: config.warning.minResiduals,
    cutoffs: config.warning.probabilityCutoffs,
  };
  const rows: WarningLeadRow[] = [];
  const warns = new Map<number, (t: number) => boolean>();
  const persistenceWarns = new Map<number, (t: number) => boolean>();
  for (const lead of leadsH) {
    const features = buildFeatureMatrix(series, { mode: "forecast", horizonH: lead, utcOffsetMin });
    // at a main horizon, the main run (same blocks, same fits) covers the warm-up and test: only
    // the hours before it are walked forward here, and the two are joined per information hour
    const main = reuse.runs.get(lead);
    const [run] = walkForward(features, [y], {
      ...wf,
      horizonH: lead,
      fromTarget: Math.max(0, validation.from - config.conformal.warmupH),
      toTarget: main === undefined ? window.testTo : window.warmFrom - 1,
    });
    const forecast = leadForecast(config, lead, run!, main, reuse.sarima);
    const scored = warningAtLead(y, forecast, lead, rule, validation, {
      from: window.testFrom,
      to: window.testTo,
    });
    rows.push(scored.row);
    warns.set(lead, scored.warn);
    persistenceWarns.set(lead, (t) => lastObserved(y, t) > threshold);
  }
  const head = rows.find((r) => r.lead_h === horizonH) ?? rows[0]!;
  const model = episodeLeadTimes(y, threshold, window.testFrom, window.testTo, warns);
  const naive = episodeLeadTimes(y, threshold, window.testFrom, window.testTo, persistenceWarns);
  return {
    precision: head.precision,
    recall: head.recall,
    f1: head.f1,
    persistence_precision: head.persistence_precision,
    persistence_recall: head.persistence_recall,
    persistence_f1: head.persistence_f1,
    n: head.n,
    events: head.events,
    rule: `warn at t for t + L when P(${target} > ${threshold}) >= the lead's cut-off; P from ` +
      `${
        config.warning.forecast === "best" && reuse.sarima !== undefined
          ? "`best` (with SARIMA) at the main horizons, else the ridge/trees blend"
          : "the ridge/trees forecast"
      } and its latest ${rule.residualWindowH} multiplicative errors ` +
      "(log1p residuals), alone or combined with persistence (either or both); cut-off and " +
      "combination chosen per lead on the validation window for the best F1",
    by_lead_h: rows,
    episodes: {
      count: model.count,
      warned: model.warned,
      median_lead_h: model.medianLeadH,
      persistence_warned: naive.warned,
      persistence_median_lead_h: naive.medianLeadH,
    },
    point_forecast_rule: { lead_h: config.warning.horizonH, ...pointRule },
  };
}

/** The point-forecast rule at the warning's horizon: warn when the forecast is over the threshold. */
export function scoreWarning(
  y: Float64Array,
  forecast: Float64Array,
  warning: ForecastConfig["warning"],
  testFrom: number,
  testTo: number,
): WarningScores {
  const h = warning.horizonH;
  const predicted: boolean[] = [], persistence: boolean[] = [], actual: boolean[] = [];
  for (let tau = testFrom; tau <= testTo; tau++) {
    const t = tau - h;
    const f = forecast[t]!;
    if (t < 0 || Number.isNaN(y[tau]!) || Number.isNaN(f)) continue;
    predicted.push(f > warning.threshold);
    persistence.push(lastObserved(y, t) > warning.threshold);
    actual.push(y[tau]! > warning.threshold);
  }
  const model = classify(predicted, actual);
  const naive = classify(persistence, actual);
  return {
    precision: model.precision,
    recall: model.recall,
    f1: model.f1,
    persistence_precision: naive.precision,
    persistence_recall: naive.recall,
    persistence_f1: naive.f1,
    n: actual.length,
    events: actual.filter(Boolean).length,
  };
}

/**
 * The warning's forecast at `lead`: the walked-forward run joined with the
 * main run where it has values, blended as the lead's ridge/trees weight, or
 * as `best` (with SARIMA) where SARIMA ran at this lead and `warning.forecast` says so.
 */
function leadForecast(
  config: ForecastConfig,
  lead: number,
  run: BestRuns,
  main: BestRuns | undefined,
  sarimaRuns: ReadonlyMap<number, Float64Array> | undefined,
): Float64Array {
  const target = config.warning.target;
  const w = gbtWeightOf(config, target, String(lead));
  const joined = (own: Float64Array, other: Float64Array | undefined) =>
    other === undefined ? own : own.map((v, t) => (other[t] === other[t] ? other[t]! : v));
  const mix: BestRuns = {
    ridge: joined(run.ridge, main?.ridge),
    gbt: joined(run.gbt, main?.gbt),
    ...(run.change === undefined ? {} : {
      change: {
        ridge: joined(run.change.ridge, main?.change?.ridge),
        gbt: joined(run.change.gbt, main?.change?.gbt),
      },
    }),
  };
  const sarima = config.warning.forecast === "best" ? sarimaRuns?.get(lead) : undefined;
  return sarima === undefined
    ? blend(mix.ridge, mix.gbt, w)
    : bestOf(config, target, lead, mix, sarima);
}
