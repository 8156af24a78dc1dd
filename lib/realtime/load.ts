/**
 * Reads what `deno task train` and `deno task evaluate` left behind: the model
 * artifacts in the model folder and `var/evaluation.json` (for interval
 * half-widths). Missing or unreadable files are not fatal: the forecaster then
 * runs on baselines and says so.
 *
 * @module
 */
import { join } from "node:path";
import { type ModelArtifact, parseModelArtifact, type SarimaArtifact } from "../models/mod.ts";
import {
  EVALUATION_WRITER,
  type EvaluationReport,
  EvaluationReportSchema,
} from "../records/evaluation.ts";
import { parseFileAs } from "../records/file.ts";
import { fieldOfTarget } from "../records/forecast.ts";
import { type ServedWarningRule, servedWarningRule } from "../alerts/served_warning.ts";
import type { ForecastConfig } from "../offline/forecast_config.ts";
import { assembleModels, type DeployedModels } from "./models.ts";
import { compileSarima } from "./sarima_models.ts";

/**
 * Where the evaluation that the forecaster serves from (interval half-widths and their rule, the
 * early warning, the expected MAE) is read, relative to the working directory, in order: the latest
 * `deno task evaluate --json var/evaluation.json`, else the committed evaluation of the committed
 * configuration (a fresh clone, whose `deno task train` fits that configuration).
 */
export const EVALUATION_PATHS = ["var/evaluation.json", "docs/reports/evaluation.json"] as const;

/** The first of {@linkcode EVALUATION_PATHS} under `dir` that exists; null when none does. */
export async function servedEvaluationPath(dir?: string): Promise<string | null> {
  for (const name of EVALUATION_PATHS) {
    const path = dir === undefined ? name : join(dir, name);
    if (await Deno.stat(path).then(() => true, () => false)) return path;
  }
  return null;
}

/** The evaluation report at `path`, checked against its one schema (errors name the file). */
export async function readEvaluation(path: string): Promise<EvaluationReport> {
  const json: unknown = JSON.parse(await Deno.readTextFile(path));
  return parseFileAs(EvaluationReportSchema, json, path, EVALUATION_WRITER);
}

/** The deployed models plus what was found where. */
export interface LoadedModels extends DeployedModels {
  artifacts: number;
  evaluation: boolean;
}

/** An evaluation file read once: its report, or why there is none. */
export interface EvaluationRead {
  readonly report: EvaluationReport | null;
  /** What went wrong (null when `report` is there). */
  readonly problem: string | null;
}

/** {@linkcode readEvaluation} that says what went wrong instead of throwing. */
export async function tryReadEvaluation(path: string): Promise<EvaluationRead> {
  try {
    return { report: await readEvaluation(path), problem: null };
  } catch (error) {
    const problem = error instanceof TypeError
      ? error.message
      : `${path}: ${error instanceof Error ? error.message : String(error)}`;
    return { report: null, problem };
  }
}

/**
 * Loads every `*.json` artifact of `modelDir` (not the manifest, `reference.json`,
 * `expected.json` or `sarima.json`, which `sarima_load.ts` reads) and the evaluation summary
 * (its path, or the file already read with {@linkcode tryReadEvaluation}, so a caller that needs
 * more of it parses it once).
 */
export async function loadDeployedModels(
  modelDir: string,
  evaluationFile: string | EvaluationRead,
  utcOffsetMin: number,
): Promise<LoadedModels> {
  const artifacts: ModelArtifact[] = [];
  const problems: string[] = [];
  try {
    for await (const entry of Deno.readDir(modelDir)) {
      if (
        !entry.isFile || !entry.name.endsWith(".json") || entry.name === "manifest.json" ||
        entry.name === "reference.json" || entry.name === "sarima.json" ||
        entry.name === "expected.json"
      ) {
        continue;
      }
      const path = join(modelDir, entry.name);
      try {
        artifacts.push(parseModelArtifact(await Deno.readTextFile(path), path));
      } catch (error) {
        problems.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    problems.push(`${modelDir} does not exist`);
  }
  const read = typeof evaluationFile === "string"
    ? await tryReadEvaluation(evaluationFile)
    : evaluationFile;
  const evaluation = read.report;
  if (read.problem !== null) problems.push(read.problem);
  const models = assembleModels(artifacts, evaluation, utcOffsetMin);
  return {
    ...models,
    problems: [...problems, ...models.problems],
    artifacts: artifacts.length,
    evaluation: evaluation !== null,
  };
}

/**
 * The deployed models of a refit's artifacts (`retrain.ts`), with the interval
 * half-widths of `evaluationPath` as {@linkcode loadDeployedModels} takes them
 * (none when it cannot be read).
 */
export async function modelsFromArtifacts(
  artifacts: readonly ModelArtifact[],
  sarima: SarimaArtifact | null,
  evaluationPath: string,
  utcOffsetMin: number,
): Promise<DeployedModels> {
  let evaluation: EvaluationReport | null = null;
  try {
    evaluation = await readEvaluation(evaluationPath);
  } catch {
    evaluation = null; // as at start-up: the intervals fall back, the forecasts do not change
  }
  const models = assembleModels(artifacts, evaluation, utcOffsetMin);
  const compiled = sarima === null ? null : compileSarima(sarima);
  return {
    ...models,
    sarima: compiled,
    problems: [...models.problems, ...(compiled?.problems ?? [])],
  };
}

/**
 * The early warning evaluate scored (`warning_no2_200.by_lead_h` of `evaluation`), to be served by
 * the alerter at the leads the forecaster forecasts (`config.horizonsH`) with the settings of
 * `config.warning`. Throws a TypeError saying why when it cannot be served as evaluated: its
 * probability came from the ridge/trees blend (`warning.forecast` = `blend`), which the forecaster
 * does not publish, or no lead is a forecast horizon.
 */
export function servedWarningOf(
  evaluation: EvaluationReport,
  config: Pick<ForecastConfig, "warning" | "horizonsH">,
): ServedWarningRule {
  const w = config.warning;
  if (w.forecast !== "best") {
    throw new TypeError(
      `warning.forecast is "${w.forecast}": the evaluated probability is not the served forecast's`,
    );
  }
  return servedWarningRule(
    {
      field: fieldOfTarget(w.target),
      threshold: w.threshold,
      residualWindowH: w.residualWindowH,
      minResiduals: w.minResiduals,
    },
    evaluation.warning_no2_200.by_lead_h,
    config.horizonsH,
  );
}
