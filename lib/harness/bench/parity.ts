/**
 * The parity benchmark (`deno task bench parity`): does the live path serve
 * what `deno task evaluate` scored? On a private broker, through the `train`,
 * `produce`, `consume` and `forecast` tasks with their own permissions:
 *
 * 1. `train` on the hours before the test window (the real settings of
 *    config/forecast.json: 100 trees, seed 1, SARIMA on the last 1,000
 *    hours), into a temp model folder: the model a deployment would have had
 *    at the start of the test window, trained once.
 * 2. The hours before the test window: `produce` and `consume` (under one
 *    topic prefix) into the store, so the forecaster warm-starts from it.
 * 3. The test window: `produce` (under another prefix), then `forecast --db`
 *    with that model folder; the committed forecast sets are read back
 *    (read_committed).
 * 4. Offline: evaluate's `best` (ridge/trees/SARIMA, refit every week), the
 *    same walk-forward calls as lib/offline/evaluate.ts makes, per hour.
 *
 * Both are scored on the same target hours: in the test window, target
 * observed, a live and an offline forecast for it. The difference is the
 * weekly refits: evaluate refits every 168 hours, the live model is trained
 * once (live retraining is not built); the first week's block is the same
 * model. A cross-check compares the offline MAE over every test hour with
 * `evaluation.json`'s `best` row when one is given.
 *
 * Steps 1 to 3, the live half, are `_parity_live.ts`; this module runs the
 * offline half and scores both.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { CONFIG_DIR, loadConfig } from "../../config/mod.ts";
import { readUciFile } from "../../dataset/mod.ts";
import {
  buildFeatureMatrix,
  fieldOf,
  HOUR_MS,
  type HourlySeries,
  toHourlySeries,
} from "../../features/mod.ts";
import {
  bestOf,
  evaluationWindow,
  type ForecastConfig,
  ForecastConfigSchema,
  offsetMinutes,
  sarimaRunsOf,
  walkForward,
  walkForwardSettings,
} from "../../offline/mod.ts";
import { loadSarima } from "../../models/mod.ts";
import {
  type EvaluationReport,
  forecastRows,
  ForecastSetSchema,
  type RetrainMode,
} from "../../records/mod.ts";
import { runLive } from "./_parity_live.ts";
import type { ServedWarningRule } from "../../alerts/mod.ts";
import { readEvaluation, servedEvaluationPath, servedWarningOf } from "../../realtime/load.ts";
import { conditionalCoverage } from "../../offline/conditional_intervals.ts";
import { intervalScore } from "../../scoring/mod.ts";

const log = getLogger(["airq", "bench"]);

// The file's shape is its one schema: lib/records/bench.ts.
export type { ParityResult, ParityRow } from "../../records/bench.ts";
import type { ParityResult, ParityRow } from "../../records/bench.ts";

/** Options of the parity benchmark. */
export interface ParityOptions {
  /** The UCI CSV. */
  input: string;
  /** `HOME` for the child tasks. */
  home: string;
  /** Where the Kafka jars are cached. */
  cacheDir: string;
  /** A Kafka installation to use instead of the jars. */
  kafkaHome?: string | undefined;
  /** `deno task evaluate --json` output to cross-check the offline MAE with; null = none. */
  evaluationPath: string | null;
  /** The forecaster's `--retrain`: `wait` (deterministic), `background` or `off` (trained once). */
  retrain: RetrainMode;
  /**
   * Where to keep a copy of the store after the replay (readings, forecasts,
   * alerts, the monitoring and model-version snapshots), for `deno task
   * monitor --db PATH --episodes`: the drift monitoring of the test window; null = none.
   */
  keepStore?: string | null;
}

/**
 * Evaluate's `best` per information hour, for every target and horizon of
 * `config`: the calls and blends of `evaluateForecasts` (lib/offline/evaluate.ts),
 * without the scoring.
 */
export async function offlineBest(
  series: HourlySeries,
  config: ForecastConfig,
): Promise<{ best: Map<string, Float64Array>; fits: number; failedFits: number }> {
  const utcOffsetMin = offsetMinutes(config.utcOffset);
  const window = evaluationWindow(series, config);
  const wf = walkForwardSettings(config, window);
  const sarima = config.sarima.enabled
    ? sarimaRunsOf(
      await loadSarima(),
      series,
      config,
      window,
      (target, fits) => log.info("offline SARIMA {target}: {fits} fits", { target, fits }),
    )
    : { runs: new Map<string, Map<number, Float64Array>>(), fits: 0, failedFits: 0 };
  const best = new Map<string, Float64Array>();
  for (const h of config.horizonsH) {
    const features = buildFeatureMatrix(series, { mode: "forecast", horizonH: h, utcOffsetMin });
    const runs = walkForward(
      features,
      config.targets.map((target) => series.columns[fieldOf(target)]),
      { ...wf, horizonH: h, fromTarget: window.warmFrom, toTarget: window.testTo },
    );
    for (const [s, target] of config.targets.entries()) {
      best.set(
        `${target}|${h}`,
        bestOf(config, target, h, runs[s]!, sarima.runs.get(target)?.get(h)),
      );
    }
    log.info("offline walk-forward h={h} done", { h });
  }
  return { best, fits: sarima.fits, failedFits: sarima.failedFits };
}

/** Runs the live replay on a private broker, then the offline `best`, and scores both. */
export async function benchParity(o: ParityOptions): Promise<ParityResult> {
  const t0 = performance.now();
  const config = await loadConfig(new URL("forecast.json", CONFIG_DIR), ForecastConfigSchema);
  const utcOffsetMin = offsetMinutes(config.utcOffset);
  const rows = await Array.fromAsync(readUciFile(o.input, { utcOffset: config.utcOffset }));
  const series = toHourlySeries(rows);
  const { testFrom, testTo } = evaluationWindow(series, config);
  const testFromMs = series.startMs + testFrom * HOUR_MS;
  const testEndMs = series.startMs + (testTo + 1) * HOUR_MS;
  const trainRows = rows.filter((r) => r.epochMs < testFromMs).length;

  const served = await servedRule(config);
  const { live, sets } = await runLive({
    ...o,
    trainRows,
    testFromMs,
    testEndMs,
    utcOffsetMin,
    served,
  });
  const liveByKey = liveForecasts(sets, series);

  // 4. offline: evaluate's best, refit every week
  log.info("Parity: offline best (evaluate's walk-forward: about a minute)");
  const o0 = performance.now();
  const offline = await offlineBest(series, config);
  const offlineSeconds = (performance.now() - o0) / 1000;

  const evaluation = o.evaluationPath === null ? null : await readEvaluation(o.evaluationPath);
  const scores = new Scores(
    testFrom,
    testFrom + config.walkForward.refitEveryH,
    evaluation,
    live,
    config.conformal.alpha,
  );
  for (const h of config.horizonsH) {
    for (const target of config.targets) {
      const y = series.columns[fieldOf(target)];
      const best = offline.best.get(`${target}|${h}`)!;
      // evaluate's served intervals around the same `best` (lib/offline/conditional_intervals.ts)
      const intervals =
        conditionalCoverage(y, best, h, config, { testFrom, testTo }, series.startMs, {
          target,
          isIn: () => false,
        })?.intervals ?? null;
      scores.add(target, h, testTo, y, { best, intervals }, liveByKey);
    }
  }
  live.model_versions = [...scores.versions].sort();
  const result = scores.rows;
  const relative = result.map((r) => ({
    target: r.target,
    horizon_h: r.horizon_h,
    live_vs_offline: r.live_mae / r.offline_mae - 1,
  }));
  return {
    rows: result,
    relative_difference: relative,
    max_abs_relative_difference: Math.max(...relative.map((r) => Math.abs(r.live_vs_offline))),
    first_block: scores.firstBlock,
    test_window: config.testWindow,
    live,
    offline: {
      protocol:
        `evaluate's best: ridge/trees refit every ${config.walkForward.refitEveryH} h on ${config.walkForward.trainWindowH} h, SARIMA refit as often on ${config.sarima.windowH} h`,
      sarima_fits: offline.fits,
      sarima_failed_fits: offline.failedFits,
      seconds: Math.round(offlineSeconds * 10) / 10,
    },
    evaluation_check: { path: o.evaluationPath, rows: scores.check },
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
  };
}

/** A live forecast as the scoring needs it. */
interface LiveForecast {
  value: number | null;
  baseline: boolean;
  sarima: boolean;
  version: string;
  /** The regime-aware interval's bounds; NaN: none (or another kind). */
  lower: number;
  upper: number;
}

/** The live forecasts of the committed sets by `reading hour|target|horizon`. */
function liveForecasts(sets: Uint8Array[], series: HourlySeries): Map<string, LiveForecast> {
  const liveByKey = new Map<string, LiveForecast>();
  const decoder = new TextDecoder();
  for (const bytes of sets) {
    for (const f of forecastRows(ForecastSetSchema.parse(JSON.parse(decoder.decode(bytes))))) {
      const t = Math.round((Date.parse(f.ts) - series.startMs) / HOUR_MS);
      liveByKey.set(`${t}|${f.target}|${f.horizon_h}`, {
        value: f.value,
        baseline: f.baseline,
        sarima: f.model_version.includes("+sarima"),
        version: f.model_version,
        lower: f.interval?.source === "evaluation" ? f.interval.lower : NaN,
        upper: f.interval?.source === "evaluation" ? f.interval.upper : NaN,
      });
    }
  }
  return liveByKey;
}

/**
 * Live and offline scored on the same target hours (in the test window, target
 * observed, a live and an offline forecast for it), one target and horizon at a
 * time; the offline MAE over every test hour beside evaluation.json's `best`.
 */
class Scores {
  readonly rows: ParityRow[] = [];
  readonly check: ParityResult["evaluation_check"]["rows"] = [];
  readonly firstBlock = { forecasts: 0, max_relative_difference: 0 };
  /** The training times (`@...`) of the live models scored. */
  readonly versions = new Set<string>();

  constructor(
    readonly testFrom: number,
    readonly firstBlockEnd: number,
    readonly evaluation: EvaluationReport | null,
    /** Its counts of baseline and SARIMA forecasts scored grow here. */
    readonly live: ParityResult["live"],
    /** Miss rate of the intervals: 0.1 for 90 %. */
    readonly alpha: number,
  ) {}

  /**
   * Scores `target` at horizon `h`: observations `y`, offline forecasts `best` and their
   * intervals by hour (null: evaluate serves none).
   */
  add(
    target: string,
    h: number,
    testTo: number,
    y: ArrayLike<number>,
    offline: {
      best: Float64Array;
      intervals: { lower: Float64Array; upper: Float64Array } | null;
    },
    liveByKey: Map<string, LiveForecast>,
  ): void {
    const { testFrom, firstBlock, live } = this;
    const { best, intervals } = offline;
    const cover = new IntervalTally(this.alpha), offlineCover = new IntervalTally(this.alpha);
    let n = 0, liveSum = 0, offlineSum = 0, allN = 0, allSum = 0;
    for (let tau = testFrom; tau <= testTo; tau++) {
      const t = tau - h;
      const actual = y[tau]!;
      const off = best[t]!;
      if (t < 0 || actual !== actual || off !== off) continue;
      allN++;
      allSum += Math.abs(off - actual);
      const l = liveByKey.get(`${t}|${target}|${h}`);
      if (l === undefined || l.value === null) continue;
      n++;
      liveSum += Math.abs(l.value - actual);
      offlineSum += Math.abs(off - actual);
      if (l.lower === l.lower && intervals !== null && intervals.lower[t] === intervals.lower[t]) {
        cover.add(l.lower, l.upper, actual);
        offlineCover.add(intervals.lower[t]!, intervals.upper[t]!, actual);
      }
      if (t >= testFrom && t < this.firstBlockEnd) {
        firstBlock.forecasts++;
        firstBlock.max_relative_difference = Math.max(
          firstBlock.max_relative_difference,
          Math.abs(l.value - off) / Math.max(1, Math.abs(off)),
        );
      }
      if (l.baseline) live.scored_baseline++;
      if (l.sarima) live.scored_with_sarima++;
      const at = /@([^+]+)/.exec(l.version)?.[1];
      if (at !== undefined && !this.versions.has(at)) this.versions.add(at);
    }
    this.rows.push({
      target,
      horizon_h: h,
      n,
      live_mae: liveSum / n,
      offline_mae: offlineSum / n,
      interval_n: cover.n,
      live_coverage: cover.coverage,
      offline_coverage: offlineCover.coverage,
      live_interval_score: cover.score,
      offline_interval_score: offlineCover.score,
    });
    const row = this.evaluation?.results.find((r) =>
      r.target === target && r.horizon_h === h && r.model === "best"
    );
    this.check.push({
      target,
      horizon_h: h,
      n: allN,
      mae: allSum / allN,
      evaluation_n: row?.n ?? null,
      evaluation_mae: row?.mae ?? null,
    });
  }
}

/** Coverage and mean interval score of (1 - alpha) intervals, one observation at a time. */
class IntervalTally {
  n = 0;
  #inside = 0;
  #score = 0;

  constructor(readonly alpha: number) {}

  add(lower: number, upper: number, y: number): void {
    this.n++;
    if (y >= lower && y <= upper) this.#inside++;
    this.#score += intervalScore([lower], [upper], [y], this.alpha);
  }

  get coverage(): number | null {
    return this.n > 0 ? this.#inside / this.n : null;
  }

  get score(): number | null {
    return this.n > 0 ? this.#score / this.n : null;
  }
}

/** The early-warning rule the forecaster will serve: from the evaluation it reads, as it does. */
async function servedRule(config: ForecastConfig): Promise<ServedWarningRule | null> {
  const path = await servedEvaluationPath();
  if (path === null) return null;
  try {
    return servedWarningOf(await readEvaluation(path), config);
  } catch {
    return null; // the forecaster then warns from the intervals only, and logs why
  }
}
