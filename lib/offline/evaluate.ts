/**
 * The evaluation protocol end to end, on an hourly series: walk-forward
 * forecasts over the conformal warm-up and the test window, scores per target
 * and horizon, the virtual sensor, and the NO2 early warning
 * (./evaluate_warning.ts), in the windows of ./evaluation_window.ts.
 *
 * Pure: no `Deno.*`, no I/O (the clock is injected).
 *
 * @module
 */
import { fieldOf, type HourlySeries } from "../features/mod.ts";
import { conformalIntervals, naiveScale } from "../scoring/mod.ts";
import { lastObserved, type SarimaEngine, seasonalNaiveForecast } from "../models/mod.ts";
import {
  type ForecastConfig,
  gbtWeightOf,
  offsetMinutes,
  sarimaWeightOf,
} from "./forecast_config.ts";
import type { SarimaRuns } from "./sarima_runs.ts";
import { holmAcrossPairs, type ResultRow, scoreForecasts } from "./score.ts";
import { coverageByRegime, type RegimeCoverageRow, regimeMembership } from "./regimes.ts";
import type { WalkForwardOptions } from "./walk_forward.ts";
import {
  collectJobs,
  evaluateJobs,
  type PrecomputedJobs,
  runEvaluateJob,
} from "./evaluate_jobs.ts";
import {
  bestOf,
  type BestRuns,
  blend,
  evaluationSteps,
  type EvaluationWindow,
  evaluationWindow,
  seriesIndex,
  walkForwardSettings,
} from "./evaluation_window.ts";
import { evaluateWarning, scoreWarning } from "./evaluate_warning.ts";
import {
  computeSarimaRuns,
  fromHour,
  sarimaPart,
  sarimaRunsOf,
  sarimaWindow,
} from "./evaluate_sarima.ts";

export { computeSarimaRuns, sarimaRunsOf, sarimaWindow };

export {
  bestOf,
  evaluationSteps,
  type EvaluationWindow,
  evaluationWindow,
  seriesIndex,
  walkForwardSettings,
};
import { conditionalCoverage, type ServedGroups, servedPart } from "./conditional_intervals.ts";

// The file's shape, `EvaluationReport` and its rows, is its one schema: lib/records/evaluation.ts.
export type { EvaluationReport, NowcastRow, WarningRow } from "../records/evaluation.ts";
import type { EvaluationReport, WarningRow } from "../records/evaluation.ts";

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
  /**
   * The walk-forwards and the virtual sensor computed beforehand (`runJobsInWorkers`, in
   * parallel); without them they run here, one after the other. Their timings are the jobs' own,
   * and `jobs_wall` says how long they took together.
   */
  readonly precomputed?: PrecomputedJobs;
}

const blendLabel = (w: number, v = 0) =>
  v === 0
    ? `${(1 - w).toFixed(2)} ridge + ${w.toFixed(2)} gbt`
    : `${(1 - v).toFixed(2)} x (${(1 - w).toFixed(2)} ridge + ${w.toFixed(2)} gbt) + ${
      v.toFixed(2)
    } sarima`;

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
  const { testFrom } = window;
  const wf = walkForwardSettings(config, window);
  const memberships = membershipsOf(series, config, utcOffsetMin, testFrom);
  const sarima = sarimaPart(series, config, window, options, clock, timings);
  // the walk-forwards and the virtual sensor: handed in (computed in workers), or run here in a row
  const t0 = clock();
  const jobs = options.precomputed ?? collectJobs(
    evaluateJobs(config).map((job) => runEvaluateJob(series, config, job, clock)),
    clock() - t0,
    1,
  );
  timings.jobs_wall = jobs.wallMs;
  const pass: Pass = {
    jobs,
    series,
    config,
    options,
    window,
    wf,
    utcOffsetMin,
    memberships,
    sarimaRuns: sarima.runs,
    clock,
    timings,
  };
  const scored: Scored = {
    results: [],
    coverageRows: [],
    pooledRows: [],
    servedGroups: [],
    bestByKey: new Map(),
    warningRuns: new Map(),
    refits: 0,
  };
  for (const h of config.horizonsH) scoreHorizon(pass, h, scored);
  const nowcast = jobs.nowcast!;
  scored.refits += nowcast.refits;
  timings.nowcast = nowcast.ms;
  options.onProgress?.("nowcast done");
  const warning = warningPart(pass, scored);
  return {
    test_window: config.testWindow,
    protocol: {
      refit_every_h: config.walkForward.refitEveryH,
      train_window_h: config.walkForward.trainWindowH,
      refits: scored.refits,
      mase_scale: "in-sample MAE of the 24 h seasonal naive forecast before the test window",
    },
    results: scored.results,
    coverage_by_regime: scored.coverageRows,
    ...servedPart(config, scored.coverageRows, scored.pooledRows, scored.servedGroups),
    regime_thresholds: Object.fromEntries(
      [...memberships].map(([target, m]) => [target, m.threshold]),
    ),
    nowcast: nowcast.rows,
    warning_no2_200: warning,
    sarima_seconds: sarima.seconds,
    sarima: sarima.info,
    timings_ms: timings,
  };
}

/** Each target's regimes (high pollution, rush hour, after outage) and thresholds. */
function membershipsOf(
  series: HourlySeries,
  config: ForecastConfig,
  utcOffsetMin: number,
  testFrom: number,
): Map<string, ReturnType<typeof regimeMembership>> {
  return new Map(config.targets.map((target) => [
    target,
    regimeMembership(
      series.columns[fieldOf(target)],
      series.startMs,
      utcOffsetMin,
      testFrom,
      config.regimes,
    ),
  ]));
}

/** What every step of {@linkcode evaluateForecasts} reads. */
interface Pass {
  /** The walk-forward of every horizon, and the virtual sensor. */
  jobs: PrecomputedJobs;
  series: HourlySeries;
  config: ForecastConfig;
  options: EvaluateOptions;
  window: EvaluationWindow;
  wf: Omit<WalkForwardOptions, "horizonH" | "fromTarget" | "toTarget">;
  utcOffsetMin: number;
  memberships: Map<string, ReturnType<typeof regimeMembership>>;
  sarimaRuns: Map<string, Map<number, Float64Array>>;
  clock: () => number;
  timings: Record<string, number>;
}

/** What the horizons add up: score and coverage rows, each `best`, the warning target's runs, refits. */
interface Scored {
  results: ResultRow[];
  /** The served rule's rows (the regime-aware one when configured). */
  coverageRows: RegimeCoverageRow[];
  /** The pooled rule's rows when the regime-aware one is served. */
  pooledRows: RegimeCoverageRow[];
  servedGroups: ServedGroups[];
  bestByKey: Map<string, Float64Array>;
  /** The warning target's ridge/trees runs at the main horizons, reused by the warning's leads. */
  warningRuns: Map<number, BestRuns>;
  refits: number;
}

/** One horizon: each target's scores on the horizon's walk-forward. */
function scoreHorizon(pass: Pass, h: number, scored: Scored): void {
  const { config, clock, timings } = pass;
  const { runs, ms } = pass.jobs.walkForward.get(h)!;
  timings[`walk_forward_h${h}`] = ms;
  for (const [s, target] of config.targets.entries()) {
    const t0 = clock();
    const run = runs[s]!;
    scored.refits += run.refits;
    scoreTarget(pass, h, target, run, scored);
    timings[`score_${target}_h${h}`] = clock() - t0;
    pass.options.onProgress?.(`${target} h=${h}: ${run.refits} refits`);
  }
}

/** One target at one horizon: every forecast scored, and `best`'s coverage by regime. */
function scoreTarget(
  pass: Pass,
  h: number,
  target: string,
  run: BestRuns,
  scored: Scored,
): void {
  const { series, config, window } = pass;
  const { testFrom, testTo, warmFrom } = window;
  const y = series.columns[fieldOf(target)];
  const w = gbtWeightOf(config, target, String(h));
  // SARIMA may run from before the validation window (for the warning): only the main span here
  const sarima = fromHour(pass.sarimaRuns.get(target)?.get(h), h, warmFrom);
  const v = sarima === undefined ? 0 : sarimaWeightOf(config, target, String(h));
  const best = bestOf(config, target, h, run, sarima);
  const gru = pass.options.sequence?.forecasts.get(target)?.get(h);
  scored.bestByKey.set(`${target}|${h}`, best);
  if (target === config.warning.target) scored.warningRuns.set(h, run);
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
  const conditional = conditionalCoverage(y, best, h, config, window, series.startMs, {
    target,
    isIn: pass.memberships.get(target)!.isIn,
  });
  scored.results.push(...scoreForecasts(y, forecasts, {
    target,
    horizonH: h,
    testFrom,
    testTo,
    scale: naiveScale(y, 24, 0, testFrom),
    bootstrap: {
      resamples: config.bootstrap.resamples,
      blockLength: config.bootstrap.blockLengthH,
      seed: config.bootstrap.seed,
      level: config.bootstrap.level,
    },
    conformal: config.conformal,
    tested: ["ridge", "gbt", "sarima", "gru", "best_gru", "best"],
    ...(conditional === null ? {} : { served: { best: conditional.intervals } }),
    details: {
      best: blendLabel(w, v),
      best_gru: `${(1 - gruWeightOf(config, target, h)).toFixed(2)} best + ${
        gruWeightOf(config, target, h).toFixed(2)
      } gru`,
    },
  }));
  coverageOf(pass, h, target, y, best, scored, conditional);
}

/** `best`'s coverage by regime: the served rule, and the pooled one beside the regime-aware one. */
function coverageOf(
  pass: Pass,
  h: number,
  target: string,
  y: Float64Array,
  best: Float64Array,
  scored: Scored,
  conditional: ReturnType<typeof conditionalCoverage>,
): void {
  const { config, window } = pass;
  const { testFrom, testTo } = window;
  const isIn = pass.memberships.get(target)!.isIn;
  const intervals = conformalIntervals(best, y, h, config.conformal, 0);
  const pooled = coverageByRegime(
    y,
    intervals.lower,
    intervals.upper,
    config.conformal.alpha,
    { target, horizonH: h, testFrom, testTo },
    isIn,
  );
  if (conditional === null) {
    scored.coverageRows.push(...pooled);
    return;
  }
  scored.coverageRows.push(...conditional.rows);
  scored.pooledRows.push(...pooled);
  scored.servedGroups.push(conditional.served);
}

/** Holm across the score rows, then the warning: its point rule on `best`, and its leads. */
function warningPart(pass: Pass, scored: Scored): WarningRow {
  const { series, config, window, clock } = pass;
  const warningKey = `${config.warning.target}|${config.warning.horizonH}`;
  const warningForecast = scored.bestByKey.get(warningKey);
  if (warningForecast === undefined) {
    throw new RangeError(
      `The warning needs forecasts of ${config.warning.target} at ${config.warning.horizonH} h; add them to targets and horizonsH`,
    );
  }
  holmAcrossPairs(scored.results);
  const pointRule = scoreWarning(
    series.columns[fieldOf(config.warning.target)],
    warningForecast,
    config.warning,
    window.testFrom,
    window.testTo,
  );
  const t1 = clock();
  const warning = evaluateWarning(series, config, window, pass.utcOffsetMin, pass.wf, pointRule, {
    runs: scored.warningRuns,
    sarima: pass.sarimaRuns.get(config.warning.target),
  });
  pass.timings.warning = clock() - t1;
  pass.options.onProgress?.("warning done");
  return warning;
}
