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
import { lastObserved, type SarimaEngine, seasonalNaiveForecast } from "../models/mod.ts";
import { mae, naiveScale } from "../scoring/mod.ts";
import type { ForecastConfig } from "./forecast_config.ts";
import { bestOf, type EvaluationWindow, seriesIndex } from "./evaluate.ts";
import { markdownTable, wrapParagraph } from "./report.ts";
import { scoreForecasts } from "./score.ts";
import type { SequenceRun } from "./sequence.ts";
import {
  naiveValidationMae,
  observedAhead,
  sarimaOnSpan,
  type TargetSpan,
  walkForwardOnSpan,
} from "./select.ts";

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
  /**
   * The blend search on validation: per target and horizon, the GRU weight g in
   * {@linkcode GRU_WEIGHTS} that minimises the validation MAE of (1 - g) best + g GRU, where best is
   * evaluate's blend (ridge/trees, then SARIMA at its weight) walked forward over the validation
   * window; null when not run.
   */
  validation_blend: z.array(z.strictObject({
    target: z.string(),
    horizon_h: z.number().int(),
    g: z.number(),
    skill_without: z.number(),
    skill_with: z.number(),
  })).nullable(),
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

/** GRU weights the validation blend search tries. */
export const GRU_WEIGHTS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/**
 * The GRU weight in `best` each target and horizon would get on validation: `best` (ridge/trees
 * with weekly refits, then SARIMA when `engine` is given, with the config's weights) and the GRU
 * forecasts over the validation window, (1 - g) best + g GRU for g in {@linkcode GRU_WEIGHTS}.
 */
export function validationBlend(
  series: HourlySeries,
  config: ForecastConfig,
  run: SequenceRun,
  span: TargetSpan,
  engine: SarimaEngine | undefined,
  onProgress?: (message: string) => void,
): NonNullable<SequenceReport["validation_blend"]> {
  const ys = config.targets.map((t) => series.columns[fieldOf(t)]);
  const sarima = engine === undefined ? undefined : sarimaOnSpan(engine, ys, config, span);
  onProgress?.("validation: sarima done");
  const out: NonNullable<SequenceReport["validation_blend"]> = [];
  for (const h of config.horizonsH) {
    const wf = walkForwardOnSpan(series, ys, config, h, span);
    config.targets.forEach((target, s) => {
      const y = ys[s]!;
      const obs = observedAhead(y, h, span);
      const best = bestOf(config, target, h, wf[s]!, sarima?.[s]?.get(h));
      const gru = run.forecasts.get(target)!.get(h)!;
      // score only where both exist, so every weight is judged on the same hours
      const both = Float64Array.from(
        obs,
        (v, i) => Number.isNaN(best[i]!) || Number.isNaN(gru[i]!) ? NaN : v,
      );
      const naive = naiveValidationMae(y, h, both);
      let chosen = { g: 0, m: Infinity };
      for (const g of GRU_WEIGHTS) {
        const m = mae(Float64Array.from(best, (b, i) => (1 - g) * b + g * gru[i]!), both);
        if (m < chosen.m) chosen = { g, m };
      }
      out.push({
        target,
        horizon_h: h,
        g: chosen.g,
        skill_without: 1 - mae(best, both) / naive,
        skill_with: 1 - chosen.m / naive,
      });
    });
    onProgress?.(`validation: blend at ${h} h`);
  }
  return out;
}

/** The slice of `docs/reports/evaluation.json` the comparison reads (other fields ignored). */
export const EvaluationSliceSchema = z.object({
  results: z.array(z.object({
    target: z.string(),
    horizon_h: z.number(),
    model: z.string(),
    skill: z.number(),
  })),
  sarima_seconds: z.number().nullable().optional(),
  timings_ms: z.record(z.string(), z.number()),
});

/** The parsed slice of the evaluation JSON. */
export type EvaluationSlice = z.infer<typeof EvaluationSliceSchema>;

/** Replaces the text between `<!-- sequence:start -->` and `<!-- sequence:end -->`. */
export function replaceSequenceBlock(doc: string, block: string): string {
  const start = "<!-- sequence:start -->", end = "<!-- sequence:end -->";
  const i = doc.indexOf(start), j = doc.indexOf(end);
  if (i < 0 || j < i) return doc;
  return `${doc.slice(0, i + start.length)}\n\n${block.trim()}\n\n${doc.slice(j)}`;
}

const f3 = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(3));

/** The test skill of `model` in the evaluation, or undefined when it has no such row. */
function evaluationSkill(
  evaluation: EvaluationSlice,
  model: string,
  target: string,
  h: number,
): number | undefined {
  return evaluation.results.find((r) =>
    r.model === model && r.target === target && r.horizon_h === h
  )?.skill;
}

/** The block table's rows: one per GRU test row, beside the evaluation's models at that target and horizon. */
function sequenceTableRows(report: SequenceReport, evaluation: EvaluationSlice): string[][] {
  return report.test.map((g) => {
    const skillOf = (model: string) =>
      f3(evaluationSkill(evaluation, model, g.target, g.horizon_h));
    const v = report.validation.find((r) => r.target === g.target && r.horizon_h === g.horizon_h);
    const b = report.validation_blend?.find((r) =>
      r.target === g.target && r.horizon_h === g.horizon_h
    );
    const ci = g.skill_ci95 === null
      ? ""
      : ` [${g.skill_ci95[0].toFixed(3)}, ${g.skill_ci95[1].toFixed(3)}]`;
    return [
      g.target,
      String(g.horizon_h),
      skillOf("ridge"),
      skillOf("gbt"),
      skillOf("sarima"),
      skillOf("best"),
      `${g.skill.toFixed(3)}${ci}`,
      g.interval_coverage.toFixed(3),
      f3(v?.skill),
      b === undefined ? "-" : b.g.toFixed(1),
      skillOf("best_gru"),
    ];
  });
}

/** The block's paragraph on what each model cost (and the tfjs backends, when compared). */
function costParagraph(report: SequenceReport, evaluation: EvaluationSlice): string {
  const wfMs = Object.entries(evaluation.timings_ms)
    .filter(([k]) => k.startsWith("walk_forward_h"))
    .reduce((a, [, v]) => a + v, 0);
  const backends = report.backends === null
    ? ""
    : report.backends.timings.map((t) =>
      `${t.backend} ${t.fit_seconds.toFixed(1)} s fit, ${t.predict_seconds.toFixed(2)} s predict`
    ).join("; ");
  return `Cost on the loaded 2-core machine: the GRU ${report.cost.fits} fits ` +
    `(${report.cost.fit_seconds.toFixed(1)} s fitting, ${
      report.cost.predict_seconds.toFixed(1)
    } s predicting, ${report.cost.cached ? "from the cache" : "fresh"}); ridge and trees ` +
    `${(wfMs / 1000).toFixed(1)} s of weekly walk-forward; SARIMA ${
      (evaluation.sarima_seconds ?? null) === null ? "-" : evaluation.sarima_seconds!.toFixed(1)
    } s.` + (backends === "" ? "" : ` tfjs backends on ${report.backends!.workload}: ${backends}.`);
}

/** The block's paragraph on mean skills: `best`, `best_gru` and the GRU, and whether it is in `best`. */
function skillParagraph(report: SequenceReport, evaluation: EvaluationSlice): string {
  const mean = (o: Record<string, number>) =>
    Object.entries(o).map(([h, x]) => `${x.toFixed(3)} at ${h} h`).join(", ");
  const meanOf = (model: string) => {
    const at = (h: number) => {
      const xs = evaluation.results.filter((r) => r.model === model && r.horizon_h === h);
      return xs.length === 0 ? "-" : (xs.reduce((t, r) => t + r.skill, 0) / xs.length).toFixed(3);
    };
    return Object.keys(report.mean_skill.test).map((h) => `${at(Number(h))} at ${h} h`).join(", ");
  };
  return `Mean test skill of \`best\`: ${meanOf("best")}; of \`best_gru\`: ${
    meanOf("best_gru")
  }. Mean GRU skill: ${mean(report.mean_skill.test)} on test; ` +
    `${mean(report.mean_skill.validation)} on validation. In \`best\`: ${
      report.in_best ? "yes" : "no"
    }, ${report.in_best_reason}.`;
}

/** The block's opening paragraph: where the numbers come from and what each column is. */
function introParagraph(report: SequenceReport): string {
  return `Generated by \`${report.command}\` from [reports/sequence.json](./reports/sequence.json) and ` +
    "[reports/evaluation.json](./reports/evaluation.json) (test skill against the better naive " +
    "baseline; the GRU's block-bootstrap 95 % interval, its 90 % interval coverage, its skill on " +
    "the validation window, the weight g validation gives it on top of `best`, and the test " +
    "skill of that blend, `best_gru` = (1 - g) best + g GRU, when the evaluation has it).";
}

/**
 * The docs/forecasting.md block: test skill of ridge, trees, SARIMA, `best` (from the evaluation)
 * and the GRU (from its report) per target and horizon, the GRU's validation skill and blend
 * weight, and what each costs.
 */
export function renderSequenceBlock(report: SequenceReport, evaluation: EvaluationSlice): string {
  return [
    wrapParagraph(introParagraph(report)),
    "",
    ...markdownTable(
      [
        "target",
        "h",
        "ridge",
        "trees",
        "SARIMA",
        "best",
        "GRU [95 % CI]",
        "GRU coverage",
        "GRU validation",
        "g",
        "best_gru",
      ],
      [false, true, true, true, true, true, false, true, true, true, true],
      sequenceTableRows(report, evaluation),
    ),
    "",
    wrapParagraph(costParagraph(report, evaluation)),
    "",
    wrapParagraph(skillParagraph(report, evaluation)),
  ].join("\n");
}
