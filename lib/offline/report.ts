/**
 * The Markdown summary of an evaluation: every number comes from the
 * `EvaluationReport` that `deno task evaluate --json` writes.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import type { EvaluationReport } from "./evaluate.ts";

/** Goals from PRODUCT.md. */
export const GOALS = {
  meanSkill: { 1: 0.2, 6: 0.12, 24: 0.08 } as Record<number, number>,
  minSkill: 0.03,
  coverage: [0.88, 0.92] as const,
  nowcastMae: { "CO(GT)": 0.25, "NOx(GT)": 40, "NO2(GT)": 14 } as Record<string, number>,
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
  const w = report.warning_no2_200;
  rows.push([
    "NO2 > 200 warning: F1 above persistence's",
    `> ${f(w.persistence_f1)}`,
    f(w.f1),
    ok(w.f1 > w.persistence_f1),
  ]);
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
    f(r.interval_coverage),
    ...(withSarima ? [f(sarimaOf(r.target, r.horizon_h)?.skill ?? NaN)] : []),
  ]);
  return [
    wrapParagraph(`Generated by \`${command}\`${seconds}.`),
    "",
    ...goalTable(report),
    "",
    wrapParagraph(
      "`best` per target and horizon on the test window (skill with its block-bootstrap " +
        "95 % interval; DM p against the better naive baseline" +
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
        "coverage",
        ...(withSarima ? ["SARIMA skill"] : []),
      ],
      [false, true, true, true, false, false, true, ...(withSarima ? [true] : [])],
      rows,
    ),
  ].join("\n");
}

/** Total wall time, and SARIMA's share of it (its time is outside the 2-minute budget). */
function timing(report: EvaluationReport): string {
  const total = (report.timings_ms.total ?? NaN) / 1000;
  if (report.sarima_seconds === null) return `${total.toFixed(1)} s (SARIMA not run)`;
  return `${total.toFixed(1)} s, of which SARIMA ${report.sarima_seconds.toFixed(1)} s ` +
    `(${(total - report.sarima_seconds).toFixed(1)} s without it)`;
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
    r.dm === null ? "" : `${f(r.dm.statistic, 2)} (${pv(r.dm.p_value)})`,
    f(r.interval_coverage),
    f(r.interval_mean_width),
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
        "moving-block bootstrap 95 % interval. DM: Diebold-Mariano statistic with the " +
        "Harvey-Leybourne-Newbold correction against the better naive baseline (negative favours " +
        "the model) and its p-value. Coverage and width: 90 % conformal intervals. MASE: " +
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
        "DM stat (p)",
        "coverage",
        "width",
      ],
      [false, true, false, true, true, true, true, false, false, false, false, true, true],
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
    "## Early warning: NO2 above 200 ug/m3 in the next hour",
    "",
    ...markdownTable(
      ["warning", "precision", "recall", "F1"],
      [false, true, true, true],
      [
        ["`best` 1 h forecast above 200", f(w.precision), f(w.recall), f(w.f1)],
        [
          "persistence (NO2 now above 200)",
          f(w.persistence_precision),
          f(w.persistence_recall),
          f(w.persistence_f1),
        ],
      ],
    ),
    "",
    wrapParagraph(`${w.events} exceedance hours among ${w.n} scored hours.`),
    "",
  ].join("\n");
}
