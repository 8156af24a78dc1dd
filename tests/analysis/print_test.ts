/**
 * The analysis report as a reader sees it: printed to A4 with Chromium, every
 * page rendered to PNG, the prose held to 2-3 pages (issue 16), and the
 * README's links to the committed pages of both reports.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { main as analyze } from "../../tools/analyze.ts";
import { pdfPageCount } from "../../lib/render/pdf.ts";
import { citedFigures, markdownToHtml } from "../../lib/render/mod.ts";
import { UCI_PATH } from "../_data.ts";

const isPng = (b: Uint8Array) => b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;

Deno.test("analyze.ts --pdf --png: the prose prints on 2 to 3 A4 pages, then every figure; each page rendered to PNG", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-analysis-print-" });
  try {
    const out = join(dir, "analysis");
    const summaryPath = join(dir, "summary.json");
    const args = ["--input", UCI_PATH, "--out", out, "--pdf", "--png", "--json", summaryPath];
    assert.equal(await analyze(args), 0);
    const summary = JSON.parse(await readFile(summaryPath, "utf8"));
    const pages = pdfPageCount(await Deno.readFile(join(out, "report.pdf")));
    assert.equal(summary.pages, pages);
    assert.ok(
      summary.prose_pages >= 2 && summary.prose_pages <= 3,
      `the prose prints on ${summary.prose_pages} pages`,
    );
    // the figures follow the prose, on pages of their own
    assert.ok(pages > summary.prose_pages, `${pages} pages in all`);
    const html = await readFile(join(out, "report.html"), "utf8");
    const md = await readFile(join(out, "analysis.md"), "utf8");
    const cited = citedFigures(md);
    assert.ok(cited.length >= 8, `${cited.length} figures cited`);
    for (const id of cited) {
      assert.ok(html.includes(`id="fig-${id}"`), `figure ${id} is printed`);
      assert.ok(html.includes(`href="#fig-${id}"`), `the prose links figure ${id} in the document`);
    }
    assert.equal(html.match(/<figure /g)?.length, summary.figures, "every figure is printed");
    // each cited figure says which finding it belongs to
    const findings = md.split("\n### ").length - 1;
    for (let n = 1; n <= findings; n++) {
      assert.match(
        html,
        new RegExp(`class="cited">(Finding|[^<]*; finding) ${n}\\. `),
        `finding ${n}`,
      );
    }
    assert.ok(!html.includes("<details"), "nothing folded away from print");
    for (let n = 1; n <= pages; n++) {
      const png = await Deno.readFile(join(out, `page-${n}.png`));
      assert.ok(isPng(png), `page-${n}.png is a PNG`);
      assert.ok(png.length > 5_000, `page-${n}.png has content (${png.length} bytes)`);
    }
    await assert.rejects(Deno.stat(join(out, `page-${pages + 1}.png`)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("analyze.ts --png without --pdf is a usage error", async () => {
  await assert.rejects(analyze(["--png"]), /--png renders the printed pages: add --pdf/);
});

Deno.test("markdownToHtml: headings with GitHub anchors, wrapped lists, tables, inline marks, escaped text", () => {
  const md = [
    "# A title",
    "",
    "Text with **bold**, `a <b>` and [a link](x.html#fig-acf),",
    "wrapped.",
    "",
    "- one item",
    "  continued",
    "- two",
    "",
    "| a | b |",
    "| - | -: |",
    "| x | 1 |",
    "",
    "### 8. NO2 above the limits",
  ].join("\n");
  const html = markdownToHtml(md, (h) => h.replace(/^.*#/, "#"));
  assert.ok(html.includes(`<h1 id="a-title">A title</h1>`));
  assert.ok(
    html.includes(
      `<p>Text with <strong>bold</strong>, <code>a &lt;b&gt;</code> and <a href="#fig-acf">a link</a>, wrapped.</p>`,
    ),
    html,
  );
  assert.ok(html.includes("<ul><li>one item continued</li><li>two</li></ul>"));
  assert.ok(html.includes(`<td style="text-align:right">1</td>`));
  assert.ok(html.includes(`<h3 id="8-no2-above-the-limits">`));
});

Deno.test("the README links the committed pages of both printed reports, and they exist", async () => {
  const readme = await readFile("README.md", "utf8");
  const links = [...readme.matchAll(/\(\.\/(docs\/reports\/(final|analysis)\/page-\d+\.png)\)/g)]
    .map((m) => m[1]!);
  for (const report of ["final", "analysis"]) {
    const own = links.filter((l) => l.includes(`/${report}/`));
    assert.ok(own.length >= 2, `the README links ${own.length} pages of the ${report} report`);
    assert.ok(own.includes(`docs/reports/${report}/page-1.png`), `page 1 of the ${report} report`);
  }
  for (const link of links) assert.ok(isPng(await Deno.readFile(link)), `${link} is a PNG`);
});
