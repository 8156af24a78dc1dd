/**
 * The evaluation protocol end to end, on an hourly series: walk-forward
 * forecasts over the conformal warm-up and the test window, scores per target
 * and horizon, the virtual sensor, and the NO2 early warning.
 *
 * Pure: no `Deno.*`, no I/O (the clock is injected).
 *
 * @module
 */
import { buildFeatureMatrix, fieldOf, type HourlySeries, indexAt } from "../features/mod.ts";
import { classify, conformalIntervals, naiveScale } from "../scoring/mod.ts";
import { lastObserved, type SarimaEngine, seasonalNaiveForecast } from "../models/mod.ts";
import {
  type ForecastConfig,
  gbtWeightOf,
  offsetMinutes,
  sarimaWeightOf,
} from "./forecast_config.ts";
import { type SarimaRuns, sarimaWalkForward } from "./sarima_runs.ts";
import { holmAcrossPairs, type ResultRow, scoreForecasts } from "./score.ts";
import { coverageByRegime, type RegimeCoverageRow, regimeMembership } from "./regimes.ts";
import { episodeLeadTimes, warningAtLead, type WarningLeadRow } from "./warning.ts";
import { walkForward, type WalkForwardOptions } from "./walk_forward.ts";
import { evaluateNowcasts } from "./nowcast.ts";
import { conditionalCoverage, describeConditionalRule } from "./conditional_intervals.ts";

// The file's shape, `EvaluationReport` and its rows, is its one schema: lib/records/evaluation.ts.
export type { EvaluationReport, NowcastRow, WarningRow } from "../records/evaluation.ts";
import type { EvaluationReport, WarningRow } from "../records/evaluation.ts";

/** Precision, recall and F1 of a warning and of persistence at one lead (the fields every warning row shares). */
type WarningScores = Omit<WarningRow["point_forecast_rule"], "lead_h">;

/** Options of {@linkcode evaluateForecasts}. */
export interface EvaluateOptions {
  /** Milliseconds clock for the timings (e.g. `performance.now`); default no timings. */
  readonly clock?: () => number;
  /** Called after each target and horizon. */
  readonly onProgress?: (message: string) => void;
  /** The loaded npm `arima` (`loadSarima()`): adds `sarima` rows (and its blend into `best`). */
  readonly sarima?: SarimaEngine;
  /** SARIMA's runs computed beforehand (`cachedSarimaRuns()`): used instead of `sarima`. */
  readonly sarimaRuns?: SarimaRuns;
  /**
   * The GRU walk-forward (`cachedSequenceRun()`): adds `gru` rows, and `best_gru` rows blended with
   * `sequence.blendWeight`; `best` is unchanged.
   */
  readonly sequence?: { forecasts: ReadonlyMap<string, ReadonlyMap<number, Float64Array>> };
}

/** Index in the series of an ISO timestamp; throws if off the series. */
export function seriesIndex(series: HourlySeries, iso: string): number {
  const i = indexAt(series, Date.parse(iso));
  if (!Number.isInteger(i)) throw new RangeError(`${iso} is not on the hourly grid of the series`);
  return i;
}

const blendLabel = (w: number, v = 0) =>
  v === 0
    ? `${(1 - w).toFixed(2)} ridge + ${w.toFixed(2)} gbt`
    : `${(1 - v).toFixed(2)} x (${(1 - w).toFixed(2)} ridge + ${w.toFixed(2)} gbt) + ${
      v.toFixed(2)
    } sarima`;

function blend(ridge: Float64Array, gbt: Float64Array, w: number): Float64Array {
  return Float64Array.from(ridge, (r, i) => (1 - w) * r + w * gbt[i]!);
}

/** Where the protocol runs on a series: the test window, and the conformal warm-up before it. */
export interface EvaluationWindow {
  /** First and last index of the test window. */
  testFrom: number;
  testTo: number;
  /** First index forecast: `conformal.warmupH` before the test window. */
  warmFrom: number;
}

/** The test window of `config` on `series` and where its warm-up starts. */
export function evaluationWindow(series: HourlySeries, config: ForecastConfig): EvaluationWindow {
  const testFrom = Math.max(0, seriesIndex(series, config.testWindow.from));
  const testTo = Math.min(series.length - 1, seriesIndex(series, config.testWindow.to));
  return { testFrom, testTo, warmFrom: Math.max(0, testFrom - config.conformal.warmupH) };
}

/** The walk-forward settings (refits, window, models) of `config`, anchored on the test window. */
export function walkForwardSettings(
  config: ForecastConfig,
  window: EvaluationWindow,
): Omit<WalkForwardOptions, "horizonH" | "fromTarget" | "toTarget"> {
  return {
    anchor: window.testFrom,
    refitEveryH: config.walkForward.refitEveryH,
    trainWindowH: config.walkForward.trainWindowH,
    ridge: config.ridge,
    gbt: config.gbt,
  };
}

/**
 * How many progress messages `evaluateForecasts` sends for `config`: one per
 * target and horizon, one for the nowcast, and with SARIMA one per target.
 */
export function evaluationSteps(config: ForecastConfig, withSarima: boolean): number {
  const targets = config.targets.length;
  return targets * config.horizonsH.length + 1 + (withSarima ? targets : 0);
}

/**
 * The weekly-refit SARIMA walk-forward of every target of `config` over the
 * window: forecasts by information index per horizon, and the fit counts.
 */
export function sarimaRunsOf(
  engine: SarimaEngine,
  series: HourlySeries,
  config: ForecastConfig,
  window: EvaluationWindow,
  onTarget?: (target: string, fits: number) => void,
): { runs: Map<string, Map<number, Float64Array>>; fits: number; failedFits: number } {
  const { order, transform, windowH } = config.sarima;
  const runs = new Map<string, Map<number, Float64Array>>();
  let fits = 0, failedFits = 0;
  for (const target of config.targets) {
    const run = sarimaWalkForward(engine, series.columns[fieldOf(target)], {
      params: { ...order, transform },
      windowH,
      horizonsH: config.horizonsH,
      fromTarget: window.warmFrom,
      toTarget: window.testTo,
      anchor: window.testFrom,
      refitEveryH: config.walkForward.refitEveryH,
    });
    fits += run.fits;
    failedFits += run.failedFits;
    runs.set(target, run.forecasts);
    onTarget?.(target, run.fits);
  }
  return { runs, fits, failedFits };
}

/** `forecast` (by information index) with NaN before the information index `fromTarget - h`. */
function fromHour(
  forecast: Float64Array | undefined,
  h: number,
  fromTarget: number,
): Float64Array | undefined {
  return forecast?.map((v, t) => (t + h >= fromTarget ? v : NaN));
}

/**
 * Where SARIMA runs: the evaluation window, and with `warning.forecast` = `best` from
 * `conformal.warmupH` hours before the validation window, so the warning's rule can be chosen on
 * validation with the forecast it is scored with. The main scores use the evaluation window only.
 */
export function sarimaWindow(
  series: HourlySeries,
  config: ForecastConfig,
  window: EvaluationWindow,
): EvaluationWindow {
  if (config.warning.forecast !== "best") return window;
  const validationFrom = seriesIndex(series, config.validationWindow.from);
  return {
    ...window,
    warmFrom: Math.max(0, Math.min(window.warmFrom, validationFrom - config.conformal.warmupH)),
  };
}

/** {@linkcode sarimaRunsOf} timed with `clock` (ms), as {@linkcode SarimaRuns}. */
export function computeSarimaRuns(
  engine: SarimaEngine,
  series: HourlySeries,
  config: ForecastConfig,
  window: EvaluationWindow,
  clock: () => number,
  onTarget?: (target: string, fits: number) => void,
): SarimaRuns {
  const t0 = clock();
  const { runs, fits, failedFits } = sarimaRunsOf(engine, series, config, window, onTarget);
  return {
    runs,
    fits,
    failedFits,
    printedLines: engine.output.length,
    seconds: (clock() - t0) / 1000,
  };
}

/**
 * `best` of one target and horizon: ridge and trees blended with the gbt
 * weight of `config`, then SARIMA (when it ran) with its weight.
 */
export function bestOf(
  config: ForecastConfig,
  target: string,
  h: number,
  run: { ridge: Float64Array; gbt: Float64Array },
  sarima: Float64Array | undefined,
): Float64Array {
  const mix = blend(run.ridge, run.gbt, gbtWeightOf(config, target, String(h)));
  const v = sarima === undefined ? 0 : sarimaWeightOf(config, target, String(h));
  return sarima === undefined || v === 0 ? mix : blend(mix, sarima, v);
}

const gruWeightOf = (config: ForecastConfig, target: string, h: number) =>
  config.sequence?.blendWeight[target]?.[String(h)] ?? 0;

/** Runs the whole protocol of `config` on `series`. */
export function evaluateForecasts(
  series: HourlySeries,
  config: ForecastConfig,
  options: EvaluateOptions = {},
): EvaluationReport {
  const clock = options.clock ?? (() => 0);
  const timings: Record<string, number> = {};
  const utcOffsetMin = offsetMinutes(config.utcOffset);
  const window = evaluationWindow(series, config);
  const { testFrom, testTo, warmFrom } = window;
  const wf = walkForwardSettings(config, window);
  const bootstrap = {
    resamples: config.bootstrap.resamples,
    blockLength: config.bootstrap.blockLengthH,
    seed: config.bootstrap.seed,
    level: config.bootstrap.level,
  };
  const results: ResultRow[] = [];
  const coverageRows: RegimeCoverageRow[] = [];
  const conditionalRows: RegimeCoverageRow[] = [];
  const memberships = new Map(config.targets.map((target) => [
    target,
    regimeMembership(
      series.columns[fieldOf(target)],
      series.startMs,
      utcOffsetMin,
      testFrom,
      config.regimes,
    ),
  ]));
  const bestByKey = new Map<string, Float64Array>();
  // the warning target's ridge/trees runs at the main horizons, reused by the warning's leads
  const warningRuns = new Map<number, { ridge: Float64Array; gbt: Float64Array }>();
  let refits = 0;
  let sarimaRuns = new Map<string, Map<number, Float64Array>>();
  let sarimaInfo: EvaluationReport["sarima"] = null;
  let sarimaSeconds: number | null = null;
  const sarimaPre = options.sarimaRuns ??
    (options.sarima === undefined ? undefined : computeSarimaRuns(
      options.sarima,
      series,
      config,
      sarimaWindow(series, config, window),
      clock,
      (target, fits) => options.onProgress?.(`sarima ${target}: ${fits} fits`),
    ));
  if (sarimaPre !== undefined) {
    const { order, transform, windowH } = config.sarima;
    sarimaRuns = sarimaPre.runs;
    sarimaSeconds = sarimaPre.seconds;
    timings.sarima = options.sarimaRuns === undefined ? sarimaPre.seconds * 1000 : 0;
    const { p, d, q, P, D, Q, s } = order;
    sarimaInfo = {
      order: `(${p},${d},${q})(${P},${D},${Q},${s})`,
      transform,
      window_h: windowH,
      fits: sarimaPre.fits,
      failed_fits: sarimaPre.failedFits,
      printed_lines: sarimaPre.printedLines,
    };
  }
  for (const h of config.horizonsH) {
    let t0 = clock();
    const features = buildFeatureMatrix(series, { mode: "forecast", horizonH: h, utcOffsetMin });
    timings[`features_h${h}`] = clock() - t0;
    t0 = clock();
    const runs = walkForward(
      features,
      config.targets.map((target) => series.columns[fieldOf(target)]),
      { ...wf, horizonH: h, fromTarget: warmFrom, toTarget: testTo },
    );
    timings[`walk_forward_h${h}`] = clock() - t0;
    for (const [s, target] of config.targets.entries()) {
      t0 = clock();
      const y = series.columns[fieldOf(target)];
      const run = runs[s]!;
      refits += run.refits;
      const w = gbtWeightOf(config, target, String(h));
      // SARIMA may run from before the validation window (for the warning): only the main span here
      const sarima = fromHour(sarimaRuns.get(target)?.get(h), h, warmFrom);
      const v = sarima === undefined ? 0 : sarimaWeightOf(config, target, String(h));
      const best = bestOf(config, target, h, run, sarima);
      const gru = options.sequence?.forecasts.get(target)?.get(h);
      bestByKey.set(`${target}|${h}`, best);
      if (target === config.warning.target) warningRuns.set(h, run);
      const naive = (period: number | null) =>
        Float64Array.from(
          y,
          (_, t) =>
            t + h >= warmFrom && t + h <= testTo
              ? period === null ? lastObserved(y, t) : seasonalNaiveForecast(y, t, h, period)
              : NaN,
        );
      const forecasts = {
        persistence: naive(null),
        seasonal_naive_24h: naive(24),
        seasonal_naive_168h: naive(168),
        ridge: run.ridge,
        gbt: run.gbt,
        ...(sarima === undefined ? {} : { sarima }),
        ...(gru === undefined
          ? {}
          : { gru, best_gru: blend(best, gru, gruWeightOf(config, target, h)) }),
        best,
      };
      results.push(...scoreForecasts(y, forecasts, {
        target,
        horizonH: h,
        testFrom,
        testTo,
        scale: naiveScale(y, 24, 0, testFrom),
        bootstrap,
        conformal: config.conformal,
        tested: ["ridge", "gbt", "sarima", "gru", "best_gru", "best"],
        details: {
          best: blendLabel(w, v),
          best_gru: `${(1 - gruWeightOf(config, target, h)).toFixed(2)} best + ${
            gruWeightOf(config, target, h).toFixed(2)
          } gru`,
        },
      }));
      const intervals = conformalIntervals(best, y, h, config.conformal, 0);
      coverageRows.push(...coverageByRegime(
        y,
        intervals.lower,
        intervals.upper,
        config.conformal.alpha,
        { target, horizonH: h, testFrom, testTo },
        memberships.get(target)!.isIn,
      ));
      if (config.conformal.conditional !== undefined) {
        conditionalRows.push(...conditionalCoverage(y, best, h, config, window, series.startMs, {
          target,
          isIn: memberships.get(target)!.isIn,
        }));
      }
      timings[`score_${target}_h${h}`] = clock() - t0;
      options.onProgress?.(`${target} h=${h}: ${run.refits} refits`);
    }
  }
  const t0 = clock();
  const nowcast = evaluateNowcasts(
    series,
    buildFeatureMatrix(series, { mode: "nowcast", horizonH: 0, utcOffsetMin }),
    config,
    testFrom,
    testTo,
    wf,
  );
  refits += nowcast.refits;
  timings.nowcast = clock() - t0;
  options.onProgress?.("nowcast done");
  const warningKey = `${config.warning.target}|${config.warning.horizonH}`;
  const warningForecast = bestByKey.get(warningKey);
  if (warningForecast === undefined) {
    throw new RangeError(
      `The warning needs forecasts of ${config.warning.target} at ${config.warning.horizonH} h; add them to targets and horizonsH`,
    );
  }
  holmAcrossPairs(results);
  const pointRule = scoreWarning(
    series.columns[fieldOf(config.warning.target)],
    warningForecast,
    config.warning,
    testFrom,
    testTo,
  );
  const t1 = clock();
  const warning = evaluateWarning(series, config, window, utcOffsetMin, wf, pointRule, {
    runs: warningRuns,
    sarima: sarimaRuns.get(config.warning.target),
  });
  timings.warning = clock() - t1;
  options.onProgress?.("warning done");
  return {
    test_window: config.testWindow,
    protocol: {
      refit_every_h: config.walkForward.refitEveryH,
      train_window_h: config.walkForward.trainWindowH,
      refits,
      mase_scale: "in-sample MAE of the 24 h seasonal naive forecast before the test window",
    },
    results,
    coverage_by_regime: coverageRows,
    coverage_by_regime_conditional: config.conformal.conditional === undefined ? null : {
      rule: describeConditionalRule(config.conformal.conditional),
      served_live: false,
      rows: conditionalRows,
    },
    regime_thresholds: Object.fromEntries(
      [...memberships].map(([target, m]) => [target, m.threshold]),
    ),
    nowcast: nowcast.rows,
    warning_no2_200: warning,
    sarima_seconds: sarimaSeconds,
    sarima: sarimaInfo,
    timings_ms: timings,
  };
}

/**
 * The warning of `config.warning` at each of its leads: the target's ridge/trees blend (weight of
 * `gbtWeight` at that horizon, else 0.5; no SARIMA, which runs only at the main horizons) walked
 * forward from before the validation window to the end of the test window with the same weekly
 * refits; the probability cut-off is chosen on the validation window, then scored on test.
 */
function evaluateWarning(
  series: HourlySeries,
  config: ForecastConfig,
  window: EvaluationWindow,
  utcOffsetMin: number,
  wf: Omit<WalkForwardOptions, "horizonH" | "fromTarget" | "toTarget">,
  pointRule: WarningScores,
  reuse: {
    runs: ReadonlyMap<number, { ridge: Float64Array; gbt: Float64Array }>;
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
    const w = gbtWeightOf(config, target, String(lead));
    const joined = (own: Float64Array, other: Float64Array | undefined) =>
      other === undefined ? own : own.map((v, t) => (other[t] === other[t] ? other[t]! : v));
    const mix = { ridge: joined(run!.ridge, main?.ridge), gbt: joined(run!.gbt, main?.gbt) };
    // `best` (with SARIMA) where SARIMA ran at this lead and `warning.forecast` says so
    const sarima = config.warning.forecast === "best" ? reuse.sarima?.get(lead) : undefined;
    const forecast = sarima === undefined
      ? blend(mix.ridge, mix.gbt, w)
      : bestOf(config, target, lead, mix, sarima);
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

function scoreWarning(
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
