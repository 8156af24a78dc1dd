/**
 * `deno task report [--out DIR] [--evaluation PATH] [--bench PATH] [--input PATH]`:
 * the final report, DIR/index.html (default `docs/reports/final`), built only
 * from airq's outputs: the analysis of the dataset, the preprocessing
 * statistics, `config/topics.json`, the evaluation JSON (default
 * `var/evaluation.json`, from `deno task evaluate --json PATH`) and the bench
 * JSON (default `var/bench-ingest.json`, from `deno task bench ingest --json PATH`).
 * A missing JSON makes its section say so; nothing heavy is run.
 *
 * ```sh
 * deno run --no-prompt --allow-read=..,$HOME,/tmp --allow-write=.,$HOME,/tmp \
 *   --allow-env=AIRQ_*,HOME,INIT_CWD --allow-net=archive.ics.uci.edu report.ts
 * ```
 *
 * @module
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  ANALYSIS_CONFIG_FILE,
  AnalysisConfigSchema,
  analysisFigures,
  analyzeFrame,
  frameFromRows,
} from "./lib/analysis/mod.ts";
import { type BenchIngest, finalReportHtml } from "./lib/analysis/final.ts";
import { env, println, runMain } from "./lib/cli.ts";
import { userPath } from "./lib/cli_paths.ts";
import { CONFIG_DIR, loadConfig, loadTopicsConfig } from "./lib/config/mod.ts";
import { readUciFile, resolveDatasetPath } from "./lib/dataset/mod.ts";
import { renderFigures } from "./lib/figures/mod.ts";
import type { EvaluationReport } from "./lib/forecast/evaluate.ts";
import { configureLogging, getLogger } from "./lib/log.ts";
import { QUALITY_CONFIG_FILE, QualityRulesSchema } from "./lib/quality/mod.ts";
import { preprocessingStats } from "./lib/reports/preprocessing.ts";

const FIGURES = ["profiles", "drift"];

async function readJson<T>(path: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return null;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new SyntaxError(`Cannot read "${path}": not JSON (${(error as Error).message})`);
  }
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
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    println(
      "Usage: deno task report [--out DIR] [--evaluation PATH] [--bench PATH] [--input PATH]",
    );
    return 0;
  }
  const config = await loadConfig(new URL(ANALYSIS_CONFIG_FILE, CONFIG_DIR), AnalysisConfigSchema);
  const rules = await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema);
  const topics = await loadTopicsConfig();
  const dataset = await resolveDatasetPath({
    explicitPath: values.input === undefined ? env("AIRQ_DATASET") : userPath(values.input),
  });
  const out = values.out === undefined ? "docs/reports/final" : userPath(values.out);
  const evaluationPath = values.evaluation === undefined
    ? "var/evaluation.json"
    : userPath(values.evaluation);
  const benchPath = values.bench === undefined ? "var/bench-ingest.json" : userPath(values.bench);
  const rows = await Array.fromAsync(readUciFile(dataset.path));
  const analysis = analyzeFrame(frameFromRows(rows), config);
  const figures = analysisFigures(analysis).filter((f) => FIGURES.includes(f.id));
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
    evaluation: { path: evaluationPath, report: await readJson<EvaluationReport>(evaluationPath) },
    bench: { path: benchPath, result: await readJson<BenchIngest>(benchPath) },
    dataset: dataset.path.split("/").at(-1) ?? dataset.path,
    date: new Date().toISOString().slice(0, 10),
  });
  await mkdir(out, { recursive: true });
  const file = join(out, "index.html");
  await writeFile(file, html);
  getLogger(["airq", "analysis"]).info("Final report written to {file}", { file });
  println(JSON.stringify({ html: file }));
  return 0;
}

if (import.meta.main) {
  await configureLogging({ format: "text" });
  await runMain(() => main(Deno.args));
}
