import assert from "node:assert/strict";
import { AlertSchema } from "../../lib/records/mod.ts";
import { exampleAlerts } from "./_examples.ts";

const DOC = new URL("../../docs/alerts.md", import.meta.url);

/** The `<!-- example: NAME -->` JSON blocks of docs/alerts.md, by name. */
async function docExamples(): Promise<Record<string, unknown>> {
  const text = await Deno.readTextFile(DOC);
  const blocks = text.matchAll(/<!-- example: ([a-z0-9-]+) -->\s*```json\n([\s\S]*?)\n```/g);
  return Object.fromEntries([...blocks].map((m) => [m[1]!, JSON.parse(m[2]!)]));
}

Deno.test("docs/alerts.md shows the alerts the code emits, each valid", async () => {
  const shown = await docExamples();
  const emitted = exampleAlerts();
  assert.deepEqual(Object.keys(shown).sort(), Object.keys(emitted).sort());
  for (const [name, alert] of Object.entries(shown)) {
    AlertSchema.parse(alert);
    assert.deepEqual(
      alert,
      emitted[name],
      `example ${name} is stale: regenerate it with deno run -A tests/alerts/_examples.ts`,
    );
  }
  const kinds = new Set(Object.values(emitted).map((a) => `${a.kind} ${a.state}`));
  for (const k of ["exceedance firing", "exceedance resolved", "early_warning firing"]) {
    assert.ok(kinds.has(k), k);
  }
});

Deno.test("docs/alerts.md lists every limit of config/alerts.json with its threshold", async () => {
  const text = await Deno.readTextFile(DOC);
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../../config/alerts.json", import.meta.url)),
  ) as { limits: { id: string; threshold: number; severity: string }[] };
  for (const l of config.limits) {
    // the first row naming the limit is in the limits table
    const row = text.split("\n").find((line) => line.startsWith(`| \`${l.id}\``));
    assert.ok(row, `no row for ${l.id}`);
    assert.ok(row.includes(` ${l.threshold} `) && row.includes(`\`${l.severity}\``), row);
  }
});
