/**
 * Which evaluation the forecaster serves (`servedEvaluationPath`): the latest evaluate run's in
 * var/, else the committed one, else none; and the committed one is a complete served evaluation
 * (interval half-widths for every target and horizon, the early-warning rule).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  loadDeployedModels,
  servedEvaluationPath,
  servedWarningOf,
  tryReadEvaluation,
} from "../../lib/realtime/mod.ts";
import { CONFIG_DIR, loadConfig } from "../../lib/config/mod.ts";
import { ForecastConfigSchema } from "../../lib/offline/mod.ts";
import { EVALUATION_WRITER, EvaluationReportSchema, parseFileAs } from "../../lib/records/mod.ts";

Deno.test("servedEvaluationPath(): var/'s evaluation, else the committed one, else none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-evaluation-path-" });
  try {
    assert.equal(await servedEvaluationPath(dir), null);
    await Deno.mkdir(join(dir, "docs/reports"), { recursive: true });
    await Deno.writeTextFile(join(dir, "docs/reports/evaluation.json"), "{}");
    assert.equal(await servedEvaluationPath(dir), join(dir, "docs/reports/evaluation.json"));
    await Deno.mkdir(join(dir, "var"));
    await Deno.writeTextFile(join(dir, "var/evaluation.json"), "{}");
    assert.equal(await servedEvaluationPath(dir), join(dir, "var/evaluation.json"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the committed evaluation serves intervals for every target and horizon, and the warning", async () => {
  const path = "docs/reports/evaluation.json";
  const evaluation = parseFileAs(
    EvaluationReportSchema,
    JSON.parse(await Deno.readTextFile(path)),
    path,
    EVALUATION_WRITER,
  );
  const config = await loadConfig(new URL("forecast.json", CONFIG_DIR), ForecastConfigSchema);
  const rule = servedWarningOf(evaluation, config);
  assert.deepEqual(
    [...rule.leads.keys()],
    config.warning.leadsH.filter((l) => config.horizonsH.includes(l)),
  );
  // no model folder: the half-widths come from the evaluation alone
  const models = await loadDeployedModels("/nonexistent-airq-models", path, 60);
  assert.equal(models.grouped?.size, config.targets.length * config.horizonsH.length);
});

Deno.test("an evaluation read once serves the models as its path does, and a bad file says why", async () => {
  const path = "docs/reports/evaluation.json";
  const read = await tryReadEvaluation(path);
  assert.equal(read.problem, null);
  const byPath = await loadDeployedModels("/nonexistent-airq-models", path, 60);
  const byRead = await loadDeployedModels("/nonexistent-airq-models", read, 60);
  assert.deepEqual(byRead, byPath);
  const dir = await Deno.makeTempDir({ prefix: "airq-evaluation-read-" });
  try {
    const bad = join(dir, "evaluation.json");
    await Deno.writeTextFile(bad, '{"results": 1}');
    const refused = await tryReadEvaluation(bad);
    assert.equal(refused.report, null);
    assert.match(refused.problem!, /evaluation\.json/);
    const missing = await tryReadEvaluation(join(dir, "none.json"));
    assert.equal(missing.report, null);
    assert.match(missing.problem!, /none\.json/);
    // the models still load, without the evaluation's intervals, and the problem is reported
    const models = await loadDeployedModels("/nonexistent-airq-models", refused, 60);
    assert.equal(models.evaluation, false);
    assert.ok(models.problems.includes(refused.problem!));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
