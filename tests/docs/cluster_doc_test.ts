/**
 * docs/cluster.md's results table holds the numbers of the committed drill
 * files, which match their one schema (the drill checks it before writing).
 */
import assert from "node:assert/strict";
import { ClusterDrillResultSchema } from "../../lib/records/operations.ts";

const root = new URL("../../", import.meta.url);

Deno.test("docs/cluster.md's drill table is the committed drill JSON", async () => {
  const doc = await Deno.readTextFile(new URL("docs/cluster.md", root));
  for (const name of ["leader-kill", "rolling-restart"]) {
    const r = ClusterDrillResultSchema.parse(
      JSON.parse(await Deno.readTextFile(new URL(`docs/reports/drill-${name}.json`, root))),
    );
    assert.ok(r.ok, `${name}: ${r.problems.join("; ")}`);
    const row = doc.split("\n").find((l) => l.startsWith(`| ${name} `));
    assert.ok(row, `a row for ${name}`);
    const cells = row.split("|").map((c) => c.trim()).filter((c) => c !== "");
    assert.deepEqual(cells.slice(1).map(Number), [
      r.produced,
      r.stored,
      r.duplicates,
      r.forecasts,
      r.expected_forecasts,
      r.recovery_s,
    ]);
  }
});
