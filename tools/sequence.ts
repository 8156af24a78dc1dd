/**
 * `deno task sequence`: the GRU sequence model (issue 17) on its own — its walk-forward (from the
 * cache when its inputs have not changed, or `--refresh`), scored on the validation and the test
 * windows in the evaluation's metrics, with its cost; `--backends` also times tfjs's WebAssembly
 * and JavaScript backends on a fixed small workload. Writes `docs/reports/sequence.json` (or
 * `--json PATH`).
 *
 * ```
 * deno task sequence [--input PATH] [--config PATH] [--json PATH] [--refresh] [--backends]
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
  meanSkill,
  type SequenceReport,
  SequenceReportSchema,
  sequenceRows,
  validationSpan,
} from "../lib/offline/sequence_report.ts";
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
    refresh: opt.flag("fit again even when the cache holds this run"),
    backends: opt.flag("also time the wasm and cpu tfjs backends on a fixed small workload"),
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
  const { enabled: _e, cacheDir: _c, ...fit } = settings;
  const report: SequenceReport = SequenceReportSchema.parse({
    command: "deno task sequence" + (values.backends ? " --backends" : ""),
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
    in_best: false,
    in_best_reason: "not blended: best stays the ridge/trees/SARIMA blend chosen on validation; " +
      "the GRU is scored as its own `gru` rows (a blend weight for it has not been searched)",
  });
  await writeJson(values.json ?? { path: "docs/reports/sequence.json" }, report);
  return 0;
}

if (import.meta.main) await runCommand(CLI, main);
