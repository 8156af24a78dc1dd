/**
 * The regime-aware interval rule has one source: docs/reports/interval-candidates.json
 * (`deno task evaluate --select --intervals`, validation only). config/forecast.json takes its
 * choice, and the evaluation scores and serves that rule (`served_intervals`, read by the live
 * forecaster), with the pooled rule served before beside it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { chooseInterval, IntervalSelectionSchema } from "../../lib/offline/select_intervals.ts";
import { EvaluationReportSchema } from "../../lib/records/mod.ts";

const json = async (path: string) =>
  JSON.parse(await readFile(new URL(`../../${path}`, import.meta.url), "utf8"));

Deno.test("config/forecast.json and the evaluation take the interval rule chosen on validation", async () => {
  const selection = IntervalSelectionSchema.parse(
    await json("docs/reports/interval-candidates.json"),
  );
  const { chosen: best, decision } = chooseInterval(selection.candidates);
  assert.equal(best.rule, selection.chosen);
  assert.equal(decision, selection.outage_decision);
  const config = await json("config/forecast.json");
  assert.deepEqual(config.conformal.conditional, best.settings);
  const evaluation = EvaluationReportSchema.parse(await json("docs/reports/evaluation.json"));
  const reported = evaluation.coverage_by_regime_conditional;
  assert.ok(reported !== null && reported !== undefined);
  assert.equal(reported.rule, selection.chosen);
  assert.equal(reported.served_live, true);
  assert.deepEqual(reported.rows, evaluation.coverage_by_regime);
  assert.equal(evaluation.served_intervals?.rule, selection.chosen);
  assert.equal(evaluation.coverage_by_regime_pooled?.rows.length, reported.rows.length);
  const pairs = evaluation.results.filter((r) => r.model === "best");
  assert.equal(evaluation.served_intervals?.groups.length, pairs.length);
  const rows = reported.rows;
  for (const r of pairs) {
    const overall = rows.find((c) =>
      c.target === r.target && c.horizon_h === r.horizon_h && c.regime === "all"
    );
    assert.equal(r.interval_coverage, overall?.coverage, `${r.target} ${r.horizon_h} h`);
    assert.ok(r.pooled_interval !== undefined);
  }
});
