/**
 * `deno task analyze [--input PATH] [--out DIR] [--markdown PATH]`: the analysis
 * of the UCI file. Writes DIR/index.html (default `docs/reports/analysis`) with
 * every figure as inline SVG, and the analytical report (default
 * `docs/analysis.md`; with a non-default `--out`, `DIR/analysis.md`).
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
import { parseArgs } from "node:util";
import {
  ANALYSIS_CONFIG_FILE,
  AnalysisConfigSchema,
  analyzeFrame,
  countableLimits,
  frameFromRows,
} from "../lib/analysis/mod.ts";
import { ALERTS_CONFIG_FILE, AlertsConfigSchema } from "../lib/alerts/mod.ts";
import { println, runMain } from "../lib/cli/io.ts";
import { userPath } from "../lib/cli/paths.ts";
import { CONFIG_DIR, loadConfig } from "../lib/config/mod.ts";
import { readUciFile, resolveDatasetPath } from "../lib/dataset/mod.ts";
import {
  analysisFigures,
  analysisHtml,
  analysisMarkdown,
  renderFigures,
} from "../lib/render/mod.ts";
import { configureLogging, getLogger } from "../lib/log.ts";

const DEFAULT_OUT = "docs/reports/analysis";
const DEFAULT_MARKDOWN = "docs/analysis.md";
const USAGE = `Usage: deno task analyze [--input PATH] [--out DIR] [--markdown PATH] [--config PATH]
  --input PATH     the UCI CSV (default: AIRQ_DATASET, the shared copy, or a verified download)
  --out DIR        where index.html goes (default ${DEFAULT_OUT})
  --markdown PATH  the analytical report (default ${DEFAULT_MARKDOWN}, or DIR/analysis.md with --out)
  --config PATH    settings (default config/${ANALYSIS_CONFIG_FILE})`;

/** Runs the analysis; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      input: { type: "string" },
      out: { type: "string" },
      markdown: { type: "string" },
      config: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return (println(USAGE), 0);
  const log = getLogger(["airq", "analysis"]);
  const started = performance.now();
  const config = await loadConfig(
    values.config === undefined
      ? new URL(ANALYSIS_CONFIG_FILE, CONFIG_DIR)
      : userPath(values.config),
    AnalysisConfigSchema,
  );
  const dataset = await resolveDatasetPath({
    explicitPath: values.input === undefined ? undefined : userPath(values.input),
  });
  const out = values.out === undefined ? DEFAULT_OUT : userPath(values.out);
  const markdown = values.markdown !== undefined
    ? userPath(values.markdown)
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
  await writeFile(markdown, analysisMarkdown(analysis, { ...source, figuresLink: link }));
  log.info("Analysis written to {html} and {markdown}", {
    html,
    markdown,
    rows: rows.length,
    figures: figures.length,
    analyse_ms: Math.round(analysed - started),
    render_ms: Math.round(rendered - analysed),
  });
  println(
    JSON.stringify({ html, markdown, figures: figures.length, episodes: analysis.episodes.length }),
  );
  return 0;
}

if (import.meta.main) {
  await configureLogging({ format: "text" });
  await runMain(() => main(Deno.args));
}
