/**
 * `deno task evaluate`: the fixed evaluation protocol of issue 4 on the UCI
 * file — walk-forward forecasts on the test window, metrics with bootstrap
 * intervals, Diebold-Mariano tests, conformal intervals, the virtual sensor and
 * the NO2 early warning — written as JSON (`--json PATH`) and as a Markdown
 * summary (`config/forecast.json` `reportPath`, or `--report PATH`).
 *
 * ```
 * deno task evaluate [--input PATH] [--json PATH] [--report PATH] [--config PATH]
 * deno task evaluate --select [--windows 1344,2688,all] [--json PATH]   # validation search only
 * deno task evaluate --sarima [--json PATH]      # adds SARIMA rows (slow; timed as sarima_seconds)
 * deno task evaluate --select --sarima           # SARIMA's window, scale and blend weight on validation
 * ```
 *
 * Permissions (the `evaluate` task): `--allow-read` (config, the dataset),
 * `--allow-write=docs/reports,var,/tmp` plus the directory of `--json`,
 * `--allow-env=AIRQ_*,INIT_CWD,HOME,XDG_CACHE_HOME`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { CONFIG_DIR, loadConfig } from "../lib/config/mod.ts";
import {
  evaluateForecasts,
  ForecastConfigSchema,
  renderReport,
  renderSummary,
  replaceResultsBlock,
  selectOnValidation,
  selectSarimaOnValidation,
} from "../lib/offline/mod.ts";
import { loadSarima } from "../lib/models/mod.ts";
import { EvaluationReportSchema } from "../lib/records/mod.ts";
import { loadSeries } from "../lib/offline/load.ts";
import { env, println, runMain } from "../lib/cli/io.ts";
import { userPath } from "../lib/cli/paths.ts";
import { configureLogging, getLogger } from "../lib/log.ts";

const HELP = `Evaluate the forecasting models on the fixed test window.

  --input PATH    dataset (default: AIRQ_DATASET, ../shared/data/AirQualityUCI.csv, or the cache)
  --json PATH     write the full result as JSON
  --report PATH   Markdown summary (default: reportPath of config/forecast.json)
  --config PATH   forecasting config (default: config/forecast.json)
  --sarima        also run SARIMA (npm arima; about 1.5 minutes, reported as sarima_seconds);
                  on by default when "sarima.enabled" is true in the config
  --select        run the validation search instead and print its JSON (with --sarima: the
                  SARIMA search only)
  --windows LIST  training windows (hours, or "all") the search compares; default 1344,2688,all`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      input: { type: "string" },
      json: { type: "string" },
      report: { type: "string" },
      config: { type: "string" },
      select: { type: "boolean", default: false },
      sarima: { type: "boolean", default: false },
      windows: { type: "string", default: "1344,2688,all" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    println(HELP);
    return 0;
  }
  await configureLogging();
  const log = getLogger(["airq", "forecast", "evaluate"]);
  const configPath = values.config === undefined
    ? new URL("forecast.json", CONFIG_DIR)
    : userPath(values.config);
  const config = await loadConfig(configPath, ForecastConfigSchema);
  const started = performance.now();
  const input = values.input ?? env("AIRQ_DATASET");
  const { series, path } = await loadSeries(
    input === undefined ? undefined : userPath(input),
    config.utcOffset,
  );
  log.info("Loaded {hours} hours from {path}", { hours: series.length, path });
  const progress = (message: string) =>
    log.info("{step} after {seconds} s", {
      step: message,
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    });
  const withSarima = values.sarima || config.sarima.enabled;
  // loaded before anything else touches npm:arima, so its C printf never reaches stdout
  const sarima = withSarima ? await loadSarima() : undefined;
  if (values.select && sarima !== undefined) {
    const selection = selectSarimaOnValidation(
      series,
      config,
      sarima,
      [1000, 2000].flatMap((windowH) =>
        (["none", "log1p"] as const).map((transform) => ({ windowH, transform }))
      ),
      () => performance.now(),
      progress,
    );
    const text = JSON.stringify(selection, null, 2);
    if (values.json !== undefined) await writeText(userPath(values.json), text + "\n");
    println(text);
    return 0;
  }
  if (values.select) {
    const selection = selectOnValidation(
      series,
      config,
      values.windows.split(",").map((w) => (w.trim() === "all" ? null : Number(w))),
      [24, 168],
      progress,
    );
    const text = JSON.stringify(selection, null, 2);
    if (values.json !== undefined) await writeText(userPath(values.json), text + "\n");
    println(text);
    return 0;
  }
  const report = evaluateForecasts(series, config, {
    clock: () => performance.now(),
    onProgress: progress,
    ...(sarima === undefined ? {} : { sarima }),
  });
  report.timings_ms.total = performance.now() - started;
  // the one schema of the file, checked by its writer as by its readers
  const json = JSON.stringify(EvaluationReportSchema.parse(report), null, 2) + "\n";
  if (values.json !== undefined) await writeText(userPath(values.json), json);
  const reportPath = values.report === undefined ? config.reportPath : userPath(values.report);
  const command = `deno task evaluate${values.json === undefined ? "" : " --json PATH"}`;
  await writeText(reportPath, renderReport(report, command));
  if (values.report === undefined) {
    // the results block of docs/forecasting.md, next to the report
    const doc = join(dirname(reportPath), "..", "forecasting.md");
    try {
      const text = await Deno.readTextFile(doc);
      await Deno.writeTextFile(doc, replaceResultsBlock(text, renderSummary(report, command)));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  log.info("Wrote {report} in {seconds} s", {
    report: reportPath,
    seconds: (report.timings_ms.total / 1000).toFixed(1),
  });
  if (values.json === undefined) println(json.trimEnd());
  return 0;
}

async function writeText(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, text);
}

if (import.meta.main) await runMain(main);
