/**
 * The sections of the model report (./report.ts) that are tables of the
 * evaluation: the scores of every forecast, the virtual sensor, coverage by
 * regime and the NO2 early warning.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import type { EvaluationReport } from "./evaluate.ts";
import { ci, f, markdownTable, pv, wrapParagraph } from "./report_format.ts";

/** The score table of every target, horizon and model, with how to read it. */
export function forecastsSection(report: EvaluationReport): string[] {
  const results = report.results.map((r) => [
    r.target,
    String(r.horizon_h),
    r.detail === undefined ? r.model : `${r.model} (${r.detail})`,
    String(r.n),
    f(r.mae),
    f(r.rmse),
    f(r.mase),
    `${f(r.skill)}${ci(r.skill_ci95)}`,
    `${f(r.skill_vs_persistence)}${ci(r.skill_vs_persistence_ci95)}`,
    `${f(r.skill_vs_seasonal_naive_24h)}${ci(r.skill_vs_seasonal_naive_24h_ci95)}`,
    r.dm === null
      ? ""
      : `${f(r.dm.statistic, 2)} (${pv(r.dm.p_value)}; Holm ${
        r.dm.p_value_holm === null ? "n/a" : pv(r.dm.p_value_holm)
      }; ${r.dm.lags} lags)`,
    f(r.interval_coverage),
    f(r.interval_mean_width),
    f(r.interval_score),
  ]);
  return [
    "## Forecasts",
    "",
    wrapParagraph(
      "skill = 1 - MAE / min(MAE persistence, MAE seasonal naive 24 h) on the same points, with a " +
        "moving-block bootstrap 95 % interval. DM: Diebold-Mariano statistic against the better " +
        "naive baseline (negative favours the model) with a Newey-West variance over an automatic " +
        "number of lags (Newey-West 1994, at least h - 1), its p-value, and that p-value " +
        "Holm-adjusted across the target-horizon pairs of the model. Coverage, width and interval " +
        "score (Gneiting-Raftery, lower is better): 90 % conformal intervals. MASE: " +
        `${report.protocol.mase_scale}.`,
    ),
    "",
    ...markdownTable(
      [
        "target",
        "h",
        "model",
        "n",
        "MAE",
        "RMSE",
        "MASE",
        "skill [95 % CI]",
        "vs persistence",
        "vs seasonal 24 h",
        "DM stat (p; Holm p; lags)",
        "coverage",
        "width",
        "interval score",
      ],
      [false, true, false, true, true, true, true, false, false, false, false, true, true, true],
      results,
    ),
  ];
}

/** The virtual sensor's table and its caveat about benzene. */
export function nowcastSection(report: EvaluationReport): string[] {
  return [
    "## Virtual sensor",
    "",
    wrapParagraph(
      "The reference value at t estimated from the cheap sensors at t and the reference values " +
        "up to t - 1, with the same walk-forward refits.",
    ),
    "",
    ...markdownTable(
      ["target", "n", "MAE", "RMSE", "ridge MAE", "trees MAE", "blend"],
      [false, true, true, true, true, true, false],
      report.nowcast.map((r) => [
        r.target,
        String(r.n),
        f(r.mae),
        f(r.rmse),
        f(r.ridge_mae),
        f(r.gbt_mae),
        r.detail,
      ]),
    ),
    "",
    wrapParagraph(
      "C6H6(GT) in this file is an almost exact function of PT08.S2(NMHC) (the benzene values " +
        "were apparently derived from that sensor), so a benzene virtual sensor proves nothing; " +
        "its row is shown only for completeness.",
    ),
  ];
}

/** Coverage by regime of `best`: one row per target and horizon, one column per regime. */
export function regimeSection(report: EvaluationReport): string[] {
  const regimes = [...new Set(report.coverage_by_regime.map((r) => r.regime))];
  const keys = [...new Set(report.coverage_by_regime.map((r) => `${r.target}|${r.horizon_h}`))];
  const thresholds = Object.entries(report.regime_thresholds)
    .map(([t, v]) => `${t} ${f(v, 1)}`).join(", ");
  return [
    wrapParagraph(
      "Coverage of `best`'s 90 % intervals by regime of the target hour (n in brackets). " +
        "high_pollution: above the 90th percentile of the target's values before the test " +
        `window (${thresholds}); rush_hour: weekdays at the local hours of \`regimes.rushHours\` ` +
        "in config/forecast.json; after_outage: the first hours after a run of missing target " +
        "values (`regimes` there too).",
    ),
    "",
    ...markdownTable(
      ["target", "h", ...regimes],
      [false, true, ...regimes.map(() => true)],
      keys.map((key) => {
        const [target, h] = key.split("|");
        const at = (regime: string) =>
          report.coverage_by_regime.find((r) =>
            r.target === target && String(r.horizon_h) === h && r.regime === regime
          );
        return [
          target!,
          h!,
          ...regimes.map((regime) => {
            const r = at(regime);
            return r === undefined ? "" : `${f(r.coverage)} (${r.n})`;
          }),
        ];
      }),
    ),
  ];
}

/** The NO2 warning at every lead against persistence, and the episodes' lead times. */
export function warningSection(report: EvaluationReport): string[] {
  const w = report.warning_no2_200;
  const e = w.episodes;
  const lead = (x: number | null) => (x === null ? "n/a" : `${x} h`);
  return [
    wrapParagraph(`NO2 above 200 ug/m3: ${w.rule}.`),
    "",
    ...markdownTable(
      [
        "lead",
        "rule",
        "cut-off",
        "precision",
        "recall",
        "F1",
        "persistence F1",
        "n",
        "exceedances",
      ],
      [true, false, true, true, true, true, true, true, true],
      w.by_lead_h.map((r) => [
        `${r.lead_h} h`,
        r.combination.replaceAll("_", " "),
        f(r.probability_cutoff, 2),
        f(r.precision),
        f(r.recall),
        f(r.f1),
        f(r.persistence_f1),
        String(r.n),
        String(r.events),
      ]),
    ),
    "",
    wrapParagraph(
      `${e.count} exceedance episodes in the test window; ${e.warned} were warned before their ` +
        `first hour (median lead ${lead(e.median_lead_h)}), persistence ${e.persistence_warned} ` +
        `(median lead ${lead(e.persistence_median_lead_h)}). The earlier rule (\`best\` ` +
        `${w.point_forecast_rule.lead_h} h forecast above 200): F1 ` +
        `${f(w.point_forecast_rule.f1)}.`,
    ),
  ];
}
