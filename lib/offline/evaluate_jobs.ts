/**
 * The heavy, independent parts of `evaluateForecasts` as jobs: the ridge/trees
 * walk-forward of one horizon, and the virtual sensor. `deno task evaluate` runs
 * them in workers, one per core (./evaluate_workers.ts), and hands the results
 * to `evaluateForecasts` (`precomputed`), which otherwise runs them itself, in
 * order, with the same function: the numbers are the same either way.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { buildFeatureMatrix, fieldOf, type HourlySeries } from "../features/mod.ts";
import type { NowcastRow } from "../records/evaluation.ts";
import { type ForecastConfig, offsetMinutes } from "./forecast_config.ts";
import { evaluationWindow, walkForwardSettings } from "./evaluation_window.ts";
import { evaluateNowcasts } from "./nowcast.ts";
import { walkForward, type WalkForwardResult } from "./walk_forward.ts";

/** One job: a horizon's walk-forward, or the virtual sensor (`"nowcast"`). */
export type EvaluateJob = number | "nowcast";

/** What a job gives, with the milliseconds it took. */
export type EvaluateJobResult =
  | { job: number; runs: WalkForwardResult[]; ms: number }
  | { job: "nowcast"; nowcast: { rows: NowcastRow[]; refits: number }; ms: number };

/** The jobs of `config`, the virtual sensor last. */
export function evaluateJobs(config: ForecastConfig): EvaluateJob[] {
  return [...config.horizonsH, "nowcast"];
}

/** Runs one job of the evaluation of `config` on `series`; `clock` in milliseconds. */
export function runEvaluateJob(
  series: HourlySeries,
  config: ForecastConfig,
  job: EvaluateJob,
  clock: () => number = () => 0,
): EvaluateJobResult {
  const t0 = clock();
  const utcOffsetMin = offsetMinutes(config.utcOffset);
  const window = evaluationWindow(series, config);
  const wf = walkForwardSettings(config, window);
  if (job === "nowcast") {
    const nowcast = evaluateNowcasts(
      series,
      buildFeatureMatrix(series, { mode: "nowcast", horizonH: 0, utcOffsetMin }),
      config,
      window.testFrom,
      window.testTo,
      wf,
    );
    return { job, nowcast, ms: clock() - t0 };
  }
  const features = buildFeatureMatrix(series, { mode: "forecast", horizonH: job, utcOffsetMin });
  const runs = walkForward(
    features,
    config.targets.map((target) => series.columns[fieldOf(target)]),
    { ...wf, horizonH: job, fromTarget: window.warmFrom, toTarget: window.testTo },
  );
  return { job, runs, ms: clock() - t0 };
}

/** The results of every job, as `evaluateForecasts` takes them. */
export interface PrecomputedJobs {
  readonly walkForward: ReadonlyMap<number, { runs: WalkForwardResult[]; ms: number }>;
  readonly nowcast: { rows: NowcastRow[]; refits: number; ms: number } | undefined;
  /** Wall time of all jobs, and the number of workers that ran them. */
  readonly wallMs: number;
  readonly workers: number;
}

/** Collects job results into {@linkcode PrecomputedJobs}. */
export function collectJobs(
  results: readonly EvaluateJobResult[],
  wallMs: number,
  workers: number,
): PrecomputedJobs {
  const walk = new Map<number, { runs: WalkForwardResult[]; ms: number }>();
  let nowcast: PrecomputedJobs["nowcast"];
  for (const r of results) {
    if (r.job === "nowcast") nowcast = { ...r.nowcast, ms: r.ms };
    else walk.set(r.job, { runs: r.runs, ms: r.ms });
  }
  return { walkForward: walk, nowcast, wallMs, workers };
}
