/**
 * Fitted models as JSON artifacts with metadata (format version, features,
 * training window, metrics), validated by a zod schema when read back.
 *
 * @module
 */
import { z } from "zod";
import { type GbtModel, predictGbt } from "./gbt.ts";
import type { BinnedRow, MergedCuts } from "./gbt_cuts.ts";
import { CompiledGbt } from "./gbt_compiled.ts";
import type { DesignMatrix } from "./matrix.ts";
import {
  CompiledRidge,
  observedPositions,
  type ObservedRow,
  predictRidge,
  type RidgeModel,
} from "./ridge.ts";

/** Version of the artifact format. */
export const ARTIFACT_VERSION = 1;

/** A fitted model of either kind. */
export type FittedModel = RidgeModel | GbtModel;

/** Predictions of any fitted model on the original target scale. */
export function predictModel(model: FittedModel, x: DesignMatrix): Float64Array {
  return model.kind === "ridge" ? predictRidge(model, x) : predictGbt(model, x);
}

/**
 * A feature row prepared once for several compiled models: its bins under merged
 * cuts (for the boosted trees compiled against those cuts) and the positions of its
 * observed values (for ridge).
 */
export class PreparedRow implements BinnedRow, ObservedRow {
  readonly cuts: MergedCuts;
  readonly bins: Int32Array;
  readonly observed: Int32Array;
  observedCount = 0;

  /** A row of `p` features binned under `cuts`. */
  constructor(cuts: MergedCuts, p: number) {
    this.cuts = cuts;
    this.bins = new Int32Array(cuts.p);
    this.observed = new Int32Array(p);
  }

  /**
   * Prepares the row for the values of `x`.
   *
   * @throws {RangeError} when `x` does not have the row's `p` features.
   */
  prepare(x: Float64Array): this {
    this.#check(x);
    this.cuts.bin(x, this.bins);
    this.observedCount = observedPositions(x, this.observed);
    return this;
  }

  /**
   * Prepares the row for `x` knowing that `like` was prepared for `likeX` (same cuts):
   * bins where the values agree are copied.
   */
  prepareLike(x: Float64Array, likeX: Float64Array, like: PreparedRow): this {
    if (like.cuts !== this.cuts || likeX.length !== x.length) return this.prepare(x);
    this.#check(x);
    this.cuts.binLike(x, likeX, like.bins, this.bins);
    this.observedCount = observedPositions(x, this.observed);
    return this;
  }

  #check(x: Float64Array): void {
    if (x.length !== this.observed.length) {
      throw new RangeError(
        `PreparedRow: the row has ${this.observed.length} features, x has ${x.length}`,
      );
    }
  }
}

/** A fitted model compiled for one row at a time; predictions identical to `predictModel`. */
export interface CompiledModel {
  /**
   * The prediction for one row `x` on the original target scale. `row`, prepared for
   * `x`, saves work: boosted trees use its bins when they were compiled against its
   * cuts (and bin `x` themselves otherwise), ridge its observed positions.
   */
  predict(x: Float64Array, row?: PreparedRow): number;
}

/**
 * Compiles a model for one-row predictions. Boosted trees are compiled against
 * `cuts` when those cover them (cuts merged over several models: a row binned once
 * serves all of them), against their own cuts otherwise.
 */
export function compileModel(model: FittedModel, cuts?: MergedCuts): CompiledModel {
  return model.kind === "ridge" ? new CompiledRidge(model) : new CompiledGbt(model, cuts);
}

const transform = z.enum(["none", "log1p"]);
const num = z.number();
const RidgeModelSchema = z.strictObject({
  kind: z.literal("ridge"),
  params: z.strictObject({ lambda: num.min(0), transform }),
  means: z.array(num),
  scales: z.array(num),
  coef: z.array(num),
  intercept: num,
});
const FlatTreeSchema = z.strictObject({
  feature: z.array(z.number().int()),
  bin: z.array(z.number().int()),
  left: z.array(z.number().int()),
  right: z.array(z.number().int()),
  value: z.array(num),
});
const GbtModelSchema = z.strictObject({
  kind: z.literal("gbt"),
  params: z.strictObject({
    trees: z.number().int().min(1),
    learningRate: num.positive(),
    maxDepth: z.number().int().min(1),
    minSamplesLeaf: z.number().int().min(1),
    treeFeatureFraction: num.positive().max(1),
    splitFeatureFraction: num.positive().max(1),
    rowSubsample: num.positive().max(1),
    maxBins: z.number().int().min(2).max(64),
    l2: num.min(0),
    seed: z.number().int(),
    transform,
  }),
  cuts: z.array(z.array(num)),
  base: num,
  trees: z.array(FlatTreeSchema),
});

/** Schema of a saved model artifact. */
export const ModelArtifactSchema = z.strictObject({
  format: z.literal("airq-model"),
  version: z.literal(ARTIFACT_VERSION),
  /** Target column as in the UCI file, e.g. `CO(GT)`. */
  target: z.string(),
  /** `forecast` (t + h) or `nowcast` (the virtual sensor, h = 0). */
  mode: z.enum(["forecast", "nowcast"]),
  horizonH: z.number().int().min(0),
  /** Role of this model in the deployed forecast, e.g. `ridge`, `gbt`. */
  name: z.string(),
  /** Weight of this model in the deployed blend for the target and horizon. */
  blendWeight: num.min(0).max(1),
  features: z.array(z.string()),
  trainingWindow: z.strictObject({ from: z.string(), to: z.string(), rows: z.number().int() }),
  /** Metrics on the training rows (in-sample) and, when known, on validation. */
  metrics: z.record(z.string(), num.nullable()),
  /** Half-width of the 90 % interval from the latest conformal residuals, when known. */
  intervalHalfWidth: num.nullable(),
  createdAt: z.string(),
  model: z.discriminatedUnion("kind", [RidgeModelSchema, GbtModelSchema]),
  /**
   * Present when the model fits the change (issue 17): its prediction is log1p(y(t + h)) minus
   * log1p of the target's last value, and the forecast is `changeForecast(prediction, offset)`.
   * A forecast model's last value is the one observed at t or in the `lookbackH` - 1 hours before
   * (`changeOffsetAt`); the virtual sensor's (`lookbackH` null) the last one observed before t,
   * however old.
   */
  change: z.strictObject({ lookbackH: z.number().int().min(1).max(168).nullable() }).optional(),
});

/** A saved model with its metadata. */
export type ModelArtifact = z.infer<typeof ModelArtifactSchema>;

const artifact = ModelArtifactSchema.shape;

/** Schema of `<modelDir>/manifest.json`: what `deno task train` saved, one row per artifact. */
export const ModelManifestSchema = z.strictObject({
  format: z.literal("airq-model-manifest"),
  version: z.literal(1),
  /** The dataset trained on. */
  dataset: z.string(),
  createdAt: z.string().nullable(),
  models: z.array(z.strictObject({
    file: z.string(),
    target: artifact.target,
    mode: artifact.mode,
    horizon_h: artifact.horizonH,
    name: artifact.name,
    blend_weight: artifact.blendWeight,
    training_window: artifact.trainingWindow,
    metrics: artifact.metrics,
  })),
  /** `sarima.json`, when SARIMA was fitted. */
  sarima: z.strictObject({ file: z.string(), targets: z.array(z.string()), seconds: num })
    .nullable(),
});

/** `<modelDir>/manifest.json`. */
export type ModelManifest = z.infer<typeof ModelManifestSchema>;

/**
 * Reads an artifact from JSON text.
 *
 * @throws {SyntaxError} when the text is not JSON.
 * @throws {TypeError} when it is not a valid artifact; the message lists the problems.
 */
export function parseModelArtifact(text: string, shown = "<artifact>"): ModelArtifact {
  const result = ModelArtifactSchema.safeParse(JSON.parse(text));
  if (!result.success) {
    throw new TypeError(
      `${shown} is not an airq model artifact:\n${z.prettifyError(result.error)}`,
    );
  }
  return result.data;
}
