/**
 * SARIMA in the evaluation (./evaluate.ts): its weekly-refit walk-forward of
 * every target, the window it runs over (from before validation when the
 * warning uses `best`), its timing, the report block, and its forecasts cut
 * to the main span.
 *
 * Pure: no `Deno.*`, no I/O (the clock is injected).
 *
 * @module
 */
import { fieldOf, type HourlySeries } from "../features/mod.ts";
import type { SarimaEngine } from "../models/mod.ts";
import type { EvaluationReport } from "../records/evaluation.ts";
import type { ForecastConfig } from "./forecast_config.ts";
import { type SarimaRuns, sarimaWalkForward } from "./sarima_runs.ts";
import { type EvaluationWindow, seriesIndex } from "./evaluation_window.ts";

/** What {@linkcode sarimaPart} reads of the evaluation's options. */
export interface SarimaOptions {
  readonly onProgress?: (message: string) => void;
  readonly sarima?: SarimaEngine;
  readonly sarimaRuns?: SarimaRuns;
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
export function fromHour(
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

/** SARIMA's runs (given, or computed when `options.sarima` is), its report block and seconds. */
export function sarimaPart(
  series: HourlySeries,
  config: ForecastConfig,
  window: EvaluationWindow,
  options: SarimaOptions,
  clock: () => number,
  timings: Record<string, number>,
): {
  runs: Map<string, Map<number, Float64Array>>;
  info: EvaluationReport["sarima"];
  seconds: number | null;
} {
  const sarimaPre = options.sarimaRuns ??
    (options.sarima === undefined ? undefined : computeSarimaRuns(
      options.sarima,
      series,
      config,
      sarimaWindow(series, config, window),
      clock,
      (target, fits) => options.onProgress?.(`sarima ${target}: ${fits} fits`),
    ));
  if (sarimaPre === undefined) return { runs: new Map(), info: null, seconds: null };
  const { order, transform, windowH } = config.sarima;
  timings.sarima = options.sarimaRuns === undefined ? sarimaPre.seconds * 1000 : 0;
  const { p, d, q, P, D, Q, s } = order;
  const info = {
    order: `(${p},${d},${q})(${P},${D},${Q},${s})`,
    transform,
    window_h: windowH,
    fits: sarimaPre.fits,
    failed_fits: sarimaPre.failedFits,
    printed_lines: sarimaPre.printedLines,
  };
  return { runs: sarimaPre.runs, info, seconds: sarimaPre.seconds };
}
