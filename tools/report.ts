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
import {
  DRILL_WRITER,
  DrillReportSchema,
  EVALUATION_WRITER,
  EvaluationReportSchema,
  IngestResultSchema,
  parseFileAs,
  RealtimeResultSchema,
} from "../lib/records/mod.ts";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  ANALYSIS_CONFIG_FILE,
  AnalysisConfigSchema,
  analyzeFrame,
  frameFromRows,
} from "../lib/analysis/mod.ts";
import { analysisFigures } from "../lib/render/mod.ts";
import { finalFigures, finalReportHtml, parseMonitorOutput } from "../lib/reports/final.ts";
import { pdfPageCount } from "../lib/render/pdf.ts";
import { ALERTS_CONFIG_FILE, AlertsConfigSchema } from "../lib/alerts/mod.ts";
import { env, println, runMain } from "../lib/cli/io.ts";
import { userPath } from "../lib/cli/paths.ts";
import {
  CONFIG_DIR,
  ConsumerConfigSchema,
  loadConfig,
  loadTopicsConfig,
} from "../lib/config/mod.ts";
import { readUciFile, resolveDatasetPath } from "../lib/dataset/mod.ts";
import { renderFigures } from "../lib/render/mod.ts";
import { ForecastConfigSchema } from "../lib/offline/mod.ts";
import { configureLogging, getLogger } from "../lib/log.ts";
import { MONITORING_CONFIG_FILE, MonitoringConfigSchema } from "../lib/monitoring/mod.ts";
import { QUALITY_CONFIG_FILE, QualityRulesSchema } from "../lib/quality/mod.ts";
import { preprocessingStats } from "../lib/reports/preprocessing.ts";

const FIGURES = ["profiles", "drift"];
const DRILLS = ["drill-consumer-kill.json", "drill-broker-restart.json"];
const USAGE = "Usage: deno task report [--out DIR] [--pdf] [--evaluation PATH] [--bench PATH] " +
  "[--realtime PATH] [--monitor PATH] [--input PATH]";

/** The user's path, or `var/<name>` when it exists, else the committed `docs/reports/<name>`. */
async function inputPath(explicit: string | undefined, name: string): Promise<string> {
  if (explicit !== undefined) return userPath(explicit);
  for (const dir of ["var", "docs/reports"]) {
    const path = join(dir, name);
    if (await stat(path).then(() => true, () => false)) return path;
  }
  return join("var", name);
}

/** The file at `path` as its one schema says (`writer` is the command that writes it), or null when absent. */
async function readJson<S extends z.ZodType>(
  path: string,
  schema: S,
  writer: string,
): Promise<z.output<S> | null> {
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
  return parseFileAs(schema, json, path, writer);
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
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    println(USAGE);
    return 0;
  }
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
    explicitPath: values.input === undefined ? env("AIRQ_DATASET") : userPath(values.input),
  });
  const out = values.out === undefined ? "docs/reports/final" : userPath(values.out);
  const evaluationPath = await inputPath(values.evaluation, "evaluation.json");
  const benchPath = await inputPath(values.bench, "bench-ingest.json");
  const realtimePath = await inputPath(values.realtime, "bench-realtime.json");
  const monitorPath = await inputPath(values.monitor, "monitor.json");
  const monitorJson = await readJson(monitorPath, z.unknown(), "deno task monitor");
  const inputs = {
    evaluation: {
      path: evaluationPath,
      report: await readJson(evaluationPath, EvaluationReportSchema, EVALUATION_WRITER),
    },
    bench: {
      path: benchPath,
      result: await readJson(benchPath, IngestResultSchema, "deno task bench ingest --json PATH"),
    },
    realtime: {
      path: realtimePath,
      result: await readJson(
        realtimePath,
        RealtimeResultSchema,
        "deno task bench realtime --json PATH",
      ),
    },
    monitor: {
      path: monitorPath,
      output: monitorJson === null ? null : parseMonitorOutput(monitorJson, monitorPath),
    },
    drills: await Promise.all(DRILLS.map(async (name) => {
      const path = await inputPath(undefined, name);
      return { path, result: await readJson(path, DrillReportSchema, DRILL_WRITER) };
    })),
  };
  const rows = await Array.fromAsync(readUciFile(dataset.path));
  const analysis = analyzeFrame(frameFromRows(rows), config);
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
  println(JSON.stringify({ html: file, pdf, pages }));
  return 0;
}

if (import.meta.main) {
  await configureLogging({ format: "text" });
  await runMain(() => main(Deno.args));
}
