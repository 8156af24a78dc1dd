/**
 * The refit worker of the live forecaster (started by `retrainer.ts`): holds
 * its own copy of the champion, and for each weekly boundary fits the
 * challenger on the stored readings it is handed (`refitForBlock`), scores
 * both on the hours before the boundary (`scoreRecent`), applies the
 * challenger rule and answers with the challenger's artifacts and the
 * decision. Its CPU time (about 7 s a refit) is off the forecaster's thread.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import type { ModelArtifact, SarimaArtifact } from "../models/mod.ts";
import { loadSarima } from "../models/mod.ts";
import type { ForecastConfig } from "../offline/mod.ts";
import type { CleanReading, RetrainScore } from "../records/mod.ts";
import type { EngineOptions } from "./engine.ts";
import { HOUR_MS } from "../features/mod.ts";
import { modelsFromArtifacts } from "./load.ts";
import { loadDeployedModels } from "./load.ts";
import { loadSarimaModels } from "./sarima_load.ts";
import type { DeployedModels } from "./models.ts";
import {
  type ChallengerDecision,
  decideChallenger,
  modelsVersion,
  refitForBlock,
  scoreRecent,
  seriesBefore,
} from "./retrain.ts";

/** What the forecaster asks the worker. */
export type RetrainRequest =
  | {
    type: "init";
    modelDir: string;
    evaluationPath: string;
    config: ForecastConfig;
    engine: EngineOptions;
    scoreHours: number;
    maxMaeRatio: number;
  }
  | {
    type: "refit";
    block: number;
    blockStartMs: number;
    /** One station's stored readings before `blockStartMs`, time order. */
    readings: CleanReading[];
    createdAt: string;
  };

/** What the worker answers. */
export type RetrainReply =
  | { type: "ready"; version: string | null }
  | {
    type: "refit";
    block: number;
    artifacts: ModelArtifact[];
    sarima: SarimaArtifact | null;
    problems: string[];
    championVersion: string | null;
    challengerVersion: string;
    decision: ChallengerDecision;
    scores: RetrainScore[];
    seconds: number;
  }
  | { type: "error"; block: number | null; message: string };

let settings: Extract<RetrainRequest, { type: "init" }> | null = null;
let evaluationPath = "";
let champion: DeployedModels | null = null;

async function handle(request: RetrainRequest): Promise<RetrainReply> {
  if (request.type === "init") {
    settings = request;
    evaluationPath = request.evaluationPath;
    const utcOffsetMin = request.engine.utcOffsetMin;
    const models = await loadDeployedModels(request.modelDir, evaluationPath, utcOffsetMin);
    const { sarima } = await loadSarimaModels(request.modelDir);
    champion = { ...models, sarima };
    return { type: "ready", version: modelsVersion(champion) };
  }
  if (settings === null || champion === null) {
    throw new Error("the retrain worker was not initialised");
  }
  const t0 = performance.now();
  const series = seriesBefore(request.readings, request.blockStartMs);
  if (series === null) throw new Error("no stored reading before the boundary");
  const refit = refitForBlock(
    settings.config.sarima.enabled ? await loadSarima() : null,
    series,
    settings.config,
    request.block,
    request.createdAt,
  );
  const challenger = await modelsFromArtifacts(
    refit.artifacts,
    refit.sarima,
    evaluationPath,
    settings.engine.utcOffsetMin,
  );
  const scores = scoreRecent(
    champion,
    challenger,
    request.readings,
    request.blockStartMs - settings.scoreHours * HOUR_MS,
    request.blockStartMs,
    settings.engine,
  );
  const championVersion = modelsVersion(champion);
  const decision = decideChallenger(scores, settings.maxMaeRatio, championVersion !== null);
  if (decision.promoted) champion = challenger;
  return {
    type: "refit",
    block: request.block,
    artifacts: refit.artifacts,
    sarima: refit.sarima,
    problems: refit.problems,
    championVersion,
    challengerVersion: request.createdAt,
    decision,
    scores,
    seconds: Math.round(performance.now() - t0) / 1000,
  };
}

self.onmessage = (event: MessageEvent<RetrainRequest>) => {
  const request = event.data;
  handle(request).then(
    (reply) => self.postMessage(reply),
    (error) =>
      self.postMessage(
        {
          type: "error",
          block: request.type === "refit" ? request.block : null,
          message: error instanceof Error ? error.message : String(error),
        } satisfies RetrainReply,
      ),
  );
};
