/**
 * The offline expectation the live errors are compared with: the MAE of the
 * deployed model (`best`) and of the baseline (`persistence`) per target and
 * horizon, from the `results` of `var/evaluation.json` (`deno task evaluate`).
 *
 * @module
 */
import type { ForecastTarget } from "../records/forecast.ts";
import { keyOf, KEYS, MONITORED_HORIZONS, MONITORED_TARGETS } from "./targets.ts";

/** Offline MAE of one target and horizon; null where the evaluation has none. */
export interface ExpectedError {
  /** Target column, e.g. `CO(GT)`. */
  target: ForecastTarget;
  /** Horizon, hours. */
  horizon_h: number;
  /** MAE of the model rows (`expected.model`, default `best`). */
  model_mae: number | null;
  /** Forecasts the model MAE was computed on. */
  model_n: number | null;
  /** MAE of the baseline rows (`expected.baseline`, default `persistence`). */
  baseline_mae: number | null;
  /** Forecasts the baseline MAE was computed on. */
  baseline_n: number | null;
}

/** The expectation of every monitored target and horizon, with what was wrong in the input. */
export interface ExpectedErrors {
  /** Model name whose rows give `model_mae`. */
  model: string;
  /** Model name whose rows give `baseline_mae`. */
  baseline: string;
  /** One entry per target and horizon, in `MONITORED_TARGETS` x `MONITORED_HORIZONS` order. */
  entries: ExpectedError[];
  /** Problems found (not fatal): a missing `results`, malformed or duplicate rows. */
  problems: string[];
}

/** An expectation with nothing known (no evaluation yet). */
export function noExpectedErrors(model = "best", baseline = "persistence"): ExpectedErrors {
  const entries: ExpectedError[] = [];
  for (const { target } of MONITORED_TARGETS) {
    for (const h of MONITORED_HORIZONS) {
      entries.push({
        target,
        horizon_h: h,
        model_mae: null,
        model_n: null,
        baseline_mae: null,
        baseline_n: null,
      });
    }
  }
  return { model, baseline, entries, problems: [] };
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);
const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/**
 * Reads the expected MAE per target and horizon from parsed `var/evaluation.json`.
 * Tolerant: unknown fields are ignored, a row without a finite non-negative
 * `mae` is skipped, rows of other models, targets or horizons are ignored, and
 * anything wrong is listed in `problems` rather than thrown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExpectedErrors } from "./expected.ts";
 * const e = loadExpectedErrors({
 *   results: [{ target: "CO(GT)", horizon_h: 1, model: "best", mae: 0.39, n: 2148 }],
 * });
 * assert.equal(e.entries[0]!.model_mae, 0.39);
 * assert.equal(e.entries[0]!.baseline_mae, null);
 * ```
 */
export function loadExpectedErrors(
  evaluationJson: unknown,
  options: { model?: string; baseline?: string } = {},
): ExpectedErrors {
  const out = noExpectedErrors(options.model, options.baseline);
  const results = isRecord(evaluationJson) ? evaluationJson["results"] : undefined;
  if (!Array.isArray(results)) {
    out.problems.push("the evaluation has no `results` array; no offline expectation");
    return out;
  }
  const seen = new Uint8Array(KEYS * 2);
  results.forEach((row: unknown, i) => {
    if (!isRecord(row)) {
      out.problems.push(`results[${i}] is not an object`);
      return;
    }
    const { model, target, horizon_h: h, mae, n } = row;
    const which = model === out.model ? 0 : model === out.baseline ? 1 : -1;
    if (which < 0) return;
    const key = typeof target === "string" && finite(h) ? keyOf(target, h) : -1;
    if (key < 0) return;
    if (!finite(mae) || mae < 0) {
      out.problems.push(`results[${i}] (${target} h=${h} ${model}) has no valid mae`);
      return;
    }
    if (seen[key * 2 + which] === 1) {
      out.problems.push(`results[${i}] repeats ${target} h=${h} ${model}; the first row is kept`);
      return;
    }
    seen[key * 2 + which] = 1;
    const entry = out.entries[key]!;
    const count = finite(n) ? n : null;
    if (which === 0) {
      entry.model_mae = mae;
      entry.model_n = count;
    } else {
      entry.baseline_mae = mae;
      entry.baseline_n = count;
    }
  });
  return out;
}
