/**
 * The final report's own figures, from the evaluation JSON and the monitoring
 * snapshot (the analysis figures come from `analysisFigures`).
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import type { Figure } from "../render/mod.ts";
import type { EvaluationReport } from "../offline/evaluate.ts";
import { GOALS } from "../offline/report.ts";
import type { MonitorSnapshot } from "../monitoring/mod.ts";
import { monitorRows } from "./final_inputs.ts";

const MODELS = ["ridge", "gbt", "sarima", "best"];

/** Skill of each model against the better naive baseline, per target and horizon, with the goals. */
export function skillFigure(r: EvaluationReport): Figure | null {
  const rows = r.results.filter((x) => MODELS.includes(x.model) && Number.isFinite(x.skill)).map(
    (x) => ({
      target: x.target,
      horizon: `${x.horizon_h} h ahead`,
      h: x.horizon_h,
      model: x.model,
      skill: x.skill,
      lo: x.skill_ci95?.[0] ?? x.skill,
      hi: x.skill_ci95?.[1] ?? x.skill,
      goal: GOALS.meanSkill[x.horizon_h] ?? null,
    }),
  );
  if (rows.length === 0) return null;
  const models = MODELS.filter((m) => rows.some((x) => x.model === m));
  const targets = [...new Set(rows.map((x) => x.target))];
  const x = {
    field: "target",
    type: "nominal",
    sort: targets,
    title: null,
    axis: { labelAngle: 0 },
  };
  const xOffset = { field: "model", sort: models };
  return {
    id: "skill",
    title: "Skill against the better naive baseline on the test window",
    caption:
      `Skill = 1 − MAE(model) / min(MAE persistence, MAE seasonal naive 24 h); bars per model, whiskers: 95 % bootstrap interval of the deployed blend (best); dashed: the goal for the mean skill over the four pollutants at that horizon.`,
    spec: {
      data: { values: rows },
      facet: { column: { field: "horizon", title: null, sort: { field: "h", op: "min" } } },
      spec: {
        width: 190,
        height: 130,
        layer: [
          {
            mark: "bar",
            encoding: {
              x,
              xOffset,
              y: { field: "skill", type: "quantitative", title: "skill" },
              color: { field: "model", type: "nominal", sort: models, title: "model" },
            },
          },
          {
            transform: [{ filter: "datum.model === 'best'" }],
            mark: { type: "rule", color: "#222" },
            encoding: {
              x,
              xOffset,
              y: { field: "lo", type: "quantitative" },
              y2: { field: "hi" },
            },
          },
          {
            transform: [{ filter: "datum.goal !== null" }],
            mark: { type: "rule", strokeDash: [4, 3], color: "#c00" },
            encoding: { y: { aggregate: "max", field: "goal", type: "quantitative" } },
          },
        ],
      },
      resolve: { scale: { y: "shared" } },
    },
  };
}

/** Live MAE over offline MAE per target and horizon, with the alert thresholds. */
export function monitorFigure(m: MonitorSnapshot): Figure | null {
  const rows = monitorRows(m).filter((r) => Number.isFinite(r.ratio)).map((r) => ({
    target: r.target,
    horizon: `${r.horizon} h`,
    ratio: r.ratio,
  }));
  if (rows.length === 0) return null;
  const horizons = [...new Set(rows.map((r) => r.horizon))];
  const targets = [...new Set(rows.map((r) => r.target))];
  const s = m.settings;
  const rule = (y: number, color: string) => ({
    mark: { type: "rule", strokeDash: [4, 3], color },
    encoding: { y: { datum: y } },
  });
  return {
    id: "monitor",
    title: "Live error against the offline evaluation",
    caption:
      `Live MAE (rolling ${s.window_forecasts} forecasts, mean over stations) divided by the offline MAE, per target and horizon; dashed: the drift alert's warning (${s.mae_ratio_warning}×) and critical (${s.mae_ratio_critical}×) levels.`,
    spec: {
      width: 420,
      height: 120,
      data: { values: rows },
      layer: [
        {
          mark: "bar",
          encoding: {
            x: {
              field: "target",
              type: "nominal",
              sort: targets,
              title: null,
              axis: { labelAngle: 0 },
            },
            xOffset: { field: "horizon", sort: horizons },
            y: { field: "ratio", type: "quantitative", title: "live / offline MAE" },
            color: { field: "horizon", type: "nominal", sort: horizons, title: "horizon" },
          },
        },
        rule(s.mae_ratio_warning, "#e0a000"),
        rule(s.mae_ratio_critical, "#c00"),
      ],
    },
  };
}
