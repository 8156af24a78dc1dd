/**
 * Section 4 of the final report: model performance against the naive
 * baselines and the goals, from the evaluation JSON.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import type { EvaluationReport } from "../offline/evaluate.ts";
import type { ResultRow } from "../offline/score.ts";
import { GOALS } from "../offline/report.ts";
import { fGoal } from "../offline/report_format.ts";
import { htmlTable } from "../render/html.ts";
import { note } from "./final_inputs.ts";
import { dateOf, fmt } from "../render/markdown.ts";
import { LAGS_H, WINDOWS_H } from "../features/mod.ts";

const pv = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

/** Section 4's body: the goals, the skill figure (`figure`, HTML or ""), the table of the deployed blend. */
export function modelSection(
  ev: { path: string; report: EvaluationReport | null },
  figure: string,
): string {
  const r = ev.report;
  if (r === null) {
    return note(
      `Not available: this section needs the evaluation JSON (${ev.path}), written by \`deno task evaluate --json ${ev.path}\`. Pass another file with --evaluation PATH.`,
    );
  }
  const best = r.results.filter((x) => x.model === "best");
  const horizons = [...new Set(best.map((x) => x.horizon_h))];
  const w = r.warning_no2_200;
  const goals = goalRows(r, best, horizons);
  const benzene = r.nowcast.find((x) => x.target === "C6H6(GT)");
  const at = (target: string, h: number) =>
    best.find((x) => x.target === target && x.horizon_h === h);
  const no2Short = at("NO2(GT)", Math.min(...horizons)),
    no2Long = at("NO2(GT)", Math.max(...horizons));
  return [
    `<h3>Features</h3><p>Every feature at hour t uses only what was known at t (a test fails on any look-ahead). Per pollutant: the values ${
      LAGS_H.join(", ")
    } hours back (the ACF and PACF peaks at 1–2 h and around 24 h, plus a week), the same hour one day and one week earlier, rolling means and standard deviations over ${
      WINDOWS_H.join(", ")
    } hours (the level and how unsettled it is), and the cheap sensors' current values (they see the change the analyser has not reported yet). Calendar: hour and weekday as sine/cosine pairs (23:00 is next to 00:00), weekend and holiday flags, the meteorological season. Temperature and humidity enter as they were at t. Business reason for each: docs/forecasting.md.</p>`,
    `<h3>Evaluation</h3><p>Walk-forward on the fixed test window ${dateOf(r.test_window.from)} to ${
      dateOf(r.test_window.to)
    }: ${r.protocol.refits} refits, every ${r.protocol.refit_every_h} h on the previous ${r.protocol.train_window_h} h, scored on observed targets only. The model (<code>best</code>) blends ridge regression and gradient-boosted trees on shared causal features (lags, rolling means, calendar, cheap sensors) with SARIMA. Significance: Diebold-Mariano (Newey-West variance, automatic lags, Holm-adjusted across the target-horizon pairs) against the better naive baseline; 95 % bootstrap intervals on skill.</p>`,
    htmlTable(["goal", "required", "measured", ""], goals),
    no2Paragraph(w, no2Short, no2Long),
    figure,
    bestTable(r, best),
    benzene === undefined
      ? ""
      : `<p>The benzene virtual sensor (MAE ${
        fmt(benzene.mae, 3)
      } over ${benzene.n} hours) proves nothing: in this file C6H6(GT) is an almost exact function of the PT08.S2 sensor, so it has no goal.</p>`,
  ].join("\n");
}

/** The goals table's rows: mean and lowest skill, coverage, virtual sensor MAEs, the warning's F1. */
function goalRows(r: EvaluationReport, best: ResultRow[], horizons: number[]): string[][] {
  const means = horizons.map((h) => {
    const at = best.filter((x) => x.horizon_h === h);
    const mean = at.reduce((s, x) => s + x.skill, 0) / at.length;
    const goal = GOALS.meanSkill[h];
    return [
      `mean skill at ${h} h`,
      goal === undefined ? "none" : `≥ ${goal}`,
      fGoal(mean, goal),
      goal === undefined ? "" : mean >= goal ? "met" : "missed",
    ];
  });
  const low = best.reduce((a, b) => (b.skill < a.skill ? b : a));
  const cov = best.map((x) => x.interval_coverage);
  const [c0, c1] = GOALS.coverage;
  const w = r.warning_no2_200;
  return [
    ...means,
    [
      `lowest skill (${low.target}, ${low.horizon_h} h)`,
      `≥ ${GOALS.minSkill}`,
      fGoal(low.skill, GOALS.minSkill),
      low.skill >= GOALS.minSkill ? "met" : "missed",
    ],
    [
      "90 % interval coverage",
      `${fmt(100 * c0, 0)}–${fmt(100 * c1, 0)} %`,
      `${fmt(100 * Math.min(...cov), 1)}–${fmt(100 * Math.max(...cov), 1)} %`,
      cov.every((c) => c >= c0 && c <= c1) ? "met" : "missed",
    ],
    ...r.nowcast.filter((x) => GOALS.nowcastMae[x.target] !== undefined).map((x) => [
      `virtual sensor ${x.target} MAE`,
      `≤ ${GOALS.nowcastMae[x.target]}`,
      fmt(x.mae, 3),
      x.mae <= GOALS.nowcastMae[x.target]! ? "met" : "missed",
    ]),
    [
      "NO2 > 200 µg/m³ within 1 h: F1",
      `> persistence ${fmt(w.persistence_f1, 3)}`,
      `${fmt(w.f1, 3)} (P ${fmt(w.precision, 2)}, R ${fmt(w.recall, 2)})`,
      w.f1 > w.persistence_f1 ? "met" : "missed",
    ],
  ];
}

/** The NO2 forecasts and warnings in a health officer's terms ("" without both horizons). */
function no2Paragraph(
  w: EvaluationReport["warning_no2_200"],
  no2Short: ResultRow | undefined,
  no2Long: ResultRow | undefined,
): string {
  const byLead = w.by_lead_h ?? [];
  const episodes = w.episodes;
  return no2Short === undefined || no2Long === undefined
    ? ""
    : `<p>In a health officer's terms: a ${no2Short.horizon_h}-hour NO2 forecast is off by ${
      fmt(no2Short.mae, 1)
    } µg/m³ on average (RMSE ${fmt(no2Short.rmse, 1)}), ${
      fmt(100 * no2Short.mae / 200, 0)
    } % of the 200 µg/m³ limit; a ${no2Long.horizon_h}-hour one by ${
      fmt(no2Long.mae, 1)
    } µg/m³. Of the ${w.events} hours in the test window with NO2 above 200 µg/m³, ${
      fmt(100 * w.recall, 0)
    } % were warned of an hour ahead and ${
      fmt(100 * w.precision, 0)
    } % of the warnings were followed by an exceedance (persistence: ${
      fmt(100 * w.persistence_recall, 0)
    } % and ${fmt(100 * w.persistence_precision, 0)} %)${
      byLead.length === 0
        ? ""
        : `; ${
          byLead.filter((b) => b.lead_h > 1).map((b) =>
            `${b.lead_h} h ahead ${fmt(100 * b.recall, 0)} % warned, ${
              fmt(100 * b.precision, 0)
            } % right`
          ).join("; ")
        }`
    }.${
      episodes === undefined
        ? ""
        : ` Counted by episode (consecutive exceedance hours): ${episodes.warned} of ${episodes.count} were warned of before their first hour${
          episodes.median_lead_h === null
            ? ""
            : `, with a median lead of ${episodes.median_lead_h} h (leads up to ${
              Math.max(...byLead.map((b) => b.lead_h))
            } h are scored)`
        }; persistence warned ${episodes.persistence_warned}.`
    }</p>`;
}

/** `best` per target and horizon against the naive baselines, with significance and coverage. */
function bestTable(r: EvaluationReport, best: ResultRow[]): string {
  const maeOf = (model: string, target: string, h: number) =>
    r.results.find((x) => x.model === model && x.target === target && x.horizon_h === h)?.mae ??
      NaN;
  return htmlTable(
    [
      "target",
      "horizon",
      "MAE best",
      "RMSE best",
      "MAE persistence",
      "MAE naive 24 h",
      "skill",
      "skill 95 % CI",
      "DM p",
      "90 % PI coverage",
    ],
    best.map((x) => [
      x.target,
      `${x.horizon_h} h`,
      fmt(x.mae, 3),
      fmt(x.rmse, 3),
      fmt(maeOf("persistence", x.target, x.horizon_h), 3),
      fmt(maeOf("seasonal_naive_24h", x.target, x.horizon_h), 3),
      fmt(x.skill, 3),
      x.skill_ci95 === null ? "" : `${fmt(x.skill_ci95[0], 3)} – ${fmt(x.skill_ci95[1], 3)}`,
      x.dm === null ? "" : pv(x.dm.p_value),
      fmt(100 * x.interval_coverage, 1) + " %",
    ]),
  );
}

/** How many pollutant-horizon pairs of `best` beat the better naive baseline at 5 % (DM). */
export function significant(r: EvaluationReport): string {
  const best = r.results.filter((x) => x.model === "best");
  // Holm-adjusted across the pairs when the file has it (evaluations before issue 17 do not)
  const p = (x: (typeof best)[number]) => x.dm?.p_value_holm ?? x.dm?.p_value ?? NaN;
  const n = best.filter((x) => p(x) < 0.05 && x.skill > 0).length;
  return `${n} of ${best.length} pollutant-horizon pairs better than it at the 5 % level (Diebold-Mariano, Holm-adjusted)`;
}

/** A mean skill for the summary: 2 decimals, more when 2 would print its goal while it is not the goal. */
export function skillText(v: number, h: number): string {
  const goal = GOALS.meanSkill[h];
  return goal === undefined || Number(fmt(v, 2)) !== goal || v === goal
    ? fmt(v, 2)
    : fGoal(v, goal);
}
