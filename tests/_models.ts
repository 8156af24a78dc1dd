/**
 * Small trained models for tests: the `train` task (its own
 * permissions) on the first rows of the real file, with 10 trees instead of
 * 100, into a folder of the test. CI has no `var/models`, so tests that need
 * the model path (not persistence) train their own in about two seconds.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type ForecastConfig, ForecastConfigSchema } from "../lib/offline/mod.ts";
import { UCI_PATH } from "./_data.ts";
import { runTask } from "./_pipeline.ts";

/** What {@linkcode trainSmallModels} made: the model folder, and the slice and config it trained on. */
export interface SmallModels {
  modelDir: string;
  /** The CSV of the first rows of the UCI file. */
  csv: string;
  /** config/forecast.json as trained with (10 trees). */
  config: Record<string, unknown> & { gbt: { trees: number } };
}

/** Trains on the first `rows` hours of the UCI file, into `dir`. */
export async function trainSmallModels(
  dir: string,
  env: Record<string, string>,
  rows: number,
): Promise<SmallModels> {
  const lines = (await Deno.readTextFile(UCI_PATH)).split(/\r?\n/);
  const csv = join(dir, "train.csv");
  await Deno.writeTextFile(csv, lines.slice(0, 1 + rows).join("\n") + "\n");
  const config = JSON.parse(await Deno.readTextFile("config/forecast.json"));
  config.gbt.trees = 10;
  const configPath = join(dir, "forecast.json");
  await Deno.writeTextFile(configPath, JSON.stringify(config));
  const modelDir = join(dir, "models");
  const trained = await runTask(
    "train",
    ["--input", csv, "--config", configPath, "--out", modelDir, "--json"],
    env,
  );
  assert.equal(trained.code, 0, trained.stderr);
  return { modelDir, csv, config };
}

/** config/forecast.json for training in the test process on a small slice: 1,000-hour window, 10 trees. */
export async function smallForecastConfig(): Promise<ForecastConfig> {
  const base = ForecastConfigSchema.parse(
    JSON.parse(await Deno.readTextFile(new URL("../config/forecast.json", import.meta.url))),
  );
  return {
    ...base,
    walkForward: { ...base.walkForward, trainWindowH: 1000 },
    gbt: { ...base.gbt, trees: 10 },
  };
}
