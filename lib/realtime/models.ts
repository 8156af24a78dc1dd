/**
 * The deployed models as the real-time forecaster uses them: the ridge/trees
 * blend per target and horizon (and per target for the virtual sensor) from the
 * artifacts `deno task train` writes, and the 90 % interval half-widths.
 *
 * Pure: no `Deno.*`, no I/O (`load.ts` reads the files).
 *
 * @module
 */
import { featureCount, featureNames, type FeatureSpec } from "../features/mod.ts";
import { changeForecast, type ModelArtifact } from "../models/mod.ts";
import { type CompiledModel, compileModel, PreparedRow } from "../models/artifact.ts";
import type { GbtModel } from "../models/gbt.ts";
import { MergedCuts } from "../models/gbt_cuts.ts";
import type { NowcastRow, ResultRow, ServedIntervals } from "../records/evaluation.ts";
import {
  baseGroupCount,
  type ConditionalConformalOptions,
  groupFactors,
  type IntervalGroupRule,
  type ResidualScale,
} from "../scoring/mod.ts";
import { FORECAST_TARGETS } from "../records/forecast.ts";
import { MEASUREMENT_FIELDS } from "../records/reading.ts";
import type { CompiledSarima } from "./sarima_models.ts";

/** The four targets, as source columns, with the reading field each one is (the records' list). */
export const REALTIME_TARGETS: typeof FORECAST_TARGETS = FORECAST_TARGETS;

/** One of the four targets. */
export type RealtimeTarget = typeof REALTIME_TARGETS[number];

/** The horizons forecast on every reading, hours. */
export const REALTIME_HORIZONS: readonly number[] = [1, 6, 24];

/** Key of a deployed model: `CO(GT)|6` or `CO(GT)|nowcast`. */
export function modelKey(target: string, horizon: number | "nowcast"): string {
  return `${target}|${horizon}`;
}

/** A weighted blend of fitted models for one target and horizon. */
export interface Blend {
  parts: { weight: number; artifact: ModelArtifact }[];
  /** e.g. `ridge0.50+gbt0.50@2026-11-26T20:39:29.136Z`. */
  version: string;
}

/** Half-width of a 90 % interval and where it came from. */
export interface HalfWidth {
  value: number;
  source: "artifact" | "evaluation" | "fallback";
}

/**
 * The regime-aware intervals served around one target and horizon's forecast: the group rule and
 * each group's half-width on `scale` (NaN: none, the mean half-width is used instead).
 */
export interface GroupedHalfWidths {
  readonly scale: ResidualScale;
  readonly rule: IntervalGroupRule;
  readonly halfWidths: Float64Array;
  /** Index of the target's field in the station state (`MEASUREMENT_FIELDS`). */
  readonly fieldIndex: number;
  /** Per group, `groupFactors` of its half-width (null: none), computed once here. */
  readonly factors: readonly (readonly [number, number] | null)[];
  /**
   * The rule's rolling conformal settings, with which the forecaster recalibrates each group
   * from its own residuals (lib/realtime/live_intervals.ts); null: `halfWidths` are served as they are.
   */
  readonly calibration: ConditionalConformalOptions | null;
}

/** What the forecaster predicts with. Empty `blends` = baselines only. */
export interface DeployedModels {
  blends: Map<string, Blend>;
  /** Half-widths per `modelKey`, of the model (`target|h`) and of persistence (`target|h|persistence`). */
  halfWidths: Map<string, HalfWidth>;
  /** Problems found while assembling (logged by the caller). */
  problems: string[];
  /** Regime-aware half-widths per `modelKey` (evaluation's `served_intervals`); absent: none. */
  grouped?: Map<string, GroupedHalfWidths>;
  /**
   * SARIMA per target (`<modelDir>/sarima.json`), blended into the ridge/trees
   * forecast as evaluate's `best`; absent or null: ridge and trees only.
   */
  sarima?: CompiledSarima | null;
}

/**
 * The part of the evaluation report (its one schema: lib/records/evaluation.ts)
 * used for intervals: a whole `EvaluationReport` is one.
 */
export interface EvaluationSummary {
  results?: readonly Pick<ResultRow, "target" | "horizon_h" | "model" | "interval_mean_width">[];
  nowcast?: readonly Pick<NowcastRow, "target" | "rmse">[];
  served_intervals?: ServedIntervals | null | undefined;
}

/** The regime-aware half-widths of `served` per `modelKey`. */
export function groupedHalfWidthsOf(
  served: ServedIntervals | null | undefined,
): Map<string, GroupedHalfWidths> {
  const out = new Map<string, GroupedHalfWidths>();
  if (served === null || served === undefined) return out;
  const outage = served.outage === null
    ? null
    : { minMissingH: served.outage.min_missing_h, withinH: served.outage.within_h };
  const c = served.calibration;
  for (const g of served.groups) {
    const field = REALTIME_TARGETS.find((t) => t.target === g.target)?.field;
    if (field === undefined) continue;
    const rule: IntervalGroupRule = {
      grouping: served.grouping,
      levelEdges: g.level_edges,
      dayHours: served.day_hours,
      rushHours: served.rush_hours,
      outage,
    };
    out.set(modelKey(g.target, g.horizon_h), {
      fieldIndex: MEASUREMENT_FIELDS.indexOf(field),
      scale: served.scale,
      rule,
      halfWidths: Float64Array.from(g.half_widths, (q) => q ?? NaN),
      factors: g.half_widths.map((q) => (q === null ? null : groupFactors(q, served.scale))),
      calibration: c === undefined ? null : {
        alpha: c.alpha,
        window: c.window,
        gamma: c.gamma,
        minResiduals: c.min_residuals,
        scale: served.scale,
        groups: baseGroupCount(rule),
        outage: outage !== null,
      },
    });
  }
  return out;
}

/** Groups artifacts into blends, checks their feature names, and attaches interval half-widths. */
export function assembleModels(
  artifacts: readonly ModelArtifact[],
  evaluation: EvaluationSummary | null,
  utcOffsetMin: number,
): DeployedModels {
  const problems: string[] = [];
  const groups = new Map<string, ModelArtifact[]>();
  for (const a of artifacts) {
    const key = modelKey(a.target, a.mode === "nowcast" ? "nowcast" : a.horizonH);
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const blends = new Map<string, Blend>();
  const halfWidths = new Map<string, HalfWidth>();
  for (const [key, group] of groups) {
    const first = group[0]!;
    const spec: FeatureSpec = first.mode === "nowcast"
      ? { mode: "nowcast", horizonH: 0, utcOffsetMin }
      : { mode: "forecast", horizonH: first.horizonH, utcOffsetMin };
    const expected = featureNames(spec).join(",");
    const bad = group.find((a) => a.features.join(",") !== expected);
    if (bad !== undefined) {
      problems.push(`${key}: artifact ${bad.name} has other features than this code computes`);
      continue;
    }
    const total = group.reduce((s, a) => s + a.blendWeight, 0);
    if (!(total > 0)) {
      problems.push(`${key}: blend weights sum to 0`);
      continue;
    }
    const sorted = [...group].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const parts = sorted.filter((a) => a.blendWeight > 0).map((a) => ({
      weight: a.blendWeight / total,
      artifact: a,
    }));
    const version = parts.map((p) => `${p.artifact.name}${p.weight.toFixed(2)}`).join("+") +
      `@${first.createdAt}`;
    blends.set(key, { parts, version });
    const fromArtifact = group.map((a) => a.intervalHalfWidth).find((w) => w !== null);
    if (fromArtifact !== undefined && fromArtifact !== null) {
      halfWidths.set(key, { value: fromArtifact, source: "artifact" });
    }
  }
  // evaluation residuals: conformal widths of the walk-forward (`best` for the model,
  // `persistence` for the baseline); the virtual sensor has an RMSE only: 1.645 * RMSE
  for (const r of evaluation?.results ?? []) {
    const w = r.interval_mean_width;
    if (typeof w !== "number" || !Number.isFinite(w)) continue;
    const key = modelKey(r.target, r.horizon_h);
    if (r.model === "best" && !halfWidths.has(key)) {
      halfWidths.set(key, { value: w / 2, source: "evaluation" });
    }
    if (r.model === "persistence") {
      halfWidths.set(`${key}|persistence`, { value: w / 2, source: "evaluation" });
    }
  }
  for (const n of evaluation?.nowcast ?? []) {
    const key = modelKey(n.target, "nowcast");
    if (typeof n.rmse === "number" && Number.isFinite(n.rmse) && !halfWidths.has(key)) {
      halfWidths.set(key, { value: 1.645 * n.rmse, source: "evaluation" });
    }
  }
  return {
    blends,
    halfWidths,
    problems,
    grouped: groupedHalfWidthsOf(evaluation?.served_intervals),
  };
}

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
  /** The change parts' lookback (hours), null when the blend has none: the offset it needs. */
  readonly changeLookbackH: number | null;

  /** Compiles the blend's models; boosted trees against `cuts` when those cover them. */
  constructor(blend: Blend, cuts: MergedCuts = mergedCutsOf([blend])) {
    this.#weights = Float64Array.from(blend.parts, (p) => p.weight);
    this.#models = blend.parts.map((p) => compileModel(p.artifact.model, cuts));
    this.#change = Uint8Array.from(blend.parts, (p) => (p.artifact.change === undefined ? 0 : 1));
    this.#levelShare = blend.parts.reduce(
      (s, p) => (p.artifact.change === undefined ? s + p.weight : s),
      0,
    );
    const lookbacks = new Set(blend.parts.map((p) => p.artifact.change?.lookbackH));
    lookbacks.delete(undefined);
    if (lookbacks.size > 1) throw new RangeError("A blend's change models differ in lookback");
    this.changeLookbackH = lookbacks.size === 0 ? null : [...lookbacks][0]!;
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
    if (this.changeLookbackH === null) return level;
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

/** One target at one horizon, looked up once: what the engine needs for its forecast. */
export interface ForecastSlot {
  readonly target: RealtimeTarget;
  readonly horizonH: number;
  readonly blend: Blend | undefined;
  readonly compiled: CompiledBlend | undefined;
  readonly halfWidth: HalfWidth | undefined;
  readonly persistenceHalfWidth: HalfWidth | undefined;
  /** The regime-aware intervals around the model's forecast, when the evaluation serves them. */
  readonly grouped: GroupedHalfWidths | undefined;
  /** `target|horizon`, the end of the forecast id. */
  readonly idSuffix: string;
}

/** One target's virtual sensor. */
export interface EstimateSlot {
  readonly target: RealtimeTarget;
  readonly blend: Blend;
  readonly compiled: CompiledBlend;
  readonly halfWidth: HalfWidth | undefined;
}

/**
 * The deployed models compiled for the real-time engine: per horizon (in
 * `REALTIME_HORIZONS` order) the slots of the four targets and a row buffer, the
 * virtual sensors of the targets that have one. All forecast trees share one set of
 * merged cuts, all virtual-sensor trees another: a feature vector is binned once.
 */
export interface CompiledModels {
  readonly horizons: readonly {
    readonly horizonH: number;
    readonly slots: readonly ForecastSlot[];
    /** The horizon's feature vector prepared for the models, for every reading. */
    readonly row: PreparedRow;
  }[];
  /** Whether any blend was deployed (none: every forecast says `no_model`). */
  readonly anyModel: boolean;
  /** Whether any forecast horizon has a blend (else no forecast features are computed). */
  readonly anyForecastModel: boolean;
  readonly estimates: readonly EstimateSlot[];
  readonly nowcastRow: PreparedRow;
}

/** Compiles the deployed models for the engine; later changes to `models` are not seen. */
export function compileModels(models: DeployedModels, utcOffsetMin = 0): CompiledModels {
  const forecastBlends: Blend[] = [];
  const nowcastBlends: Blend[] = [];
  for (const [key, blend] of models.blends) {
    (key.endsWith("|nowcast") ? nowcastBlends : forecastBlends).push(blend);
  }
  const forecastCuts = mergedCutsOf(forecastBlends);
  const nowcastCuts = mergedCutsOf(nowcastBlends);
  const horizons = REALTIME_HORIZONS.map((h) => ({
    horizonH: h,
    slots: REALTIME_TARGETS.map((target): ForecastSlot => {
      const key = modelKey(target.target, h);
      const blend = models.blends.get(key);
      return {
        target,
        horizonH: h,
        blend,
        compiled: blend === undefined ? undefined : new CompiledBlend(blend, forecastCuts),
        halfWidth: models.halfWidths.get(key),
        persistenceHalfWidth: models.halfWidths.get(`${key}|persistence`),
        grouped: models.grouped?.get(key),
        idSuffix: `${target.target}|${h}`,
      };
    }),
    row: new PreparedRow(
      forecastCuts,
      featureCount({ mode: "forecast", horizonH: h, utcOffsetMin }),
    ),
  }));
  const estimates: EstimateSlot[] = [];
  for (const target of REALTIME_TARGETS) {
    const key = modelKey(target.target, "nowcast");
    const blend = models.blends.get(key);
    if (blend === undefined) continue;
    estimates.push({
      target,
      blend,
      compiled: new CompiledBlend(blend, nowcastCuts),
      halfWidth: models.halfWidths.get(key),
    });
  }
  return {
    horizons,
    anyModel: models.blends.size > 0,
    anyForecastModel: horizons.some((h) => h.slots.some((s) => s.blend !== undefined)),
    estimates,
    nowcastRow: new PreparedRow(
      nowcastCuts,
      featureCount({ mode: "nowcast", horizonH: 0, utcOffsetMin }),
    ),
  };
}
