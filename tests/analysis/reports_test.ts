import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { countDataMarks } from "../../lib/render/mod.ts";
import { main as analyze } from "../../tools/analyze.ts";
import { main as report } from "../../tools/report.ts";
import { UCI_PATH } from "../_data.ts";

/** The first `rows` data rows of the real file, in its raw format (CRLF, header). */
async function slice(dir: string, rows: number): Promise<string> {
  const text = await readFile(UCI_PATH, "utf8");
  const path = join(dir, "slice.csv");
  await writeFile(path, text.split("\r\n").slice(0, rows + 1).join("\r\n") + "\r\n");
  return path;
}

/** The Vega figures of a page (the hand-drawn architecture diagram has no data marks). */
const svgsOf = (html: string) =>
  (html.match(/<svg[\s\S]*?<\/svg>/g) ?? []).filter((s) => !s.includes("airq architecture"));

Deno.test("analyze.ts and report.ts build from a slice of the real file, no figure empty", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-analysis-" });
  try {
    const input = await slice(dir, 2400);
    const out = join(dir, "analysis");
    assert.equal(await analyze(["--input", input, "--out", out]), 0);
    const html = await readFile(join(out, "index.html"), "utf8");
    for (
      const id of [
        "summary",
        "trends",
        "cycles",
        "correlations",
        "acf",
        "decomposition",
        "anomalies",
        "exceedances",
        "drift",
      ]
    ) {
      assert.ok(html.includes(`id="${id}"`), `section ${id}`);
    }
    const svgs = svgsOf(html);
    assert.ok(svgs.length >= 10, `${svgs.length} figures`);
    for (const svg of svgs) {
      assert.ok(countDataMarks(svg) > 0 && !svg.includes("NaN"), "every figure draws data");
    }
    const md = await readFile(join(out, "analysis.md"), "utf8");
    for (
      const h of [
        "## Executive summary",
        "## Findings",
        "## Recommendations",
        "## How the findings shaped",
        "## Methods",
      ]
    ) {
      assert.ok(md.includes(h), h);
    }
    assert.ok(!md.includes("NaN") && !md.includes("undefined"));
    // Every finding quotes its figure and at least one number.
    const findings = md.split("\n### ").slice(1);
    assert.ok(findings.length >= 8, `${findings.length} findings`);
    for (const f of findings) {
      const title = f.split("\n")[0];
      assert.match(f, /index\.html#fig-[a-z0-9_-]+\)/, `finding "${title}" links a figure`);
      assert.match(f, /\d/, `finding "${title}" quotes a number`);
    }
    assert.doesNotMatch(md, /\d{4}-\d{2}-\d{2}T/, "no raw ISO timestamps in prose");

    const final = join(dir, "final");
    // a missing input is a usage error; --omit leaves its section saying which command writes it
    await assert.rejects(
      report(["--input", input, "--out", final, "--evaluation", join(dir, "none.json")]),
      /--evaluation .*none\.json: no such file/,
    );
    const none = ["--omit", "evaluation,bench,realtime,monitor"];
    assert.equal(await report(["--input", input, "--out", final, ...none]), 0);
    const page = await readFile(join(final, "index.html"), "utf8");
    for (
      const h of [
        "Executive summary",
        "Architecture",
        "Data intelligence",
        "baselines",
        "Real-time",
        "Limitations",
      ]
    ) {
      assert.ok(page.includes(h), h);
    }
    assert.ok(page.includes("needs the evaluation JSON") && page.includes("Not yet measured"));
    assert.ok(page.includes("deno task bench realtime --json") && page.includes("No monitoring"));
    assert.ok(page.includes("@media print"));
    for (const svg of svgsOf(page)) assert.ok(countDataMarks(svg) > 0);
    assert.ok(!page.includes("NaN") && !page.includes("undefined"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
