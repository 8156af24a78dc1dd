/**
 * `deno task report [--out DIR] [--pdf] [--evaluation PATH] [--bench PATH]
 * [--realtime PATH] [--monitor PATH] [--input PATH] [--omit LIST] [--json [PATH]]`:
 * the final report, DIR/index.html (default `docs/reports/final`; figures
 * inline SVG), built only from airq's outputs: the analysis of the dataset,
 * the preprocessing statistics, the configs (topics, consumer, forecast,
 * alerts, monitoring) and these JSON files. A missing file is a usage error
 * unless `--omit` names its section (which then says which command writes
 * it); the drill reports are read when present. The monitoring is that of
 * the test window (after the models' training window), replayed by
 * `deno task bench parity --keep-store PATH` with weekly refits. Nothing heavy is run:
 *
 * | option         | file                      | written by                                         |
 * | -------------- | ------------------------- | -------------------------------------------------- |
 * | `--evaluation` | `evaluation.json`         | `deno task evaluate --json PATH`                   |
 * | `--bench`      | `bench-ingest.json`       | `deno task bench ingest --json PATH`               |
 * | `--realtime`   | `bench-realtime.json`     | `deno task bench realtime --json PATH`             |
 * | `--monitor`    | `monitor-test-window.json` | `deno task monitor --db PATH --episodes --json PATH` |
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
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ANALYSIS_CONFIG_FILE,
  AnalysisConfigSchema,
  analyzeFrame,
  countableLimits,
  frameFromRows,
} from "../lib/analysis/mod.ts";
import { analysisFigures } from "../lib/render/mod.ts";
import { finalFigures, finalReportHtml, parseMonitorOutput } from "../lib/reports/final.ts";
import { printPages } from "../lib/cli/print.ts";
import { ALERTS_CONFIG_FILE, AlertsConfigSchema } from "../lib/alerts/mod.ts";
import { println, UsageError } from "../lib/cli/io.ts";
import { envPath } from "../lib/cli/paths.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "../lib/cli/command.ts";
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

const FIGURES = ["exceedances", "profiles", "drift"];
const DRILLS = ["drill-consumer-kill.json", "drill-broker-restart.json"];
const SECTIONS = ["evaluation", "bench", "realtime", "monitor"] as const;
type Section = typeof SECTIONS[number];

const CLI = defineCommand({
  task: "report",
  description: "The final report, DIR/index.html (figures inline SVG), built only from airq's " +
    "outputs: the analysis, the preprocessing statistics, the configs and the JSON files below. " +
    "A JSON file not given is read from var/, else from its committed copy in docs/reports/; " +
    "a missing one is an error unless --omit names its section.",
  options: {
    input: opt.path("the UCI CSV", {
      input: true,
      default: "AIRQ_DATASET, the shared copy, or a verified download",
    }),
    out: opt.path("where index.html (and index.pdf) go", {
      value: "DIR",
      default: "docs/reports/final",
    }),
    evaluation: opt.path("written by deno task evaluate --json PATH", {
      input: true,
      default: "evaluation.json",
    }),
    bench: opt.path("written by deno task bench ingest --json PATH", {
      input: true,
      default: "bench-ingest.json",
    }),
    realtime: opt.path("written by deno task bench realtime --json PATH", {
      input: true,
      default: "bench-realtime.json",
    }),
    monitor: opt.path(
      "written by deno task monitor --episodes --json PATH on the store of " +
        "deno task bench parity --keep-store PATH (the test window, out of sample)",
      { input: true, default: "monitor-test-window.json" },
    ),
    omit: opt.custom(
      "sections to leave out (they say which command writes their file) instead of failing " +
        "on a missing file",
      {
        value: "LIST",
        expected: `comma-separated names of ${SECTIONS.join(", ")}`,
        check: omitted,
      },
    ),
    pdf: opt.flag("also print DIR/index.pdf (A4) with Chromium (`chromium` on PATH)"),
    png: opt.flag(
      "with --pdf: also render every printed page to DIR/page-N.png (needs pdftoppm, Debian's " +
        "poppler-utils)",
    ),
    json: opt.json("where the summary JSON goes: stdout (the default), or with PATH that file"),
  },
  notes: "Optional: the drill reports drill-consumer-kill.json and drill-broker-restart.json " +
    "(deno task drill NAME --json PATH), read from var/ or docs/reports/ when present.",
});

/** `--omit`: the sections named, each one of `SECTIONS`. */
function omitted(text: string | undefined): Set<Section> {
  const names = (text ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new UsageError(`"${name}" is not a section`);
    }
  }
  return new Set(names as Section[]);
}

/** `var/<name>` when it exists, else `docs/reports/<name>` when it exists, else null. */
async function presentPath(name: string): Promise<string | null> {
  for (const dir of ["var", "docs/reports"]) {
    const path = join(dir, name);
    if (await stat(path).then(() => true, () => false)) return path;
  }
  return null;
}

/**
 * The file of a section: the user's path (checked by the parser), `var/<name>`
 * when it exists, else the committed `docs/reports/<name>`; null when the
 * section is omitted.
 *
 * @throws {UsageError} when no file exists and the section is not omitted.
 */
async function inputPath(
  explicit: string | undefined,
  name: string,
  section: Section,
  omit: Set<Section>,
): Promise<string | null> {
  if (omit.has(section)) {
    if (explicit !== undefined) throw new UsageError(`--${section} and --omit ${section} conflict`);
    return null;
  }
  if (explicit !== undefined) return explicit;
  const present = await presentPath(name);
  if (present !== null) return present;
  throw new UsageError(
    `no ${name} in var/ or docs/reports/: give --${section} PATH, or leave the section out ` +
      `with --omit ${section}`,
  );
}

/** The file at `path` as its one schema says (`writer` is the command that writes it); null when absent or omitted. */
async function readJson<S extends z.ZodType>(
  path: string | null,
  schema: S,
  writer: string,
): Promise<z.output<S> | null> {
  if (path === null) return null;
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

/** Builds the final report from `args` (command-line arguments); returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await build(CLI.parse(args));
}

async function build(values: ArgsOf<typeof CLI>): Promise<number> {
  if (values.png && !values.pdf) throw new UsageError("--png renders the printed pages: add --pdf");
  const omit = omitted(values.omit);
  const evaluationPath = await inputPath(values.evaluation, "evaluation.json", "evaluation", omit);
  const benchPath = await inputPath(values.bench, "bench-ingest.json", "bench", omit);
  const realtimePath = await inputPath(values.realtime, "bench-realtime.json", "realtime", omit);
  const monitorPath = await inputPath(
    values.monitor,
    "monitor-test-window.json",
    "monitor",
    omit,
  );
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
    explicitPath: values.input ?? envPath("AIRQ_DATASET"),
  });
  const out = values.out ?? "docs/reports/final";
  const monitorJson = await readJson(monitorPath, z.unknown(), "deno task monitor");
  const shown = (path: string | null, name: string) => path ?? join("var", name);
  const inputs = {
    evaluation: {
      path: shown(evaluationPath, "evaluation.json"),
      report: await readJson(evaluationPath, EvaluationReportSchema, EVALUATION_WRITER),
    },
    bench: {
      path: shown(benchPath, "bench-ingest.json"),
      result: await readJson(benchPath, IngestResultSchema, "deno task bench ingest --json PATH"),
    },
    realtime: {
      path: shown(realtimePath, "bench-realtime.json"),
      result: await readJson(
        realtimePath,
        RealtimeResultSchema,
        "deno task bench realtime --json PATH",
      ),
    },
    monitor: {
      path: shown(monitorPath, "monitor-test-window.json"),
      output: monitorJson === null || monitorPath === null
        ? null
        : parseMonitorOutput(monitorJson, monitorPath),
    },
    drills: await Promise.all(DRILLS.map(async (name) => {
      const path = await presentPath(name);
      return {
        path: path ?? join("var", name),
        result: await readJson(path, DrillReportSchema, DRILL_WRITER),
      };
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
  let summary: Record<string, unknown> = { html: file };
  if (values.pdf) {
    const pdf = join(out, "index.pdf");
    const { pages, png: pngs } = await printPages(file, pdf, values.png);
    log.info("Printed {pdf}: {pages} A4 pages", { pdf, pages });
    summary = { html: file, pdf, pages, ...(values.png ? { png: pngs } : {}) };
  }
  await writeJson(values.json ?? { path: null }, summary);
  if (values.json?.path) println(`wrote ${file}`);
  return 0;
}

if (import.meta.main) {
  await runCommand(CLI, async (values) => {
    await configureLogging();
    return await build(values);
  });
}
