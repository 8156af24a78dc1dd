/**
 * The virtual sensor's choice has one source: docs/reports/nowcast-candidates.json
 * (`deno task evaluate --select --nowcast`). config/forecast.json takes its
 * validation choice, docs/forecasting.md shows its table, and the evaluation's
 * `nowcast` rows are the chosen candidates' test MAEs.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { NowcastSelectionSchema } from "../../lib/offline/mod.ts";
import { nowcastCandidatesTable } from "../../lib/offline/nowcast_select.ts";

const text = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), "utf8");
const json = async (path: string) => JSON.parse(await text(path));
const candidates = async () =>
  NowcastSelectionSchema.parse(await json("docs/reports/nowcast-candidates.json"));

Deno.test("config/forecast.json takes the virtual sensor's validation choice", async () => {
  const selection = await candidates();
  const config = await json("config/forecast.json");
  for (const [target, chosen] of Object.entries(selection.chosen)) {
    assert.deepEqual(config.nowcast[target], chosen.nowcast, target);
  }
});

Deno.test("the evaluation's virtual sensor is the chosen candidate, same test MAE", async () => {
  const selection = await candidates();
  const evaluation = await json("docs/reports/evaluation.json");
  for (const [target, chosen] of Object.entries(selection.chosen)) {
    const row = evaluation.nowcast.find((r: { target: string }) => r.target === target);
    assert.ok(Math.abs(row.mae - chosen.test_mae) < 1e-9, `${target}: ${row.mae}`);
  }
});

Deno.test("docs/forecasting.md shows nowcast-candidates.json's table", async () => {
  const doc = await text("docs/forecasting.md");
  const block = /<!-- nowcast-candidates:start -->([\s\S]*?)<!-- nowcast-candidates:end -->/
    .exec(doc)?.[1];
  assert.ok(block !== undefined, "docs/forecasting.md has the nowcast-candidates block");
  // deno fmt pads the cells; compare them trimmed, separator rows left out
  const cells = (lines: string[]) =>
    lines.filter((l) => l.startsWith("|") && !/^\|[\s:|-]+\|$/.test(l))
      .map((l) => l.split("|").map((c) => c.trim()).join("|"));
  assert.deepEqual(
    cells(block.trim().split("\n")),
    cells(nowcastCandidatesTable(await candidates())),
    "run `deno task evaluate --select --nowcast --json docs/reports/nowcast-candidates.json`",
  );
});
