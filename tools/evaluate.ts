/**
 * `deno task evaluate`: the fixed evaluation protocol of issue 4 on the UCI
 * file — walk-forward forecasts on the test window, metrics with bootstrap
 * intervals, Diebold-Mariano tests, conformal intervals, the virtual sensor and
 * the NO2 early warning — written as JSON (`--json PATH`) and as a Markdown
 * summary (`config/forecast.json` `reportPath`, or `--report PATH`). `--json`
 * alone prints the JSON on stdout; without `--json` stdout gets one line.
 *
 * ```
 * deno task evaluate [--input PATH] [--json PATH] [--report PATH] [--config PATH]
 * deno task evaluate --select [--windows 1344,2688,all] [--json PATH]   # validation search only
 * deno task evaluate --sarima [--json PATH]      # adds SARIMA rows (slow; timed as sarima_seconds)
 * deno task evaluate --select --sarima           # SARIMA's window, scale and blend weight on validation
 * deno task evaluate --select --nowcast [--json PATH]  # the virtual sensor's options on validation
 * deno task evaluate --select --intervals [--json PATH]  # the regime-aware interval rule on validation
 * deno task evaluate --select --change [--json PATH]  # the change models' weights on validation
 * deno task evaluate --select --trees [--json PATH]  # the forecast trees' window on validation
 * ```
 *
 * Permissions (the `evaluate` task): `--allow-read` (config, the dataset),
 * `--allow-write=docs/reports,var,/tmp` plus the directory of `--json`,
 * `--allow-env=AIRQ_*,INIT_CWD,HOME,XDG_CACHE_HOME`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { CONFIG_DIR, loadConfig } from "../lib/config/mod.ts";
import {
  computeSarimaRuns,
  evaluateForecasts,
  evaluationSteps,
  evaluationWindow,
  ForecastConfigSchema,
  offsetMinutes,
  renderReport,
  renderSummary,
  replaceResultsBlock,
  sarimaWindow,
  selectNowcast,
  selectOnValidation,
  selectSarimaOnValidation,
  seriesIndex,
} from "../lib/offline/mod.ts";
import { buildFeatureMatrix } from "../lib/features/mod.ts";
import { loadSarima } from "../lib/models/mod.ts";
import { EvaluationReportSchema } from "../lib/records/mod.ts";
import { loadSeries } from "../lib/offline/load.ts";
import { cachedSequenceRun } from "../lib/offline/sequence_cache.ts";
import { cachedSarimaRuns } from "../lib/offline/sarima_cache.ts";
import { IntervalSelectionSchema, selectIntervals } from "../lib/offline/select_intervals.ts";
import { ChangeSelectionSchema, selectChange } from "../lib/offline/select_change.ts";
import { selectTrees, TreesSelectionSchema } from "../lib/offline/select_trees.ts";
import { runJobsInWorkers } from "../lib/offline/evaluate_workers.ts";
import { println, UsageError } from "../lib/cli/io.ts";
import { envPath } from "../lib/cli/paths.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "../lib/cli/command.ts";
import { StepProgress } from "../lib/cli/progress.ts";
import { configureLogging, getLogger } from "../lib/log.ts";

/** The change models' offset lookback: a week, the state's history (not searched). */
const CHANGE_LOOKBACK_H = 168;

const CLI = defineCommand({
  task: "evaluate",
  description: "Evaluate the forecasting models on the fixed test window (walk-forward, " +
    "bootstrap intervals, Diebold-Mariano tests, conformal intervals, the NO2 warning); " +
    "write the Markdown summary, and the JSON with --json.",
  options: {
    input: opt.path("the UCI CSV", {
      input: true,
      default: "AIRQ_DATASET, ../shared/data/AirQualityUCI.csv, or the cache",
    }),
    json: opt.json("the full result as JSON: on stdout, or with PATH in that file"),
    report: opt.path("Markdown summary", { default: "reportPath of config/forecast.json" }),
    config: opt.path("forecasting config", { input: true, default: "config/forecast.json" }),
    sarima: opt.flag(
      "also run SARIMA (npm arima; about 1.5 minutes, reported as sarima_seconds); on when " +
        '"sarima.enabled" is true in the config',
    ),
    intervals: opt.flag(
      "with --select: the regime-aware interval rules scored on the validation window (needs " +
        "SARIMA's walk-forward over it: a few minutes)",
    ),
    change: opt.flag(
      "with --select: the change models' tree weight, their blend weight beside the level " +
        "models and SARIMA's weight, on validation (needs SARIMA over it: a few minutes)",
    ),
    trees: opt.flag(
      "with --select: the forecast trees' training window and row subsample candidates, each " +
        "with the blend weights searched again, on validation (needs SARIMA over it: minutes)",
    ),
    nowcast: opt.flag(
      "with --select: the virtual sensor's search only (its candidates' validation and test MAE; " +
        "the choice reads validation only)",
    ),
    select: opt.flag(
      "run the validation search instead (its JSON on stdout, or --json PATH); with --sarima: " +
        "the SARIMA search only",
    ),
    windows: opt.custom("training windows (hours, or all) the search compares", {
      value: "LIST",
      expected: 'comma-separated whole numbers of hours or "all"',
      check: parseWindows,
      default: "1344,2688,all",
    }),
  },
  notes: "Progress: one log line per step (step k of N, ETA) on stderr.",
});

/** `--windows`: hours or "all" (null), comma-separated. */
function parseWindows(text: string): (number | null)[] {
  return text.split(",").map((w) => {
    if (w.trim() === "all") return null;
    const n = Number(w);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`"${w}" is not a window`);
    return n;
  });
}

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  await configureLogging();
  const log = getLogger(["airq", "forecast", "evaluate"]);
  const configPath = values.config ?? new URL("forecast.json", CONFIG_DIR);
  const config = await loadConfig(configPath, ForecastConfigSchema);
  const started = performance.now();
  const input = values.input ?? envPath("AIRQ_DATASET");
  const { series, path } = await loadSeries(input, config.utcOffset);
  log.info("Loaded {hours} hours from {path}", { hours: series.length, path });
  if (values.select && values.nowcast) {
    const steps = new StepProgress(null, log);
    const window = evaluationWindow(series, config);
    const selection = selectNowcast(
      series,
      buildFeatureMatrix(series, {
        mode: "nowcast",
        horizonH: 0,
        utcOffsetMin: offsetMinutes(config.utcOffset),
      }),
      config,
      {
        validationFrom: seriesIndex(series, config.validationWindow.from),
        validationTo: seriesIndex(series, config.validationWindow.to),
        testFrom: window.testFrom,
        testTo: window.testTo,
      },
      () => performance.now(),
      (message) => steps.step(message),
    );
    await writeJson(values.json ?? { path: null }, selection);
    return 0;
  }
  const withSarima = values.sarima || config.sarima.enabled;
  if (values.select && values.change) {
    const sarima = await loadSarima();
    const steps = new StepProgress(null, log);
    const selection = ChangeSelectionSchema.parse(
      selectChange(series, config, sarima, CHANGE_LOOKBACK_H, (message) => steps.step(message)),
    );
    await writeJson(values.json ?? { path: null }, selection);
    return 0;
  }
  if (values.select && values.trees) {
    const steps = new StepProgress(null, log);
    const selection = TreesSelectionSchema.parse(
      selectTrees(
        series,
        config,
        await loadSarima(),
        () => performance.now(),
        (m) => steps.step(m),
      ),
    );
    await writeJson(values.json ?? { path: null }, selection);
    return 0;
  }
  if (values.select && values.intervals) {
    const sarima = withSarima ? await loadSarima() : undefined;
    const steps = new StepProgress(null, log);
    const selection = IntervalSelectionSchema.parse(
      selectIntervals(series, config, sarima, (message) => steps.step(message)),
    );
    await writeJson(values.json ?? { path: null }, selection);
    return 0;
  }
  if (values.select) {
    // loaded before anything else touches npm:arima, so its C printf never reaches stdout
    const sarima = withSarima ? await loadSarima() : undefined;
    // the search's steps are not counted ahead: k steps and the time so far
    const steps = new StepProgress(null, log);
    const selection = sarima !== undefined
      ? selectSarimaOnValidation(
        series,
        config,
        sarima,
        [1000, 2000].flatMap((windowH) =>
          (["none", "log1p"] as const).map((transform) => ({ windowH, transform }))
        ),
        () => performance.now(),
        (message) => steps.step(message),
      )
      : selectOnValidation(
        series,
        config,
        parseWindows(values.windows),
        [24, 168],
        (message) => steps.step(message),
      );
    await writeJson(values.json ?? { path: null }, selection);
    return 0;
  }
  const progress = new StepProgress(evaluationSteps(config, withSarima), log);
  const window = evaluationWindow(series, config);
  // SARIMA runs from before the validation window when the warning uses `best` there
  const sarimaSpan = sarimaWindow(series, config, window);
  // the GRU (issue 17): cached under sequence.cacheDir, keyed by its inputs; `gru` rows only
  const t0 = performance.now();
  const sequence = config.sequence?.enabled
    ? await cachedSequenceRun(series, config, window, {
      clock: () => performance.now(),
    })
    : undefined;
  const sequenceMs = performance.now() - t0;
  // SARIMA: cached under sarima.cacheDir, keyed by its inputs; npm:arima is loaded on a miss only
  const t1 = performance.now();
  const sarima = withSarima
    ? await cachedSarimaRuns(
      series,
      config,
      sarimaSpan,
      async () =>
        computeSarimaRuns(
          await loadSarima(),
          series,
          config,
          sarimaSpan,
          () => performance.now(),
          (target, fits) => progress.step(`sarima ${target}: ${fits} fits`),
        ),
    )
    : undefined;
  if (sarima?.cached === true) {
    for (const target of config.targets) progress.step(`sarima ${target}: cached (${sarima.path})`);
  }
  const sarimaMs = performance.now() - t1;
  // the walk-forwards and the virtual sensor, one worker per core; the same numbers as in a row
  const precomputed = await runJobsInWorkers(series, config, {
    onJob: (r) => log.info("job {job} done in {s} s", { job: r.job, s: (r.ms / 1000).toFixed(1) }),
  });
  const report = evaluateForecasts(series, config, {
    clock: () => performance.now(),
    onProgress: (message) => progress.step(message),
    precomputed,
    ...(sarima === undefined ? {} : { sarimaRuns: sarima.runs }),
    ...(sequence === undefined ? {} : { sequence: sequence.run }),
  });
  if (sequence !== undefined) report.timings_ms.sequence = sequenceMs;
  if (sarima !== undefined && report.sarima !== null) {
    report.timings_ms.sarima = sarimaMs;
    report.sarima_seconds = sarimaMs / 1000;
    report.sarima.cached = sarima.cached;
    report.sarima.computed_seconds = sarima.runs.seconds;
  }
  report.timings_ms.total = performance.now() - started;
  // the one schema of the file, checked by its writer as by its readers
  if (values.json !== undefined) await writeJson(values.json, EvaluationReportSchema.parse(report));
  const reportPath = values.report ?? config.reportPath;
  const command = `deno task evaluate${values.json?.path ? " --json PATH" : ""}`;
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
  if (values.json === undefined) {
    println(`wrote ${reportPath}; the full result: deno task evaluate --json [PATH]`);
  }
  return 0;
}

async function writeText(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, text.endsWith("\n") ? text : text + "\n");
}

if (import.meta.main) await runCommand(CLI, main);
