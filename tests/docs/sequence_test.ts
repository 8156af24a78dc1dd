/**
 * The sequence model's numbers in docs/forecasting.md are those of docs/reports/sequence.json
 * (read with its schema) and docs/reports/evaluation.json: the block is what `deno task sequence`
 * renders from them today.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import {
  EvaluationSliceSchema,
  renderSequenceBlock,
  replaceSequenceBlock,
  SequenceReportSchema,
} from "../../lib/offline/sequence_report.ts";

const text = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), "utf8");

Deno.test("docs/forecasting.md's sequence block is sequence.json's and evaluation.json's", async () => {
  const report = SequenceReportSchema.parse(JSON.parse(await text("docs/reports/sequence.json")));
  const evaluation = EvaluationSliceSchema.parse(
    JSON.parse(await text("docs/reports/evaluation.json")),
  );
  const doc = await text("docs/forecasting.md");
  const fresh = replaceSequenceBlock(doc, renderSequenceBlock(report, evaluation));
  // deno fmt may rewrap; compare the words.
  const words = (s: string) => s.split(/\s+/).filter((w) => w !== "");
  assert.deepEqual(words(doc), words(fresh), "run `deno task sequence` and commit");
  assert.ok(doc.includes(report.test[0]!.skill.toFixed(3)), "the block is filled in");
  assert.equal(report.test.length, 12);
  assert.equal(report.validation.length, 12);
});
