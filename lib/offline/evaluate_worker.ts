/**
 * A worker of ./evaluate_workers.ts: runs each job it is sent with
 * `runEvaluateJob` and answers with the result (its arrays transferred).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { runEvaluateJob } from "./evaluate_jobs.ts";
import type { WorkerAnswer, WorkerJob } from "./evaluate_workers.ts";

self.onmessage = (event: MessageEvent<WorkerJob>) => {
  const { series, config, job } = event.data;
  try {
    const result = runEvaluateJob(series, config, job, () => performance.now());
    const transfer: ArrayBuffer[] = result.job === "nowcast"
      ? []
      : result.runs.flatMap((r) =>
        [r.ridge, r.gbt, ...(r.change === undefined ? [] : [r.change.ridge, r.change.gbt])]
          .map((a) => a.buffer as ArrayBuffer)
      );
    self.postMessage({ ok: true, result } satisfies WorkerAnswer, { transfer });
  } catch (error) {
    self.postMessage({ ok: false, message: String(error) } satisfies WorkerAnswer);
  }
};
