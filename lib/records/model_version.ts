/**
 * Model versions of the live forecaster: every retraining (a challenger fitted
 * at a weekly boundary, promoted or not, by the rule of `config/forecaster.json`)
 * as an event, and the snapshot the forecaster stores under
 * {@linkcode MODEL_VERSIONS_SNAPSHOT}: the version served now and the events so
 * far. A model version is the `createdAt` of its training (ISO), which every
 * forecast's `model_version` carries after its `@`.
 *
 * @module
 */
import { z } from "zod";
import { IsoTimestamp } from "./reading.ts";

/** Name of the stored snapshot of model versions. */
export const MODEL_VERSIONS_SNAPSHOT = "forecaster.models";

/** How the forecaster retrains: not at all, waiting for the refit at the boundary, or in the background. */
export const RETRAIN_MODES = ["off", "wait", "background"] as const;

/** One retraining mode. */
export type RetrainMode = typeof RETRAIN_MODES[number];

/** Champion and challenger on the same recent hours of one target and horizon. */
export const RetrainScoreSchema = z.strictObject({
  target: z.string().min(1),
  horizon_h: z.number().int().min(1),
  /** Target hours both were scored on (observed, both forecasts present). */
  n: z.number().int().min(0),
  /** Null when `n` is 0. */
  champion_mae: z.number().finite().nullable(),
  challenger_mae: z.number().finite().nullable(),
});

/** One target and horizon's recent scores. */
export type RetrainScore = z.infer<typeof RetrainScoreSchema>;

/** One retraining: the challenger fitted at a weekly boundary and what the rule decided. */
export const ModelRetrainedEventSchema = z.strictObject({
  kind: z.literal("model_retrained"),
  /** Refit block (weeks since the anchor, evaluate's `testWindow.from`). */
  block: z.number().int(),
  /** First hour the challenger may forecast from (the block's start). */
  block_start: IsoTimestamp,
  /** Station whose stored readings were the training window. */
  station_id: z.string().min(1),
  /** Stored readings of that station the refit read (all before `block_start`). */
  training_readings: z.number().int().min(0),
  challenger_version: z.string().min(1),
  /** Null when there was no champion (nothing trained before). */
  champion_version: z.string().min(1).nullable(),
  promoted: z.boolean(),
  /** Mean over the scored targets and horizons of challenger MAE / champion MAE; null if none scored. */
  mae_ratio: z.number().finite().nullable(),
  /** The rule: promote when `mae_ratio` <= this. */
  max_mae_ratio: z.number().finite(),
  /** Hours before `block_start` whose forecasts were scored. */
  score_hours: z.number().int().min(1),
  scores: z.array(RetrainScoreSchema),
  /** One sentence: what was decided and why. */
  reason: z.string().min(1),
  mode: z.enum(RETRAIN_MODES),
  /** Refit, scoring included, in the worker. */
  seconds: z.number().finite().min(0),
  /** Wall clock when the decision was applied. */
  decided_at: IsoTimestamp,
});

/** One retraining event. */
export type ModelRetrainedEvent = z.infer<typeof ModelRetrainedEventSchema>;

/** Schema of the {@linkcode MODEL_VERSIONS_SNAPSHOT} snapshot. */
export const ModelVersionsSnapshotSchema = z.strictObject({
  format: z.literal("airq-model-versions"),
  version: z.literal(1),
  mode: z.enum(RETRAIN_MODES),
  /** The version served now; null with no trained model. */
  serving: z.string().min(1).nullable(),
  /** Every version served since the start, oldest first. */
  served: z.array(z.strictObject({ version: z.string().min(1), since: IsoTimestamp })),
  /** Retraining events, oldest first (the latest 100). */
  events: z.array(ModelRetrainedEventSchema),
});

/** The stored model versions. */
export type ModelVersionsSnapshot = z.infer<typeof ModelVersionsSnapshotSchema>;

/**
 * `var/models/expected.json`, written by `deno task train`: the offline
 * (walk-forward) MAE of the models of this training, per target and horizon,
 * on the evaluation's test window, for the live MAE to be compared with.
 */
export const ExpectedMaeSchema = z.strictObject({
  format: z.literal("airq-expected-mae"),
  version: z.literal(1),
  /** The model version (training `createdAt`) these expectations belong to. */
  model_version: z.string().min(1),
  /** Where the numbers come from (the evaluation JSON's `best` rows). */
  source: z.string().min(1),
  rows: z.array(z.strictObject({
    target: z.string().min(1),
    horizon_h: z.number().int().min(1),
    n: z.number().int().min(0),
    mae: z.number().finite().min(0),
  })),
});

/** The expected MAE of a model version. */
export type ExpectedMae = z.infer<typeof ExpectedMaeSchema>;
