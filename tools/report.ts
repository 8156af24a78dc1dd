/**
 * `deno task report [--out DIR] [--pdf] [--evaluation PATH] [--bench PATH]
 * [--realtime PATH] [--monitor PATH] [--input PATH]`: the final report,
 * DIR/index.html (default `docs/reports/final`; figures inline SVG), built only
 * from airq's outputs: the analysis of the dataset, the preprocessing
 * statistics, the configs (topics, consumer, forecast, alerts, monitoring) and
 * these JSON files, each optional (a missing one makes its section say which
 * command writes it; nothing heavy is run):
 *
 * | option         | file                      | written by                                         |
 * | -------------- | ------------------------- | -------------------------------------------------- |
 * | `--evaluation` | `evaluation.json`         | `deno task evaluate --json PATH`                   |
 * | `--bench`      | `bench-ingest.json`       | `deno task bench ingest --json PATH`               |
 * | `--realtime`   | `bench-realtime.json`     | `deno task bench realtime --json PATH`             |
 * | `--monitor`    | `monitor.json`            | `deno task monitor --db PATH > PATH`               |
 * |                | `drill-consumer-kill.json`, `drill-broker-restart.json` | `deno task drill NAME --json PATH` |
 *
 * Without its option a file is read from `var/`, or else from its committed
 * copy in `docs/reports/`. `--pdf` also prints DIR/index.pdf (A4) with Chromium
 * (`chromium` on PATH) and reports its page count.
 *
 * ```sh
 * deno run --no-prompt --allow-read=..,$HOME,/tmp --allow-write=.,$HOME,/tmp \
 *   --allow-env=AIRQ_*,HOME,INIT_CWD --allow-net=archive.ics.uci.edu --allow-run=chromium report.ts
 * ```
 *
 * @module
 */
import { z } from "zod";
import { IngestResultSchema, RealtimeResultSchema } from "../lib/records/mod.ts";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  ANALYSIS_CONFIG_FILE,
  AnalysisConfigSchema,
  analyzeFrame,
  countableLimits,
  frameFromRows,
} from "../lib/analysis/mod.ts";
import { analysisFigures } from "../lib/render/mod.ts";
import {
  type DrillResult,
  finalFigures,
  finalReportHtml,
  parseMonitorOutput,
} from "../lib/reports/final.ts";
import { pdfPageCount } from "../lib/render/pdf.ts";
import { ALERTS_CONFIG_FILE, AlertsConfigSchema } from "../lib/alerts/mod.ts";
import { println, runMain } from "../lib/cli/io.ts";
import { userPath } from "../lib/cli/paths.ts";
import {
  CONFIG_DIR,
  ConsumerConfigSchema,
  loadConfig,
  loadTopicsConfig,
} from "../lib/config/mod.ts";
import { readUciFile, resolveDatasetPath } from "../lib/dataset/mod.ts";
import { renderFigures } from "../lib/render/mod.ts";
import type { EvaluationReport } from "../lib/offline/evaluate.ts";
import { ForecastConfigSchema } from "../lib/offline/mod.ts";
import { configureLogging, getLogger } from "../lib/log.ts";
import { MONITORING_CONFIG_FILE, MonitoringConfigSchema } from "../lib/monitoring/mod.ts";
import { QUALITY_CONFIG_FILE, QualityRulesSchema } from "../lib/quality/mod.ts";
import { preprocessingStats } from "../lib/reports/preprocessing.ts";

const FIGURES = ["exceedances", "profiles", "drift"];
const DRILLS = ["drill-consumer-kill.json", "drill-broker-restart.json"];
const USAGE =
  "Usage: deno task report [--out DIR] [--pdf] [--png] [--evaluation PATH] [--bench PATH] " +
  "[--realtime PATH] [--monitor PATH] [--input PATH]\n" +
  "  --png  with --pdf: also render every printed page to DIR/page-N.png (needs pdftoppm, Debian's poppler-utils)";

/** Renders every page of `pdf` to `<dir>/page-N.png` with pdftoppm; returns the files in page order. */
export async function pagesToPng(pdf: string, dir: string, dpi = 60): Promise<string[]> {
  for await (const e of Deno.readDir(dir)) {
    if (/^page-\d+\.png$/.test(e.name)) await rm(join(dir, e.name));
  }
  const out = await new Deno.Command("pdftoppm", {
    args: ["-r", String(dpi), "-png", resolve(pdf), join(resolve(dir), "page")],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output().catch((error) => {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error("--png needs pdftoppm: install Debian's poppler-utils");
    }
    throw error;
  });
  if (!out.success) {
    throw new Error(`pdftoppm exited with ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
  }
  // pdftoppm pads page numbers to the width of the last one (page-01.png …); drop the padding.
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const m = /^page-(\d+)\.png$/.exec(e.name);
    if (m !== null) files.push(e.name);
  }
  files.sort();
  const named: string[] = [];
  for (const name of files) {
    const n = Number(/^page-(\d+)\.png$/.exec(name)![1]);
    const to = join(dir, `page-${n}.png`);
    if (name !== `page-${n}.png`) await Deno.rename(join(dir, name), to);
    named.push(to);
  }
  return named.sort((a, b) =>
    Number(/(\d+)\.png$/.exec(a)![1]) - Number(/(\d+)\.png$/.exec(b)![1])
  );
}

/** The user's path, or `var/<name>` when it exists, else the committed `docs/reports/<name>`. */
async function inputPath(explicit: string | undefined, name: string): Promise<string> {
  if (explicit !== undefined) return userPath(explicit);
  for (const dir of ["var", "docs/reports"]) {
    const path = join(dir, name);
    if (await stat(path).then(() => true, () => false)) return path;
  }
  return join("var", name);
}

async function readJson<T>(path: string, schema?: z.ZodType<T>): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return null;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`Cannot read "${path}": not JSON (${(error as Error).message})`);
  }
  if (schema === undefined) return json as T;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `"${path}" is not the file its command writes: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** Prints `html` to `pdf` (A4, the page's own print CSS) with headless Chromium; returns the page count. */
async function printPdf(html: string, pdf: string): Promise<number> {
  const profile = await Deno.makeTempDir({ prefix: "airq-report-chromium-" });
  try {
    const out = await new Deno.Command("chromium", {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        `--user-data-dir=${profile}`,
        "--no-pdf-header-footer",
        `--print-to-pdf=${resolve(pdf)}`,
        pathToFileURL(resolve(html)).href,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output().catch((error) => {
      if (error instanceof Deno.errors.NotFound) {
        throw new Error("--pdf needs Chromium: no `chromium` on PATH");
      }
      throw error;
    });
    if (!out.success) {
      const tail = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join("\n");
      throw new Error(`chromium exited with ${out.code} printing ${pdf}:\n${tail}`);
    }
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
  return pdfPageCount(await readFile(pdf));
}

/** Builds the final report; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      input: { type: "string" },
      out: { type: "string" },
      evaluation: { type: "string" },
      bench: { type: "string" },
      realtime: { type: "string" },
      monitor: { type: "string" },
      pdf: { type: "boolean" },
      png: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    println(USAGE);
    return 0;
  }
  if (values.png && !values.pdf) throw new Error("--png renders the printed pages: add --pdf");
  const config = await loadConfig(new URL(ANALYSIS_CONFIG_FILE, CONFIG_DIR), AnalysisConfigSchema);
  const rules = await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema);
  const topics = await loadTopicsConfig();
  const consumer = await loadConfig(new URL("consumer.json", CONFIG_DIR), ConsumerConfigSchema);
  const forecast = await loadConfig(new URL("forecast.json", CONFIG_DIR), ForecastConfigSchema);
  const alerts = await loadConfig(new URL(ALERTS_CONFIG_FILE, CONFIG_DIR), AlertsConfigSchema);
  const monitoring = await loadConfig(
    new URL(MONITORING_CONFIG_FILE, CONFIG_DIR),
    MonitoringConfigSchema,
  );
  const dataset = await resolveDatasetPath({
    explicitPath: values.input === undefined ? undefined : userPath(values.input),
  });
  const out = values.out === undefined ? "docs/reports/final" : userPath(values.out);
  const evaluationPath = await inputPath(values.evaluation, "evaluation.json");
  const benchPath = await inputPath(values.bench, "bench-ingest.json");
  const realtimePath = await inputPath(values.realtime, "bench-realtime.json");
  const monitorPath = await inputPath(values.monitor, "monitor.json");
  const monitorJson = await readJson<unknown>(monitorPath);
  const inputs = {
    evaluation: { path: evaluationPath, report: await readJson<EvaluationReport>(evaluationPath) },
    bench: { path: benchPath, result: await readJson(benchPath, IngestResultSchema) },
    realtime: { path: realtimePath, result: await readJson(realtimePath, RealtimeResultSchema) },
    monitor: {
      path: monitorPath,
      output: monitorJson === null ? null : parseMonitorOutput(monitorJson, monitorPath),
    },
    drills: await Promise.all(DRILLS.map(async (name) => {
      const path = await inputPath(undefined, name);
      return { path, result: await readJson<DrillResult>(path) };
    })),
  };
  const rows = await Array.fromAsync(readUciFile(dataset.path));
  const analysis = analyzeFrame(frameFromRows(rows), config, countableLimits(alerts.limits));
  const figures = [
    ...analysisFigures(analysis).filter((f) => FIGURES.includes(f.id)),
    ...finalFigures(inputs),
  ];
  const svgs = await renderFigures(figures);
  const preprocessing = await preprocessingStats(
    (async function* () {
      yield* rows;
    })(),
    rules,
  );
  const html = finalReportHtml({
    analysis,
    figures,
    svgs,
    preprocessing,
    topics,
    consumerGroup: consumer.groupId,
    ...inputs,
    alerts,
    monitoring,
    forecast: { targets: forecast.targets, horizonsH: forecast.horizonsH },
    qualityAlerts: preprocessing.alerts,
    dataset: dataset.path.split("/").at(-1) ?? dataset.path,
    date: new Date().toISOString().slice(0, 10),
  });
  await mkdir(out, { recursive: true });
  const file = join(out, "index.html");
  await writeFile(file, html);
  const log = getLogger(["airq", "analysis"]);
  log.info("Final report written to {file}", { file });
  if (!values.pdf) {
    println(JSON.stringify({ html: file }));
    return 0;
  }
  const pdf = join(out, "index.pdf");
  const pages = await printPdf(file, pdf);
  log.info("Printed {pdf}: {pages} A4 pages", { pdf, pages });
  const pngs = values.png ? await pagesToPng(pdf, out) : [];
  if (pngs.length !== 0 && pngs.length !== pages) {
    throw new Error(`pdftoppm rendered ${pngs.length} pages of a ${pages}-page PDF`);
  }
  println(JSON.stringify({ html: file, pdf, pages, ...(values.png ? { png: pngs } : {}) }));
  return 0;
}

if (import.meta.main) {
  await configureLogging({ format: "text" });
  await runMain(() => main(Deno.args));
}
