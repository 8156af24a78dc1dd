/**
 * docs/cluster.md's results tables hold the numbers of the committed drill
 * files, which match their one schema (the drill checks it before writing).
 */
import assert from "node:assert/strict";
import { ClusterDrillResultSchema } from "../../lib/records/operations.ts";

const root = new URL("../../", import.meta.url);

async function drill(name: string) {
  return ClusterDrillResultSchema.parse(
    JSON.parse(await Deno.readTextFile(new URL(`docs/reports/drill-${name}.json`, root))),
  );
}

function cells(doc: string, first: string): string[] {
  const row = doc.split("\n").find((l) => l.startsWith(`| ${first} `));
  assert.ok(row, `a row for ${first}`);
  return row.split("|").map((c) => c.trim()).filter((c) => c !== "");
}

Deno.test("docs/cluster.md's drill table is the committed drill JSON", async () => {
  const doc = await Deno.readTextFile(new URL("docs/cluster.md", root));
  for (const name of ["leader-kill", "rolling-restart", "hung-broker", "graceful-stop"]) {
    const r = await drill(name);
    // a drill may miss only its recovery goal, and then the doc says so in the drill's words
    for (const problem of r.problems) {
      assert.match(problem, /^recovery took/, `${name}: ${r.problems.join("; ")}`);
      assert.ok(
        doc.replace(/\s+/g, " ").includes(problem),
        `docs/cluster.md states ${name}'s "${problem}"`,
      );
    }
    assert.ok(r.ok || r.problems.length > 0, name);
    assert.deepEqual(cells(doc, name).slice(1).map(Number), [
      r.produced,
      r.stored,
      r.duplicates,
      r.forecasts,
      r.expected_forecasts,
      r.recovery_s,
    ]);
  }
});

Deno.test("docs/cluster.md's graceful-stop exit times are the committed drill JSON", async () => {
  const doc = await Deno.readTextFile(new URL("docs/cluster.md", root));
  const r = await drill("graceful-stop");
  const midBatch = r.stops.filter((s) => s.when === "fault");
  assert.equal(midBatch.length, 2);
  for (const s of midBatch) {
    assert.deepEqual(cells(doc, `${s.process} (SIGTERM at ${s.at_s} s)`).slice(1), [
      String(s.lag_at_signal),
      String(s.exit_s),
      String(s.code),
      s.forced ? "yes" : "no",
    ]);
  }
});
