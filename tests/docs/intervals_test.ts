/**
 * The regime-aware interval rule has one source: docs/reports/interval-candidates.json
 * (`deno task evaluate --select --intervals`, validation only). config/forecast.json takes its
 * choice, and the evaluation reports that rule, offline only.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { IntervalSelectionSchema } from "../../lib/offline/select_intervals.ts";
import { EvaluationReportSchema } from "../../lib/records/mod.ts";

const json = async (path: string) =>
  JSON.parse(await readFile(new URL(`../../${path}`, import.meta.url), "utf8"));

Deno.test("config/forecast.json and the evaluation take the interval rule chosen on validation", async () => {
  const selection = IntervalSelectionSchema.parse(
    await json("docs/reports/interval-candidates.json"),
  );
  const best = [...selection.candidates].sort((a, b) =>
    a.criterion - b.criterion || a.relative_interval_score - b.relative_interval_score
  )[0]!;
  assert.equal(best.rule, selection.chosen);
  const config = await json("config/forecast.json");
  assert.deepEqual(config.conformal.conditional, best.settings);
  const evaluation = EvaluationReportSchema.parse(await json("docs/reports/evaluation.json"));
  const reported = evaluation.coverage_by_regime_conditional;
  assert.ok(reported !== null && reported !== undefined);
  assert.equal(reported.rule, selection.chosen);
  assert.equal(reported.served_live, false);
  assert.equal(reported.rows.length, evaluation.coverage_by_regime.length);
});
