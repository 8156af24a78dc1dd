/**
 * A blend of fitted models compiled for one feature vector at a time, as the
 * real-time engine predicts: the level parts summed, the change parts (issue 17)
 * back on the value scale from their offset; and the merged split thresholds that
 * let one binning of a row serve every boosted-trees model.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { changeForecast } from "../models/mod.ts";
import { type CompiledModel, compileModel, type PreparedRow } from "../models/artifact.ts";
import type { GbtModel } from "../models/gbt.ts";
import { MergedCuts } from "../models/gbt_cuts.ts";
import type { Blend } from "./models.ts";

/** The merged split thresholds of every boosted-trees model in `blends`: one binning of a row serves them all. */
export function mergedCutsOf(blends: Iterable<Blend>): MergedCuts {
  const trees: GbtModel[] = [];
  for (const blend of blends) {
    for (const part of blend.parts) {
      if (part.artifact.model.kind === "gbt") trees.push(part.artifact.model);
    }
  }
  return new MergedCuts(trees);
}

/**
 * A blend compiled for one feature vector at a time; predictions identical to
 * `predictBlend` on the uncompiled blend (same models, same sum order). Parts that
 * fit the change (the artifact's `change`) add `changeForecast(prediction, offset)`;
 * where the offset is missing they drop out and the level parts' blend stands alone,
 * as evaluate's `best` does.
 */
export class CompiledBlend {
  readonly #weights: Float64Array;
  readonly #models: CompiledModel[];
  readonly #change: Uint8Array;
  readonly #levelShare: number;
  /** The change parts' lookback (null: the virtual sensor's, however old), or null without any. */
  readonly change: { readonly lookbackH: number | null } | null;

  /** Compiles the blend's models; boosted trees against `cuts` when those cover them. */
  constructor(blend: Blend, cuts: MergedCuts = mergedCutsOf([blend])) {
    this.#weights = Float64Array.from(blend.parts, (p) => p.weight);
    this.#models = blend.parts.map((p) => compileModel(p.artifact.model, cuts));
    this.#change = Uint8Array.from(blend.parts, (p) => (p.artifact.change === undefined ? 0 : 1));
    this.#levelShare = blend.parts.reduce(
      (s, p) => (p.artifact.change === undefined ? s + p.weight : s),
      0,
    );
    const lookbacks = new Set(
      blend.parts.filter((p) => p.artifact.change !== undefined).map((p) =>
        p.artifact.change!.lookbackH
      ),
    );
    if (lookbacks.size > 1) throw new RangeError("A blend's change models differ in lookback");
    this.change = lookbacks.size === 0 ? null : { lookbackH: [...lookbacks][0]! };
  }

  /**
   * The prediction for `x`; `row`, prepared for `x` (under the cuts given at compile time), saves
   * work; `offset`: log1p of the target's last value (`changeOffsetAt`), for the change parts.
   */
  predict(x: Float64Array, row?: PreparedRow, offset = NaN): number {
    let level = 0;
    let change = 0;
    for (let i = 0; i < this.#models.length; i++) {
      const p = this.#models[i]!.predict(x, row);
      if (this.#change[i] === 0) level += this.#weights[i]! * p;
      else change += this.#weights[i]! * changeForecast(p, offset);
    }
    if (this.change === null) return level;
    return change === change ? level + change : level / this.#levelShare;
  }
}

const compiledBlends = new WeakMap<Blend, CompiledBlend>();

/**
 * The blend's prediction for one feature vector. The blend is compiled on its first
 * use (and the compiled form kept beside it): do not change it afterwards.
 */
export function predictBlend(blend: Blend, x: Float64Array, offset = NaN): number {
  let compiled = compiledBlends.get(blend);
  if (compiled === undefined) {
    compiled = new CompiledBlend(blend);
    compiledBlends.set(blend, compiled);
  }
  return compiled.predict(x, undefined, offset);
}
