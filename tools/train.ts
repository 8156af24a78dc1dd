/**
 * `deno task train`: fits the deployed models (ridge and boosted trees for each
 * target and horizon, and for the virtual sensor) on the latest training window
 * of `config/forecast.json` and saves them as JSON artifacts with metadata
 * under `modelDir` (default `var/models/`), with a `manifest.json` and the
 * input reference of the training window for drift monitoring (`reference.json`)
 * and the MAE the models are expected to have live (`expected.json`: evaluate's
 * `best` per target and horizon, tagged with this training's version).
 * When `sarima.enabled`, it also fits SARIMA per target on the latest
 * `sarima.windowH` hours and saves the fits in `sarima.json`.
 *
 * ```
 * deno task train [--input PATH] [--out DIR] [--config PATH] [--json [PATH]]
 * ```
 *
 * Permissions (the `train` task): `--allow-read` (config, the dataset),
 * `--allow-write=var,/tmp` (artifacts), `--allow-env=AIRQ_*,INIT_CWD,HOME,XDG_CACHE_HOME`.
 *
 * @module
 */
import { join } from "node:path";
import { CONFIG_DIR, loadConfig } from "../lib/config/mod.ts";
import {
  artifactFileName,
  ForecastConfigSchema,
  trainingSteps,
  trainModels,
  trainSarima,
} from "../lib/offline/mod.ts";
import { loadSarima, type ModelManifest, ModelManifestSchema } from "../lib/models/mod.ts";
import { removeStaleArtifacts } from "../lib/offline/artifact_files.ts";
import { loadSeries } from "../lib/offline/load.ts";
import { trainingInputReference } from "../lib/offline/train.ts";
import { println } from "../lib/cli/io.ts";
import { envPath } from "../lib/cli/paths.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "../lib/cli/command.ts";
import { StepProgress } from "../lib/cli/progress.ts";
import { configureLogging, getLogger } from "../lib/log.ts";
import {
  EVALUATION_WRITER,
  EvaluationReportSchema,
  type ExpectedMae,
  ExpectedMaeSchema,
  parseFileAs,
} from "../lib/records/mod.ts";
import { EVALUATION_PATHS } from "../lib/realtime/load.ts";

const CLI = defineCommand({
  task: "train",
  description: "Fit the deployed forecasting models (ridge and boosted trees per target and " +
    "horizon, the virtual sensor, SARIMA when enabled) and save them as JSON artifacts.",
  options: {
    input: opt.path("the UCI CSV", {
      input: true,
      default: "AIRQ_DATASET, ../shared/data/AirQualityUCI.csv, the cache, or a verified download",
    }),
    out: opt.path("where the artifacts go", { value: "DIR", default: "modelDir of the config" }),
    config: opt.path("forecasting config", { input: true, default: "config/forecast.json" }),
    json: opt.json("print the summary as JSON; with PATH, write it to that file"),
  },
  notes: "Progress: one log line per model (step k of N, ETA) on stderr.",
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  await configureLogging();
  const log = getLogger(["airq", "forecast", "train"]);
  const configPath = values.config ?? new URL("forecast.json", CONFIG_DIR);
  const config = await loadConfig(configPath, ForecastConfigSchema);
  const started = performance.now();
  const input = values.input ?? envPath("AIRQ_DATASET");
  const { series, path } = await loadSeries(input, config.utcOffset);
  log.info("Loaded {hours} hours from {path}", { hours: series.length, path });
  const createdAt = new Date().toISOString();
  const progress = new StepProgress(trainingSteps(config), log);
  const artifacts = trainModels(series, config, createdAt, (message) => progress.step(message));
  const dir = values.out ?? config.modelDir;
  await Deno.mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const artifact of artifacts) {
    const file = artifactFileName(artifact);
    await Deno.writeTextFile(join(dir, file), JSON.stringify(artifact) + "\n");
    files.push(file);
  }
  for (const file of await removeStaleArtifacts(dir, files)) {
    log.info(
      "Removed {file}: an artifact of an earlier training that this configuration does not fit",
      {
        file,
      },
    );
  }
  let sarima: { file: string; targets: string[]; seconds: number } | null = null;
  if (config.sarima.enabled) {
    const t0 = performance.now();
    const trained = trainSarima(
      await loadSarima(),
      series,
      config,
      createdAt,
      (message) => progress.step(message),
    );
    for (const problem of trained.problems) log.warn("SARIMA left out: {problem}", { problem });
    await Deno.writeTextFile(join(dir, "sarima.json"), JSON.stringify(trained.artifact) + "\n");
    sarima = {
      file: "sarima.json",
      targets: trained.artifact.models.map((m) => m.target),
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    };
  } else {
    // a fit from an earlier run must not outlive the setting that turned SARIMA off
    await Deno.remove(join(dir, "sarima.json")).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
  const manifest: ModelManifest = {
    format: "airq-model-manifest",
    version: 1,
    dataset: path,
    createdAt: artifacts[0]?.createdAt ?? null,
    models: artifacts.map((a, i) => ({
      file: files[i]!,
      target: a.target,
      mode: a.mode,
      horizon_h: a.horizonH,
      name: a.name,
      blend_weight: a.blendWeight,
      training_window: a.trainingWindow,
      metrics: a.metrics,
    })),
    sarima,
  };
  await Deno.writeTextFile(
    join(dir, "manifest.json"),
    JSON.stringify(ModelManifestSchema.parse(manifest), null, 2) + "\n",
  );
  const expected = await expectedMae(createdAt);
  if (expected === null) {
    log.warn("No evaluation to take the expected MAE from ({paths}): no expected.json", {
      paths: EVALUATION_PATHS.join(", "),
    });
  } else {
    await Deno.writeTextFile(join(dir, "expected.json"), JSON.stringify(expected, null, 2) + "\n");
  }
  const reference = trainingInputReference(series, config, createdAt);
  await Deno.writeTextFile(join(dir, "reference.json"), JSON.stringify(reference, null, 2) + "\n");
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    dir,
    models: artifacts.length,
    sarima: sarima?.targets.length ?? 0,
    sarima_seconds: sarima?.seconds ?? null,
    seconds: Number(seconds.toFixed(1)),
  };
  log.info("Saved {models} models to {dir} in {seconds} s", summary);
  if (values.json !== undefined) await writeJson(values.json, summary);
  else {
    println(
      `saved ${artifacts.length} models and ${summary.sarima} SARIMA fits to ${dir} in ${
        seconds.toFixed(1)
      } s`,
    );
  }
  return 0;
}

/**
 * The offline MAE this training's models are expected to have live: evaluate's
 * `best` per target and horizon on its test window (the walk-forward refits of
 * the same configuration; the live forecaster refits as they do), tagged with
 * this training's version (`createdAt`). Null when no evaluation can be read.
 */
async function expectedMae(createdAt: string): Promise<ExpectedMae | null> {
  for (const path of EVALUATION_PATHS) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch {
      continue;
    }
    const evaluation = parseFileAs(
      EvaluationReportSchema,
      JSON.parse(text),
      path,
      EVALUATION_WRITER,
    );
    const rows = evaluation.results.filter((r) => r.model === "best").map((r) => ({
      target: r.target,
      horizon_h: r.horizon_h,
      n: r.n,
      mae: r.mae,
    }));
    return ExpectedMaeSchema.parse({
      format: "airq-expected-mae",
      version: 1,
      model_version: createdAt,
      source: `${path}: evaluate's best (walk-forward, refit every week) on the test window`,
      rows,
    });
  }
  return null;
}

if (import.meta.main) await runCommand(CLI, main);
