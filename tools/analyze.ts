/**
 * `deno task analyze [--input PATH] [--out DIR] [--markdown PATH]`: the analysis
 * of the UCI file. Writes DIR/index.html (default `docs/reports/analysis`) with
 * every figure as inline SVG, and the analytical report (default
 * `docs/analysis.md`; with a non-default `--out`, `DIR/analysis.md`). `--pdf`
 * also writes the report as it prints, DIR/report.html (the prose, then its
 * figures from a new page), prints it to DIR/report.pdf (A4) with Chromium and
 * measures the prose alone in printed pages; `--png` renders every printed page
 * to DIR/page-N.png with pdftoppm (lib/cli/print.ts, as `deno task report`).
 *
 * ```sh
 * deno run --no-prompt --allow-read=..,$HOME,/tmp --allow-write=.,$HOME,/tmp \
 *   --allow-env=AIRQ_*,HOME,INIT_CWD --allow-net=archive.ics.uci.edu analyze.ts
 * ```
 *
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import {
  ANALYSIS_CONFIG_FILE,
  AnalysisConfigSchema,
  analyzeFrame,
  countableLimits,
  frameFromRows,
} from "../lib/analysis/mod.ts";
import { ALERTS_CONFIG_FILE, AlertsConfigSchema } from "../lib/alerts/mod.ts";
import { println, UsageError } from "../lib/cli/io.ts";
import { printPages, printPdf } from "../lib/cli/print.ts";
import { envPath } from "../lib/cli/paths.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "../lib/cli/command.ts";
import { CONFIG_DIR, loadConfig } from "../lib/config/mod.ts";
import { readUciFile, resolveDatasetPath } from "../lib/dataset/mod.ts";
import {
  analysisFigures,
  analysisHtml,
  analysisMarkdown,
  analysisPrintHtml,
  type Figure,
  renderFigures,
} from "../lib/render/mod.ts";
import { configureLogging, getLogger } from "../lib/log.ts";

const DEFAULT_OUT = "docs/reports/analysis";
const DEFAULT_MARKDOWN = "docs/analysis.md";
const CLI = defineCommand({
  task: "analyze",
  description: "Analysis of the UCI file: an HTML page with every figure as inline SVG, and the " +
    "analytical report in Markdown.",
  options: {
    input: opt.path("the UCI CSV", {
      input: true,
      default: "AIRQ_DATASET, the shared copy, or a verified download",
    }),
    out: opt.path("where index.html goes", { value: "DIR", default: DEFAULT_OUT }),
    markdown: opt.path("the analytical report", {
      default: `${DEFAULT_MARKDOWN}, or DIR/analysis.md with --out`,
    }),
    pdf: opt.flag(
      "also print the report (prose, then figures) to DIR/report.pdf (A4) with Chromium " +
        "(`chromium` on PATH) and count the prose's pages",
    ),
    png: opt.flag(
      "with --pdf: also render every printed page to DIR/page-N.png (needs pdftoppm, Debian's " +
        "poppler-utils)",
    ),
    config: opt.path("settings", { input: true, default: `config/${ANALYSIS_CONFIG_FILE}` }),
    json: opt.json("where the summary JSON goes: stdout (the default), or with PATH that file"),
  },
});

/** Runs the analysis on `args` (command-line arguments); returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await analyze(CLI.parse(args));
}

async function analyze(values: ArgsOf<typeof CLI>): Promise<number> {
  if (values.png && !values.pdf) throw new UsageError("--png renders the printed pages: add --pdf");
  const log = getLogger(["airq", "analysis"]);
  const started = performance.now();
  const config = await loadConfig(
    values.config ?? new URL(ANALYSIS_CONFIG_FILE, CONFIG_DIR),
    AnalysisConfigSchema,
  );
  const dataset = await resolveDatasetPath({
    explicitPath: values.input ?? envPath("AIRQ_DATASET"),
  });
  const out = values.out ?? DEFAULT_OUT;
  const markdown = values.markdown !== undefined
    ? values.markdown
    : values.out === undefined
    ? DEFAULT_MARKDOWN
    : join(out, "analysis.md");
  const rows = await Array.fromAsync(readUciFile(dataset.path));
  // The exceedance counts use the alerter's limits: one source for 200 µg/m³ and the rest.
  const alerts = await loadConfig(new URL(ALERTS_CONFIG_FILE, CONFIG_DIR), AlertsConfigSchema);
  const analysis = analyzeFrame(frameFromRows(rows), config, countableLimits(alerts.limits));
  const analysed = performance.now();
  const figures = analysisFigures(analysis);
  const svgs = await renderFigures(figures);
  const rendered = performance.now();
  const source = {
    dataset: dataset.path.split("/").at(-1) ?? dataset.path,
    date: new Date().toISOString().slice(0, 10),
  };
  await mkdir(out, { recursive: true });
  await mkdir(dirname(markdown), { recursive: true });
  const html = join(out, "index.html");
  await writeFile(html, analysisHtml(analysis, figures, svgs, source));
  const link = relative(dirname(markdown), html);
  const report = analysisMarkdown(analysis, { ...source, figuresLink: link });
  await writeFile(markdown, report);
  log.info("Analysis written to {html} and {markdown}", {
    html,
    markdown,
    rows: rows.length,
    figures: figures.length,
    analyse_ms: Math.round(analysed - started),
    render_ms: Math.round(rendered - analysed),
  });
  let summary: Record<string, unknown> = {
    html,
    markdown,
    figures: figures.length,
    episodes: analysis.episodes.length,
  };
  if (values.pdf) {
    summary = { ...summary, ...await printReport(report, figures, svgs, out, values.png) };
  }
  await writeJson(values.json ?? { path: null }, summary);
  if (values.json?.path) println(`wrote ${html} and ${markdown}`);
  return 0;
}

/**
 * The analysis report as it prints: DIR/report.html (prose, then figures) to
 * DIR/report.pdf and, with `png`, DIR/page-N.png; and the prose alone printed
 * to a temporary PDF, to count its pages.
 */
async function printReport(
  report: string,
  figures: Figure[],
  svgs: Map<string, string>,
  out: string,
  png: boolean,
): Promise<{ pdf: string; pages: number; prose_pages: number; png?: string[] }> {
  const log = getLogger(["airq", "analysis"]);
  const file = join(out, "report.html");
  await writeFile(file, analysisPrintHtml(report, figures, svgs));
  const pdf = join(out, "report.pdf");
  const printed = await printPages(file, pdf, png);
  const tmp = await Deno.makeTempDir({ prefix: "airq-analysis-prose-" });
  let prosePages: number;
  try {
    const prose = join(tmp, "prose.html");
    await writeFile(prose, analysisPrintHtml(report, figures, svgs, false));
    prosePages = await printPdf(prose, join(tmp, "prose.pdf"));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  log.info("Printed {pdf}: {pages} A4 pages, the prose {prose} of them", {
    pdf,
    pages: printed.pages,
    prose: prosePages,
  });
  return {
    pdf,
    pages: printed.pages,
    prose_pages: prosePages,
    ...(png ? { png: printed.png } : {}),
  };
}

if (import.meta.main) {
  await runCommand(CLI, async (values) => {
    await configureLogging();
    return await analyze(values);
  });
}
