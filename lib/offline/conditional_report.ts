/**
 * The Markdown of the interval rules of `best`: goal rows of the pooled rule served before
 * (`coverage_by_regime_pooled`) beside the served regime-aware rule's (`coverage_by_regime`), and
 * a table of coverage and interval score per regime of both.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import type { EvaluationReport } from "../records/evaluation.ts";
import { markdownTable, wrapParagraph } from "./report.ts";

const f = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");

/** Goal rows (check, goal, measured, result) of the pooled rule served before; none without it. */
export function conditionalGoalRows(
  report: EvaluationReport,
  range: readonly [number, number],
): string[][] {
  const c = report.coverage_by_regime_pooled;
  if (c === null || c === undefined) return [];
  const [lo, hi] = range;
  return [...new Set(c.rows.map((r) => r.regime))].flatMap((regime) => {
    const at = c.rows.filter((r) => r.regime === regime && r.n > 0);
    if (at.length === 0) return [];
    const cov = at.map((r) => r.coverage);
    const inside = at.filter((r) => r.coverage >= lo && r.coverage <= hi).length;
    return [[
      `90 % coverage, pooled rule served before (comparison), regime ${regime} (${at.length} pairs)`,
      `${lo} to ${hi}`,
      `${f(Math.min(...cov))} to ${f(Math.max(...cov))}`,
      inside === at.length ? "met" : `**missed** (${inside} of ${at.length} inside)`,
    ]];
  });
}

/** Coverage and interval score, pooled rule / served regime-aware rule, per target, horizon and regime. */
export function conditionalSection(report: EvaluationReport): string[] {
  const c = report.coverage_by_regime_pooled;
  const served = report.served_intervals;
  if (c === null || c === undefined) return [];
  const regimes = [...new Set(c.rows.map((r) => r.regime))];
  const keys = [...new Set(c.rows.map((r) => `${r.target}|${r.horizon_h}`))];
  const find = (rows: typeof c.rows, key: string, regime: string) =>
    rows.find((r) => `${r.target}|${r.horizon_h}` === key && r.regime === regime);
  return [
    "",
    wrapParagraph(
      `Served intervals of \`best\` (evaluate and the live forecaster): ${
        served?.rule ?? "n/a"
      }; chosen on the validation window (\`deno task evaluate --select --intervals\`). ` +
        `Beside them the rule served before: ${c.rule}. Each cell: coverage before / served, ` +
        "then the mean interval score before / served (lower is better).",
    ),
    "",
    ...markdownTable(
      ["target", "h", ...regimes],
      [false, true, ...regimes.map(() => true)],
      keys.map((key) => {
        const [target, h] = key.split("|");
        return [
          target!,
          h!,
          ...regimes.map((regime) => {
            const a = find(c.rows, key, regime);
            const b = find(report.coverage_by_regime, key, regime);
            if (a === undefined || b === undefined) return "";
            const digits = a.interval_score >= 100 ? 0 : a.interval_score >= 10 ? 1 : 2;
            return `${f(a.coverage, 2)} / ${f(b.coverage, 2)}; IS ${
              f(a.interval_score, digits)
            } / ${f(b.interval_score, digits)}`;
          }),
        ];
      }),
    ),
  ];
}
