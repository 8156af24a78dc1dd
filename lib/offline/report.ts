/**
 * The Markdown summary of an evaluation: every number comes from the
 * `EvaluationReport` that `deno task evaluate --json` writes.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import type { EvaluationReport } from "./evaluate.ts";
import { conditionalGoalRows, conditionalSection } from "./conditional_report.ts";

/** Goals from PRODUCT.md. */
export const GOALS = {
  meanSkill: { 1: 0.2, 6: 0.12, 24: 0.08 } as Record<number, number>,
  minSkill: 0.03,
  coverage: [0.88, 0.92] as const,
  /** Issue 17: every regime's coverage (all targets and horizons) in this range. */
  regimeCoverage: [0.85, 0.95] as const,
  /** Issue 17: warning F1 at least persistence's plus this, at every lead. */
  warningF1Margin: 0.05,
  /** Issue 17: the virtual sensor bars (issue 4 had NOx 40, NO2 14). */
  nowcastMae: { "CO(GT)": 0.25, "NOx(GT)": 38, "NO2(GT)": 12 } as Record<string, number>,
};

/** A Markdown table padded the way `deno fmt` pads it, so generated files stay fmt-clean. */
export function markdownTable(
  header: string[],
  rightAligned: boolean[],
  rows: string[][],
): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? "").length)));
  const cell = (text: string, j: number) =>
    rightAligned[j] ? text.padStart(widths[j]!) : text.padEnd(widths[j]!);
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  const rule = widths.map((w, j) => (rightAligned[j] ? "-".repeat(w - 1) + ":" : "-".repeat(w)));
  return [line(header), `| ${rule.join(" | ")} |`, ...rows.map(line)];
}

/** Greedy word wrap at `width` columns, as `deno fmt` wraps Markdown paragraphs. */
export function wrapParagraph(text: string, width = 100): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}

const f = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");
const ci = (c: [number, number] | null) => (c === null ? "" : ` [${f(c[0])}, ${f(c[1])}]`);
const pv = (p: number) => (p < 1e-4 ? p.toExponential(1) : f(p, 4));
const ok = (pass: boolean) => (pass ? "met" : "**missed**");

/**
 * Replaces the text between `<!-- results:start -->` and `<!-- results:end -->`
 * in `doc` with `block`; returns `doc` unchanged when the markers are missing.
 */
export function replaceResultsBlock(doc: string, block: string): string {
  const start = "<!-- results:start -->", end = "<!-- results:end -->";
  const i = doc.indexOf(start), j = doc.indexOf(end);
  if (i < 0 || j < i) return doc;
  return `${doc.slice(0, i + start.length)}\n\n${block.trim()}\n\n${doc.slice(j)}`;
}

function goalRows(report: EvaluationReport): string[][] {
  const rows: string[][] = [];
  const best = report.results.filter((r) => r.model === "best");
  for (const h of [...new Set(best.map((r) => r.horizon_h))]) {
    const at = best.filter((r) => r.horizon_h === h);
    const mean = at.reduce((s, r) => s + r.skill, 0) / at.length;
    const goal = GOALS.meanSkill[h];
    rows.push([
      `mean skill of \`best\` at ${h} h`,
      goal === undefined ? "none" : `>= ${goal}`,
      f(mean),
      goal === undefined ? "" : ok(mean >= goal),
    ]);
  }
  const low = best.reduce((a, b) => (b.skill < a.skill ? b : a));
  rows.push([
    `lowest skill of \`best\` (${low.target}, ${low.horizon_h} h)`,
    `>= ${GOALS.minSkill}`,
    f(low.skill),
    ok(low.skill >= GOALS.minSkill),
  ]);
  const cov = best.map((r) => r.interval_coverage);
  const [lo, hi] = GOALS.coverage;
  rows.push([
    "90 % interval coverage of `best` (all targets and horizons)",
    `${lo} to ${hi}`,
    `${f(Math.min(...cov))} to ${f(Math.max(...cov))}`,
    ok(cov.every((c) => c >= lo && c <= hi)),
  ]);
  for (const r of report.nowcast) {
    const goal = GOALS.nowcastMae[r.target];
    rows.push([
      `virtual sensor MAE ${r.target}`,
      goal === undefined ? "none (see below)" : `<= ${goal}`,
      f(r.mae),
      goal === undefined ? "" : ok(r.mae <= goal),
    ]);
  }
  const [rlo, rhi] = GOALS.regimeCoverage;
  for (const regime of [...new Set(report.coverage_by_regime.map((r) => r.regime))]) {
    const at = report.coverage_by_regime.filter((r) => r.regime === regime && r.n > 0);
    if (at.length === 0) continue;
    const c = at.map((r) => r.coverage);
    const inside = at.filter((r) => r.coverage >= rlo && r.coverage <= rhi).length;
    rows.push([
      `90 % coverage of \`best\`, regime ${regime} (${at.length} target-horizon pairs)`,
      `${rlo} to ${rhi}`,
      `${f(Math.min(...c))} to ${f(Math.max(...c))}`,
      inside === at.length ? "met" : `**missed** (${inside} of ${at.length} inside)`,
    ]);
  }
  rows.push(...conditionalGoalRows(report, GOALS.regimeCoverage));
  const w = report.warning_no2_200;
  for (const lead of w.by_lead_h) {
    const goal = lead.persistence_f1 + GOALS.warningF1Margin;
    rows.push([
      `NO2 > 200 warning ${lead.lead_h} h ahead: F1 >= persistence's + ${GOALS.warningF1Margin}`,
      `>= ${f(goal)}`,
      f(lead.f1),
      ok(lead.f1 >= goal),
    ]);
  }
  return rows;
}

const goalTable = (report: EvaluationReport) =>
  markdownTable(
    ["check", "goal", "measured", "result"],
    [false, false, false, false],
    goalRows(report),
  );

/** The goals table and the `best` rows: the part of the report docs/forecasting.md shows. */
export function renderSummary(report: EvaluationReport, command: string): string {
  const seconds = report.timings_ms.total === undefined ? "" : `, ${timing(report)}`;
  const sarimaOf = (target: string, h: number) =>
    report.results.find((r) => r.model === "sarima" && r.target === target && r.horizon_h === h);
  const withSarima = report.sarima !== null;
  const rows = report.results.filter((r) => r.model === "best").map((r) => [
    r.target,
    String(r.horizon_h),
    String(r.n),
    f(r.mae),
    `${f(r.skill)}${ci(r.skill_ci95)}`,
    r.dm === null ? "" : pv(r.dm.p_value),
    r.dm === null || r.dm.p_value_holm === null ? "" : pv(r.dm.p_value_holm),
    r.dm === null ? "" : String(r.dm.lags),
    f(r.interval_coverage),
    f(r.interval_score),
    ...(withSarima ? [f(sarimaOf(r.target, r.horizon_h)?.skill ?? NaN)] : []),
  ]);
  return [
    wrapParagraph(`Generated by \`${command}\`${seconds}.`),
    "",
    ...goalTable(report),
    "",
    wrapParagraph(
      "`best` per target and horizon on the test window (skill with its block-bootstrap " +
        "95 % interval; Diebold-Mariano p against the better naive baseline with a Newey-West " +
        "variance over the automatic number of lags shown, and Holm-adjusted across the " +
        "target-horizon pairs; coverage and interval score of the 90 % intervals" +
        (withSarima ? "; the skill of SARIMA alone in the last column" : "") + "):",
    ),
    "",
    ...markdownTable(
      [
        "target",
        "h",
        "n",
        "MAE",
        "skill [95 % CI]",
        "DM p",
        "Holm p",
        "lags",
        "coverage",
        "interval score",
        ...(withSarima ? ["SARIMA skill"] : []),
      ],
      [
        false,
        true,
        true,
        true,
        false,
        false,
        false,
        true,
        true,
        true,
        ...(withSarima ? [true] : []),
      ],
      rows,
    ),
    "",
    ...regimeSection(report),
    ...conditionalSection(report),
    "",
    ...warningSection(report),
  ].join("\n");
}

/** Coverage by regime of `best`: one row per target and horizon, one column per regime. */
function regimeSection(report: EvaluationReport): string[] {
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
function warningSection(report: EvaluationReport): string[] {
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

/** Total wall time, and SARIMA's share of it (its time is outside the 2-minute budget). */
function timing(report: EvaluationReport): string {
  const total = (report.timings_ms.total ?? NaN) / 1000;
  if (report.sarima_seconds === null) return `${total.toFixed(1)} s (SARIMA not run)`;
  const cached = report.sarima?.cached === true
    ? `, read from its cache; computing it took ${report.sarima.computed_seconds?.toFixed(1)} s`
    : "";
  return `${total.toFixed(1)} s, of which SARIMA ${report.sarima_seconds.toFixed(1)} s ` +
    `(${(total - report.sarima_seconds).toFixed(1)} s without it${cached})`;
}

/** Renders the summary; `command` is the command line that produced the report. */
export function renderReport(report: EvaluationReport, command: string): string {
  const window = report.protocol.train_window_h === null
    ? "the whole history"
    : `the latest ${report.protocol.train_window_h} h`;
  const w = report.warning_no2_200;
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
    "# Forecasting: model report",
    "",
    wrapParagraph(
      `Generated by \`${command}\`; every number below comes from that run. Test window ` +
        `${report.test_window.from} to ${report.test_window.to}; walk-forward refits every ` +
        `${report.protocol.refit_every_h} h on ${window} before each block ` +
        `(${report.protocol.refits} refits). Only observed targets are scored.` +
        (report.timings_ms.total === undefined ? "" : ` Wall time ${timing(report)}.`),
    ),
    "",
    wrapParagraph(
      report.sarima === null
        ? "SARIMA was not run (`--sarima` or `sarima.enabled` in config/forecast.json)."
        : `SARIMA ${report.sarima.order} (npm \`arima\`, exact ML), fitted per target on ` +
          `${report.sarima.transform} values of the latest ${report.sarima.window_h} h before ` +
          `each block (${report.sarima.fits} fits, ${report.sarima.failed_fits} failed), then ` +
          "run from every hourly origin with the block's coefficients. Missing hours are filled " +
          "for its state recursion only (the filled value 24 h earlier, else the last observed " +
          "one) and never scored. Its weight in `best` was chosen on validation.",
    ),
    "",
    "## Goals",
    "",
    ...goalTable(report),
    "",
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
    "",
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
    "",
    "## Coverage by regime",
    "",
    ...regimeSection(report),
    ...conditionalSection(report),
    "",
    "## Early warning: NO2 above 200 ug/m3",
    "",
    ...warningSection(report),
    "",
    wrapParagraph(
      `At ${
        w.by_lead_h[0]?.lead_h ?? "n/a"
      } h: ${w.events} exceedance hours among ${w.n} scored hours.`,
    ),
    "",
  ].join("\n");
}
