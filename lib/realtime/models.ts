/**
 * The deployed models as the real-time forecaster uses them: the ridge/trees
 * blend per target and horizon (and per target for the virtual sensor) from the
 * artifacts `deno task train` writes, and the 90 % interval half-widths.
 *
 * Pure: no `Deno.*`, no I/O (`load.ts` reads the files).
 *
 * @module
 */
import { featureNames, type FeatureSpec } from "../features/mod.ts";
import { type ModelArtifact, predictModel } from "../models/mod.ts";

/** The four targets, as source columns, with the reading field each one is. */
export const REALTIME_TARGETS = [
  { target: "CO(GT)", field: "co_mg_m3" },
  { target: "NOx(GT)", field: "nox_ppb" },
  { target: "NO2(GT)", field: "no2_ug_m3" },
  { target: "C6H6(GT)", field: "c6h6_ug_m3" },
] as const;

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

/** What the forecaster predicts with. Empty `blends` = baselines only. */
export interface DeployedModels {
  blends: Map<string, Blend>;
  /** Half-widths per `modelKey`, of the model (`target|h`) and of persistence (`target|h|persistence`). */
  halfWidths: Map<string, HalfWidth>;
  /** Problems found while assembling (logged by the caller). */
  problems: string[];
}

/** The slice of `var/evaluation.json` used for intervals (tolerant: unknown fields ignored). */
export interface EvaluationSummary {
  results?: {
    target: string;
    horizon_h: number;
    model: string;
    interval_mean_width?: number | null;
  }[];
  nowcast?: { target: string; rmse?: number | null }[];
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
  return { blends, halfWidths, problems };
}

/** The blend's prediction for one feature vector. */
export function predictBlend(blend: Blend, x: Float64Array): number {
  const matrix = { n: 1, p: x.length, data: x };
  let sum = 0;
  for (const part of blend.parts) {
    sum += part.weight * predictModel(part.artifact.model, matrix)[0]!;
  }
  return sum;
}
