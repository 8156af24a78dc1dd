/**
 * Runs the evaluation's jobs (./evaluate_jobs.ts) in module workers, at most
 * one per core: on this 2-core machine the walk-forwards of three horizons and
 * the virtual sensor take about 2 minutes in a row and about half that on two.
 * Each worker receives the series and the config, and answers one job at a time.
 *
 * @module
 */
import type { HourlySeries } from "../features/mod.ts";
import type { ForecastConfig } from "./forecast_config.ts";
import {
  collectJobs,
  type EvaluateJob,
  type EvaluateJobResult,
  evaluateJobs,
  type PrecomputedJobs,
} from "./evaluate_jobs.ts";

/** A job for a worker. */
export interface WorkerJob {
  series: HourlySeries;
  config: ForecastConfig;
  job: EvaluateJob;
}

/** A worker's answer. */
export type WorkerAnswer = { ok: true; result: EvaluateJobResult } | { ok: false; message: string };

/** Runs one job in `worker`. */
function ask(worker: Worker, job: WorkerJob): Promise<EvaluateJobResult> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerAnswer>) => {
      const answer = event.data;
      if (answer.ok) resolve(answer.result);
      else reject(new Error(`evaluate worker, job ${job.job}: ${answer.message}`));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(`evaluate worker, job ${job.job}: ${event.message}`));
    };
    worker.postMessage(job);
  });
}

/**
 * The jobs of `config` on `series` in `workers` workers (default: one per core, at most one per
 * job), largest first; `onJob` is called as each one ends.
 */
export async function runJobsInWorkers(
  series: HourlySeries,
  config: ForecastConfig,
  options: { workers?: number; onJob?: (result: EvaluateJobResult) => void } = {},
): Promise<PrecomputedJobs> {
  const t0 = performance.now();
  const queue = evaluateJobs(config);
  const count = Math.max(
    1,
    Math.min(options.workers ?? navigator.hardwareConcurrency ?? 1, queue.length),
  );
  const results: EvaluateJobResult[] = [];
  const workers: Worker[] = [];
  try {
    await Promise.all(Array.from({ length: count }, async () => {
      const worker = new Worker(new URL("./evaluate_worker.ts", import.meta.url).href, {
        type: "module",
      });
      workers.push(worker);
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        const result = await ask(worker, { series, config, job });
        results.push(result);
        options.onJob?.(result);
      }
    }));
  } finally {
    for (const worker of workers) worker.terminate();
  }
  return collectJobs(results, performance.now() - t0, count);
}
