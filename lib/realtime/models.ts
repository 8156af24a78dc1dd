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
import type { ModelArtifact } from "../models/mod.ts";
import { PreparedRow } from "../models/artifact.ts";
import type { NowcastRow, ResultRow, ServedIntervals } from "../records/evaluation.ts";
import {
  baseGroupCount,
  boundFactors,
  type ConditionalConformalOptions,
  type IntervalGroupRule,
  type ResidualScale,
} from "../scoring/mod.ts";
import { FORECAST_TARGETS } from "../records/forecast.ts";
import { MEASUREMENT_FIELDS } from "../records/reading.ts";
import { type NowcastExtra, parseNowcastExtra } from "../features/nowcast_extras.ts";
import type { CompiledSarima } from "./sarima_models.ts";
import { CompiledBlend, mergedCutsOf } from "./compiled_blend.ts";

export { CompiledBlend, mergedCutsOf, predictBlend } from "./compiled_blend.ts";

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
  /** Each group's lower side (below the forecast); the same as `halfWidths` for symmetric rules. */
  readonly lowerHalfWidths: Float64Array;
  /** Index of the target's field in the station state (`MEASUREMENT_FIELDS`). */
  readonly fieldIndex: number;
  /** Per group, `boundFactors` of its sides (null: none), computed once here. */
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
    // above and below the forecast; a file without `lower_half_widths` is symmetric
    const upper = Float64Array.from(g.half_widths, (q) => q ?? NaN);
    const lower = Float64Array.from(g.lower_half_widths ?? g.half_widths, (q) => q ?? NaN);
    out.set(modelKey(g.target, g.horizon_h), {
      fieldIndex: MEASUREMENT_FIELDS.indexOf(field),
      scale: served.scale,
      rule,
      halfWidths: upper,
      lowerHalfWidths: lower,
      factors: Array.from(upper, (q, k) => {
        const below = lower[k] ?? NaN;
        return q === q && below === below ? boundFactors(-below, q, served.scale) : null;
      }),
      calibration: c === undefined ? null : {
        alpha: c.alpha,
        window: c.window,
        gamma: c.gamma,
        minResiduals: c.min_residuals,
        scale: served.scale,
        groups: baseGroupCount(rule),
        outage: outage !== null,
        tails: served.tails ?? "symmetric",
      },
    });
  }
  return out;
}

/**
 * Why a blend's artifacts cannot be served on the features this code computes (`base`), or null:
 * each must have exactly those, the virtual sensor's followed by extras the engine knows
 * (lib/features/nowcast_extras.ts), all of them the same.
 */
function featureProblem(group: readonly ModelArtifact[], base: readonly string[]): string | null {
  const first = group[0]!.features;
  const other = group.find((a) => a.features.join(",") !== first.join(","));
  if (other !== undefined) {
    return `artifact ${other.name} has other features than the blend's first`;
  }
  const head = first.slice(0, base.length).join(",");
  const extras = first.slice(base.length);
  const unknown = extras.find((name) => parseNowcastExtra(name) === null);
  if (head !== base.join(",") || (group[0]!.mode !== "nowcast" && extras.length > 0)) {
    return `artifact ${group[0]!.name} has other features than this code computes (trained by ` +
      "another airq version? `deno task train` fits them again)";
  }
  return unknown === undefined
    ? null
    : `artifact ${group[0]!.name} has an unknown input "${unknown}"`;
}

/** The extras of a virtual sensor's feature names beyond the shared ones (names checked at load). */
function nowcastExtrasOf(names: readonly string[]): NowcastExtra[] {
  return names.map(parseNowcastExtra).filter((e): e is NowcastExtra => e !== null);
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
    const problem = featureProblem(group, featureNames(spec));
    if (problem !== null) {
      problems.push(`${key}: ${problem}`);
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
  /** Index of the target's field in the station state (`MEASUREMENT_FIELDS`). */
  readonly fieldIndex: number;
}

/** One target's virtual sensor. */
export interface EstimateSlot {
  readonly target: RealtimeTarget;
  readonly blend: Blend;
  readonly compiled: CompiledBlend;
  readonly halfWidth: HalfWidth | undefined;
  /** Its inputs beyond the shared nowcast features, as indices into `CompiledModels.nowcastExtras`. */
  readonly extraIds: Int32Array;
  /** Its feature vector: the shared nowcast features, then `extras`. */
  readonly x: Float64Array;
  /** Index of the target's field in the station state (`MEASUREMENT_FIELDS`). */
  readonly fieldIndex: number;
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
  /** The virtual sensors' extra inputs, each once (their slots' `extraIds` index it). */
  readonly nowcastExtras: readonly NowcastExtra[];
  /** Scratch for one reading's values of `nowcastExtras`. */
  readonly nowcastExtrasScratch: Float64Array;
}

/** Compiles the deployed models for the engine; later changes to `models` are not seen. */
export function compileModels(models: DeployedModels, utcOffsetMin = 0): CompiledModels {
  const forecastBlends: Blend[] = [];
  const nowcastBlends: Blend[] = [];
  for (const [key, blend] of models.blends) {
    (key.endsWith("|nowcast") ? nowcastBlends : forecastBlends).push(blend);
  }
  const forecastCuts = mergedCutsOf(forecastBlends);
  // the virtual sensors without extras share one binning of the nowcast row
  const baseCount = featureCount({ mode: "nowcast", horizonH: 0, utcOffsetMin });
  const plain = (b: Blend) => b.parts[0]!.artifact.features.length === baseCount;
  const nowcastCuts = mergedCutsOf(nowcastBlends.filter(plain));
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
        fieldIndex: MEASUREMENT_FIELDS.indexOf(target.field),
      };
    }),
    row: new PreparedRow(
      forecastCuts,
      featureCount({ mode: "forecast", horizonH: h, utcOffsetMin }),
    ),
  }));
  const estimates: EstimateSlot[] = [];
  // every virtual sensor's extra inputs, each once: a reading computes each of them once
  const extraIndex = new Map<string, number>();
  for (const target of REALTIME_TARGETS) {
    const key = modelKey(target.target, "nowcast");
    const blend = models.blends.get(key);
    if (blend === undefined) continue;
    const names = blend.parts[0]!.artifact.features.slice(baseCount);
    const extraIds = Int32Array.from(names, (name) => {
      if (!extraIndex.has(name)) extraIndex.set(name, extraIndex.size);
      return extraIndex.get(name)!;
    });
    estimates.push({
      target,
      blend,
      // the targets' virtual sensors differ in their extras: each bins its own row
      compiled: plain(blend) ? new CompiledBlend(blend, nowcastCuts) : new CompiledBlend(blend),
      halfWidth: models.halfWidths.get(key),
      extraIds,
      x: new Float64Array(baseCount + names.length),
      fieldIndex: MEASUREMENT_FIELDS.indexOf(target.field),
    });
  }
  return {
    horizons,
    anyModel: models.blends.size > 0,
    anyForecastModel: horizons.some((h) => h.slots.some((s) => s.blend !== undefined)),
    estimates,
    nowcastRow: new PreparedRow(nowcastCuts, baseCount),
    nowcastExtras: nowcastExtrasOf([...extraIndex.keys()]),
    nowcastExtrasScratch: new Float64Array(extraIndex.size),
  };
}
