/**
 * docs/operations.md lists every metric the code registers, with its type and
 * labels, and nothing the code does not register.
 */
import assert from "node:assert/strict";
import { Metrics } from "../../lib/metrics/mod.ts";

const DOC = new URL("../../docs/operations.md", import.meta.url);

interface Row {
  type: string;
  labels: string[];
}

/** The metric rows of the page's tables: `| \`name\` | type | labels | meaning |`. */
function documented(markdown: string): Map<string, Row[]> {
  const rows = new Map<string, Row[]>();
  for (const line of markdown.split("\n")) {
    const m = line.match(/^\|\s*`(airq_[a-z0-9_]+)`\s*\|\s*([a-z]+)\s*\|([^|]*)\|/);
    if (m === null) continue;
    const labels = [...m[3]!.matchAll(/`([a-z_]+)`/g)].map((l) => l[1]!).sort();
    const list = rows.get(m[1]!) ?? [];
    list.push({ type: m[2]!, labels });
    rows.set(m[1]!, list);
  }
  return rows;
}

Deno.test("docs/operations.md: every registered metric with its type and labels, and no other", async () => {
  const rows = documented(await Deno.readTextFile(DOC));
  const registered = new Metrics().registerAll().registry.getMetricsAsArray();
  assert.ok(registered.length >= 20, `only ${registered.length} metrics registered`);
  const problems: string[] = [];
  for (const metric of registered) {
    const type = (metric as unknown as { type: string }).type;
    const labels = [...((metric as unknown as { labelNames?: string[] }).labelNames ?? [])].sort();
    const found = rows.get(metric.name);
    if (found === undefined) {
      problems.push(`${metric.name} is not in docs/operations.md`);
      continue;
    }
    for (const row of found) {
      if (row.type !== type) problems.push(`${metric.name}: documented ${row.type}, is ${type}`);
      if (row.labels.join(",") !== labels.join(",")) {
        problems.push(`${metric.name}: documented labels [${row.labels}], has [${labels}]`);
      }
    }
  }
  const names = new Set(registered.map((m) => m.name));
  for (const name of rows.keys()) {
    if (!names.has(name)) problems.push(`${name} is documented but not registered`);
  }
  assert.deepEqual(problems, []);
});
