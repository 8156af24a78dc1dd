/**
 * `deno task sequence`: the GRU sequence model (issue 17) on its own — its walk-forward (from the
 * cache when its inputs have not changed, or `--refresh`), scored on the validation and the test
 * windows in the evaluation's metrics, with its cost; `--backends` also times tfjs's WebAssembly
 * and JavaScript backends on a fixed small workload. Writes `docs/reports/sequence.json` (or
 * `--json PATH`), and the comparison block of docs/forecasting.md (`--doc`) against
 * docs/reports/evaluation.json (`--evaluation`).
 *
 * ```
 * deno task sequence [--input PATH] [--config PATH] [--json PATH] [--evaluation PATH] [--doc PATH]
 *                   [--refresh] [--backends] [--skip-validation]
 * ```
 *
 * @module
 */
import { CONFIG_DIR, loadConfig } from "../lib/config/mod.ts";
import { evaluationWindow, ForecastConfigSchema } from "../lib/offline/mod.ts";
import { loadSeries } from "../lib/offline/load.ts";
import { cachedSequenceRun } from "../lib/offline/sequence_cache.ts";
import { sequenceChannels } from "../lib/offline/sequence.ts";
import {
  EvaluationSliceSchema,
  meanSkill,
  renderSequenceBlock,
  replaceSequenceBlock,
  type SequenceReport,
  SequenceReportSchema,
  sequenceRows,
  validationBlend,
  validationSpan,
} from "../lib/offline/sequence_report.ts";
import { loadSarima } from "../lib/models/mod.ts";
import { GruNetwork, type TfBackendName, useTfBackend } from "../lib/models/gru.ts";
import { mulberry32 } from "../lib/random.ts";
import { envPath } from "../lib/cli/paths.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "../lib/cli/command.ts";
import { configureLogging, getLogger } from "../lib/log.ts";

const CLI = defineCommand({
  task: "sequence",
  description: "The GRU sequence model: walk-forward (cached), validation and test scores, cost; " +
    "writes docs/reports/sequence.json.",
  options: {
    input: opt.path("the UCI CSV", {
      input: true,
      default: "AIRQ_DATASET, ../shared/data/AirQualityUCI.csv, or the cache",
    }),
    config: opt.path("forecasting config", { input: true, default: "config/forecast.json" }),
    json: opt.json("the report: with PATH in that file (default docs/reports/sequence.json)"),
    evaluation: opt.path("the evaluation JSON the docs block compares against", {
      input: true,
      default: "docs/reports/evaluation.json",
    }),
    doc: opt.path("the Markdown file whose sequence block is rewritten", {
      default: "docs/forecasting.md",
    }),
    refresh: opt.flag("fit again even when the cache holds this run"),
    backends: opt.flag("also time the wasm and cpu tfjs backends on a fixed small workload"),
    "skip-validation": opt.flag(
      "skip the blend search on validation (it walks ridge, trees and SARIMA over the validation " +
        "window: a few minutes)",
    ),
  },
});

const WORKLOAD = { windows: 1000, lookback: 24, units: 32, outputs: 12, epochs: 2 };

/** Fit and predict seconds of the fixed workload on one backend. */
async function timeBackend(backend: TfBackendName) {
  await useTfBackend(backend);
  const { windows, lookback, units, outputs, epochs } = WORKLOAD;
  const inputs = sequenceChannels();
  const random = mulberry32(1);
  const x = Float32Array.from({ length: windows * lookback * inputs }, () => random() - 0.5);
  const y = Float32Array.from({ length: windows * outputs }, () => random() - 0.5);
  const net = new GruNetwork({
    lookback,
    inputs,
    outputs,
    units,
    learningRate: 0.003,
    batchSize: 64,
    seed: 1,
  });
  try {
    const t0 = performance.now();
    net.fit(x, y, windows, epochs);
    const t1 = performance.now();
    net.predict(x, windows);
    return {
      backend,
      fit_seconds: (t1 - t0) / 1000,
      predict_seconds: (performance.now() - t1) / 1000,
    };
  } finally {
    net.dispose();
  }
}

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  await configureLogging();
  const log = getLogger(["airq", "forecast", "sequence"]);
  const config = await loadConfig(
    values.config ?? new URL("forecast.json", CONFIG_DIR),
    ForecastConfigSchema,
  );
  const settings = config.sequence;
  if (settings === undefined) throw new Error("the config has no sequence section");
  // loaded before anything else touches npm:arima, so its C printf never reaches stdout
  const sarima = !values["skip-validation"] && config.sarima.enabled
    ? await loadSarima()
    : undefined;
  const { series } = await loadSeries(values.input ?? envPath("AIRQ_DATASET"), config.utcOffset);
  const window = evaluationWindow(series, config);
  const backends = values.backends ? [await timeBackend("cpu"), await timeBackend("wasm")] : null;
  const cached = await cachedSequenceRun(series, config, window, {
    clock: () => performance.now(),
    refresh: values.refresh,
  });
  log.info("GRU: {fits} fits, {seconds} s fitting, cached: {cached}", {
    fits: cached.run.fits,
    seconds: Math.round(cached.run.fitSeconds * 10) / 10,
    cached: cached.cached,
  });
  const v = validationSpan(series, config, window);
  const validation = sequenceRows(series, config, cached.run, v.from, v.to);
  const test = sequenceRows(series, config, cached.run, window.testFrom, window.testTo);
  const blend = values["skip-validation"]
    ? null
    : validationBlend(series, config, cached.run, v, sarima, (m) => log.info(m));
  const weighted = blend?.filter((b) => b.g > 0) ?? [];
  const { enabled: _e, cacheDir: _c, blendWeight: _w, ...fit } = settings;
  const report: SequenceReport = SequenceReportSchema.parse({
    command: "deno task sequence" + (values.backends ? " --backends" : "") +
      (values["skip-validation"] ? " --skip-validation" : ""),
    settings: fit,
    schedule: `fit ${settings.epochs} epochs on the ${settings.trainWindowH} h before the first ` +
      `block, then fine-tune ${settings.fineTuneEpochs} epochs on the latest ` +
      `${settings.trainWindowH} h every ${settings.fineTuneEveryH} h (blocks aligned on the test ` +
      "start); one network for every target and horizon; seeds fixed",
    cost: {
      fits: cached.run.fits,
      fit_seconds: cached.run.fitSeconds,
      predict_seconds: cached.run.predictSeconds,
      cached: cached.cached,
      note: `tfjs ${settings.backend} backend, one thread, on the 2-core machine shared with ` +
        "other work; the forecasts are cached, so evaluate reruns pay only the read",
    },
    backends: backends === null ? null : {
      workload: `${WORKLOAD.windows} windows of ${WORKLOAD.lookback} h x ${sequenceChannels()} ` +
        `channels, GRU ${WORKLOAD.units} units, ${WORKLOAD.outputs} outputs: ${WORKLOAD.epochs} ` +
        "epochs of fit, then one predict",
      timings: backends,
    },
    validation,
    test,
    mean_skill: { validation: meanSkill(validation), test: meanSkill(test) },
    validation_blend: blend,
    in_best: false,
    in_best_reason: blend === null
      ? "not searched (--skip-validation); best stays the ridge/trees/SARIMA blend"
      : weighted.length === 0
      ? "validation gives the GRU weight 0 at every target and horizon"
      : `validation gives the GRU a weight at ${weighted.length} of ${blend.length} pairs ` +
        `(mean validation skill ${mean(blend.map((b) => b.skill_without)).toFixed(3)} without, ` +
        `${mean(blend.map((b) => b.skill_with)).toFixed(3)} with); those weights ` +
        "(sequence.blendWeight) make evaluate's best_gru rows, and best itself stays unchanged, " +
        "because the real-time forecaster does not serve the GRU and best is what it serves",
  });
  await writeJson(values.json ?? { path: "docs/reports/sequence.json" }, report);
  const evaluation = EvaluationSliceSchema.parse(
    JSON.parse(await Deno.readTextFile(values.evaluation ?? "docs/reports/evaluation.json")),
  );
  const doc = values.doc ?? "docs/forecasting.md";
  const text = await Deno.readTextFile(doc);
  await Deno.writeTextFile(
    doc,
    replaceSequenceBlock(text, renderSequenceBlock(report, evaluation)),
  );
  return 0;
}

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

if (import.meta.main) await runCommand(CLI, main);
