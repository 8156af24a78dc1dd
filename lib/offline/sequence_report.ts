/**
 * `docs/reports/sequence.json` (`deno task sequence`): the GRU's scores on the validation and the
 * test windows, in the evaluation's metrics, with its cost and the tfjs backend comparison. One
 * schema, used by the tool that writes it and the docs test that reads it.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { z } from "zod";
import { fieldOf, type HourlySeries } from "../features/mod.ts";
import { lastObserved, seasonalNaiveForecast } from "../models/mod.ts";
import { naiveScale } from "../scoring/mod.ts";
import type { ForecastConfig } from "./forecast_config.ts";
import { type EvaluationWindow, seriesIndex } from "./evaluate.ts";
import { scoreForecasts } from "./score.ts";
import type { SequenceRun } from "./sequence.ts";

const row = z.strictObject({
  target: z.string(),
  horizon_h: z.number().int(),
  model: z.literal("gru"),
  n: z.number().int(),
  mae: z.number(),
  rmse: z.number(),
  mase: z.number(),
  skill: z.number(),
  skill_ci95: z.tuple([z.number(), z.number()]).nullable(),
  interval_coverage: z.number(),
});

/** One tfjs backend on the fixed workload of `deno task sequence --backends`. */
export const BackendTimingSchema = z.strictObject({
  backend: z.enum(["wasm", "cpu"]),
  fit_seconds: z.number(),
  predict_seconds: z.number(),
});

/** Schema of docs/reports/sequence.json. */
export const SequenceReportSchema = z.strictObject({
  command: z.string(),
  settings: z.record(z.string(), z.unknown()),
  schedule: z.string(),
  cost: z.strictObject({
    fits: z.number().int(),
    fit_seconds: z.number(),
    predict_seconds: z.number(),
    /** True when the forecasts came from the cache (the seconds are those of the run that wrote it). */
    cached: z.boolean(),
    note: z.string(),
  }),
  backends: z.strictObject({
    workload: z.string(),
    timings: z.array(BackendTimingSchema),
  }).nullable(),
  validation: z.array(row),
  test: z.array(row),
  /** Mean skill over the targets, per horizon (keys "1", "6", "24"). */
  mean_skill: z.strictObject({
    validation: z.record(z.string(), z.number()),
    test: z.record(z.string(), z.number()),
  }),
  in_best: z.boolean(),
  in_best_reason: z.string(),
});

/** docs/reports/sequence.json. */
export type SequenceReport = z.infer<typeof SequenceReportSchema>;

/** The GRU's rows on one window (first and last target index), scored like `evaluate`'s. */
export function sequenceRows(
  series: HourlySeries,
  config: ForecastConfig,
  run: SequenceRun,
  from: number,
  to: number,
): SequenceReport["test"] {
  const rows: SequenceReport["test"] = [];
  for (const h of config.horizonsH) {
    for (const target of config.targets) {
      const y = series.columns[fieldOf(target)];
      const gru = run.forecasts.get(target)?.get(h);
      if (gru === undefined) continue;
      const naive = (period: number | null) =>
        Float64Array.from(
          y,
          (_, t) => period === null ? lastObserved(y, t) : seasonalNaiveForecast(y, t, h, period),
        );
      const scored = scoreForecasts(y, {
        persistence: naive(null),
        seasonal_naive_24h: naive(24),
        gru,
      }, {
        target,
        horizonH: h,
        testFrom: from,
        testTo: to,
        scale: naiveScale(y, 24, 0, from),
        bootstrap: {
          resamples: config.bootstrap.resamples,
          blockLength: config.bootstrap.blockLengthH,
          seed: config.bootstrap.seed,
          level: config.bootstrap.level,
        },
        conformal: config.conformal,
        tested: ["gru"],
      });
      const r = scored.find((s) => s.model === "gru")!;
      rows.push({
        target,
        horizon_h: h,
        model: "gru",
        n: r.n,
        mae: r.mae,
        rmse: r.rmse,
        mase: r.mase,
        skill: r.skill,
        skill_ci95: r.skill_ci95,
        interval_coverage: r.interval_coverage,
      });
    }
  }
  return rows;
}

/** Mean skill per horizon. */
export function meanSkill(rows: SequenceReport["test"]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of new Set(rows.map((r) => r.horizon_h))) {
    const at = rows.filter((r) => r.horizon_h === h);
    out[String(h)] = at.reduce((a, r) => a + r.skill, 0) / at.length;
  }
  return out;
}

/** The validation window of `config` as indices, clipped to the series. */
export function validationSpan(
  series: HourlySeries,
  config: ForecastConfig,
  window: EvaluationWindow,
): { from: number; to: number } {
  return {
    from: Math.max(0, seriesIndex(series, config.validationWindow.from)),
    to: Math.min(window.testFrom - 1, seriesIndex(series, config.validationWindow.to)),
  };
}
