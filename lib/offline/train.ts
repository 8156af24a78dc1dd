/**
 * Final fits for deployment: for every target and horizon (and the virtual
 * sensor), ridge and boosted trees on the latest training window, as artifacts
 * with metadata. The deployed forecast is the blend given by `gbtWeight`. The
 * fits are those of a refit of evaluate's walk-forward (`walkForward`) whose
 * block starts at the series' end: the same rows, the trees binned on every row
 * of the window (missing targets included) and seeded with `gbt.seed`.
 *
 * Pure: no `Deno.*`, no I/O (the creation time is injected).
 *
 * @module
 */
import { buildFeatureMatrix, fieldOf, HOUR_MS, type HourlySeries } from "../features/mod.ts";
import { mae, rmse } from "../scoring/mod.ts";
import {
  ARTIFACT_VERSION,
  binMatrix,
  type BinnedMatrix,
  changeOffsetAt,
  type DesignMatrix,
  fitGbtBinned,
  fitRidge,
  type FittedModel,
  type ModelArtifact,
  predictModel,
  takeRows,
} from "../models/mod.ts";
import { type InputReference, inputReference } from "../monitoring/mod.ts";
import {
  changeGbtWeightOf,
  changeWeightOf,
  type ForecastConfig,
  forecastTreesOf,
  gbtWeightOf,
  nowcastOptionsOf,
  offsetMinutes,
} from "./forecast_config.ts";
import { nowcastColumns, withColumns } from "./nowcast_features.ts";
import { changeOffset, type NowcastOptions } from "./nowcast.ts";

/** First hour of a training window of `window` hours (null = all) ending at hour `end` (exclusive). */
function windowStart(end: number, window: number | null): number {
  return window === null ? 0 : Math.max(0, end - window);
}

/**
 * How many progress messages `trainModels` sends for `config` (one per target
 * and horizon, and per target for the nowcast), plus `trainSarima`'s (one per
 * target) when SARIMA is enabled.
 */
export function trainingSteps(config: ForecastConfig): number {
  const targets = config.targets.length;
  return targets * (config.horizonsH.length + 1) + (config.sarima.enabled ? targets : 0);
}

/** Fits and describes every deployed model; `createdAt` is an ISO timestamp. */
export function trainModels(
  series: HourlySeries,
  config: ForecastConfig,
  createdAt: string,
  onProgress?: (message: string) => void,
): ModelArtifact[] {
  const utcOffsetMin = offsetMinutes(config.utcOffset);
  const artifacts: ModelArtifact[] = [];
  const keys = [...config.horizonsH.map((h) => String(h)), "nowcast"];
  const end = series.length; // targets up to the last hour of the series
  const oldestFor = (window: number | null) => windowStart(end, window);
  const trees = forecastTreesOf(config);
  const iso = (i: number) => new Date(series.startMs + i * HOUR_MS).toISOString();
  for (const key of keys) {
    const nowcast = key === "nowcast";
    const h = nowcast ? 0 : Number(key);
    // the virtual sensor is served as evaluated: its features, window, target and tree weight
    const served = (target: string) => nowcast ? servedNowcastOptions(config, target) : null;
    // a forecast's ridge and trees each fit their own window (walkForward.trees): rows of both
    const oldestOf = (target: string) => {
      const options = served(target);
      return options === null
        ? Math.min(oldestFor(config.walkForward.trainWindowH), oldestFor(trees.trainWindowH))
        : oldestFor(options.trainWindowH);
    };
    const oldest = Math.min(...config.targets.map(oldestOf));
    const spec = nowcast
      ? { mode: "nowcast" as const, horizonH: 0, utcOffsetMin }
      : { mode: "forecast" as const, horizonH: h, utcOffsetMin };
    const base = buildFeatureMatrix(series, spec, { from: Math.max(0, oldest - h) });
    for (const target of config.targets) {
      const options = served(target);
      const features = options === null
        ? base
        : withColumns(base, nowcastColumns(series, options.features));
      const x = { n: features.n, p: features.p, data: features.data };
      const y = series.columns[fieldOf(target)];
      const t = { x, features, y, ...trainingRows(features, y, h, oldestOf(target), end) };
      if (t.rows.length < 50) {
        throw new RangeError(`Only ${t.rows.length} training rows for ${target} (${key}); need 50`);
      }
      const fits = options === null
        ? fitTarget(config, target, key, t, {
          ridge: oldestFor(config.walkForward.trainWindowH),
          trees: oldestFor(trees.trainWindowH),
          gbt: trees.gbt,
        })
        : fitNowcast(config, options, t);
      for (const fit of fits) {
        artifacts.push({
          format: "airq-model",
          version: ARTIFACT_VERSION,
          target,
          mode: spec.mode,
          horizonH: h,
          name: fit.name,
          blendWeight: fit.weight,
          features: [...features.names],
          trainingWindow: {
            from: iso(features.from + fit.rows[0]! + h),
            to: iso(features.from + fit.rows[fit.rows.length - 1]! + h),
            rows: fit.rows.length,
          },
          metrics: inSample(predictModel(fit.model, takeRows(x, fit.rows)), fit.targets),
          intervalHalfWidth: null,
          createdAt,
          model: fit.model,
          ...(fit.changeLookbackH === undefined
            ? {}
            : { change: { lookbackH: fit.changeLookbackH } }),
        });
      }
      onProgress?.(`trained ${target} ${nowcast ? "nowcast" : `h=${h}`} on ${t.rows.length} rows`);
    }
  }
  return artifacts;
}

/**
 * One deployed fit: its role, blend weight, model, the rows (of the feature matrix) it was fitted
 * on with their targets, and the change lookback if it fits the change.
 */
interface Fit {
  name: string;
  weight: number;
  model: FittedModel;
  rows: number[];
  targets: number[];
  /** The change models' lookback (null: the virtual sensor's last value before t, however old). */
  changeLookbackH?: number | null;
}

/** What {@linkcode fitTarget} fits on: the matrix, the target column and its training rows. */
interface TargetRows {
  x: DesignMatrix;
  features: { from: number };
  y: ArrayLike<number>;
  window: number[];
  windowTargets: number[];
  rows: number[];
  targets: number[];
}

/** Training rows of one model: all of its window (for the trees' bins) and the observed ones. */
type Fitted = Pick<TargetRows, "window" | "windowTargets" | "rows" | "targets">;

/**
 * Ridge and trees, weighted `weights` (ridge, trees), named `names`, each on its own rows
 * (`fitted`, the same for both unless the trees have their own window): on the level (`rows`'
 * targets, the configured transforms), or, with `changeLookbackH` given, on the change
 * (untransformed). The trees (`gbt`) use every row of their window (`windowTargets`, missing ones
 * included), binned (`binned`) as evaluate's walk-forward bins each refit.
 */
function ridgeAndTrees(
  config: ForecastConfig,
  t: TargetRows,
  trees: { binned: BinnedMatrix; gbt: ForecastConfig["gbt"] },
  fitted: { ridge: Fitted; trees: Fitted },
  names: readonly [string, string],
  weights: readonly [number, number],
  changeLookbackH?: number | null,
): Fit[] {
  const change = changeLookbackH === undefined ? {} : { changeLookbackH };
  const transform = changeLookbackH === undefined ? {} : { transform: "none" as const };
  const { ridge, trees: tree } = fitted;
  return [
    {
      name: names[0],
      weight: weights[0],
      model: fitRidge(takeRows(t.x, ridge.rows), ridge.targets, { ...config.ridge, ...transform }),
      rows: ridge.rows,
      targets: ridge.targets,
      ...change,
    },
    {
      name: names[1],
      weight: weights[1],
      model: fitGbtBinned(trees.binned, tree.windowTargets, { ...trees.gbt, ...transform }),
      rows: tree.rows,
      targets: tree.targets,
      ...change,
    },
  ];
}

/** The rows of `fitted` whose target hour (row + `h`) is at or after `first`. */
function fromHour(
  fitted: Fitted,
  features: { from: number },
  h: number,
  first: number,
): Fitted {
  const keep = (r: number) => features.from + r + h >= first;
  const window: number[] = [];
  const windowTargets: number[] = [];
  fitted.window.forEach((r, k) => {
    if (keep(r)) (window.push(r), windowTargets.push(fitted.windowTargets[k]!));
  });
  const rows: number[] = [];
  const targets: number[] = [];
  fitted.rows.forEach((r, k) => {
    if (keep(r)) (rows.push(r), targets.push(fitted.targets[k]!));
  });
  return { window, windowTargets, rows, targets };
}

/**
 * The fits of one target at one forecast horizon: ridge and trees on the level, weighted
 * (1 - u) x their blend, and where the change models' weight u > 0 the change models, weighted
 * u x theirs. `own`: the first target hour of ridge's rows and of the trees' (their windows
 * differ with `walkForward.trees`), and the trees' parameters.
 */
function fitTarget(
  config: ForecastConfig,
  target: string,
  key: string,
  t: TargetRows,
  own: { ridge: number; trees: number; gbt: ForecastConfig["gbt"] },
): Fit[] {
  const h = Number(key);
  const rowsOf = (all: Fitted) => ({
    ridge: fromHour(all, t.features, h, own.ridge),
    trees: fromHour(all, t.features, h, own.trees),
  });
  const level = rowsOf(t);
  const trees = {
    binned: binMatrix(takeRows(t.x, level.trees.window), config.gbt.maxBins),
    gbt: own.gbt,
  };
  const u = changeWeightOf(config, target, key);
  const w = gbtWeightOf(config, target, key);
  const fits = ridgeAndTrees(config, t, trees, level, ["ridge", "gbt"], [
    (1 - u) * (1 - w),
    (1 - u) * w,
  ]);
  if (u === 0 || config.change === undefined) return fits;
  const lookbackH = config.change.lookbackH;
  const change = rowsOf(changeRows(t, (i) => changeOffsetAt(t.y, i, lookbackH)));
  const wc = changeGbtWeightOf(config, target, key);
  const names = ["ridge_change", "gbt_change"] as const;
  return [
    ...fits,
    ...ridgeAndTrees(config, t, trees, change, names, [u * (1 - wc), u * wc], lookbackH),
  ];
}

/** In-sample MAE and RMSE of a fit (on the scale it was fitted on). */
function inSample(fitted: Float64Array, targets: readonly number[]): Record<string, number> {
  return { in_sample_mae: mae(fitted, targets), in_sample_rmse: rmse(fitted, targets) };
}

/**
 * The virtual sensor of a target as `deno task evaluate` scores it (`nowcastOptionsOf`), which is
 * what the forecaster serves; the hour bias correction is not served, so a config asking for it
 * is refused.
 */
function servedNowcastOptions(config: ForecastConfig, target: string): NowcastOptions {
  const options = nowcastOptionsOf(config, target);
  if (options.hourBiasDays !== null) {
    throw new RangeError(
      `nowcast.${target}.hourBiasDays is ${options.hourBiasDays}: the real-time forecaster does ` +
        "not apply the hour bias correction, so it cannot serve that virtual sensor; set it to null",
    );
  }
  return options;
}

/**
 * The virtual sensor's fits (the final refit of evaluate's walk-forward, ./nowcast.ts): ridge and
 * trees on its features, weighted by its tree weight, on the level or on the change since the
 * last value before t (`changeOffset`).
 */
function fitNowcast(config: ForecastConfig, options: NowcastOptions, t: TargetRows): Fit[] {
  const trees = { binned: binMatrix(takeRows(t.x, t.window), config.gbt.maxBins), gbt: config.gbt };
  const weights = [1 - options.gbtWeight, options.gbtWeight] as const;
  if (options.target === "level") {
    return ridgeAndTrees(config, t, trees, { ridge: t, trees: t }, ["ridge", "gbt"], weights);
  }
  const offsets = changeOffset(t.y);
  const change = changeRows(t, (i) => offsets[i]!);
  const fitted = { ridge: change, trees: change };
  return ridgeAndTrees(config, t, trees, fitted, ["ridge", "gbt"], weights, null);
}

/**
 * The change models' training targets on the window's rows (as `trainingRows` gives them):
 * log1p(y(t + h)) minus the offset at t (`NaN` where either is missing), all of them for the
 * trees' binning, and the observed ones with their rows for ridge.
 */
function changeRows(
  t: TargetRows,
  offsetAt: (i: number) => number,
): Fitted {
  const rows: number[] = [];
  const targets: number[] = [];
  const all = t.window.map((r, k) =>
    Math.log1p(t.windowTargets[k]!) - offsetAt(t.features.from + r)
  );
  all.forEach((z, k) => {
    if (z === z) {
      rows.push(t.window[k]!);
      targets.push(z);
    }
  });
  return { window: t.window, rows, targets, windowTargets: all };
}

/**
 * The rows of `features` whose target hour (row + `h`) lies in `[since, end)`:
 * all of them with their targets (missing included: the trees are binned on
 * them), and those with an observed target (the training rows).
 */
function trainingRows(
  features: { n: number; from: number },
  y: ArrayLike<number>,
  h: number,
  since: number,
  end: number,
): { window: number[]; windowTargets: number[]; rows: number[]; targets: number[] } {
  const window: number[] = [];
  const windowTargets: number[] = [];
  const rows: number[] = [];
  const targets: number[] = [];
  for (let r = 0; r < features.n; r++) {
    const tau = features.from + r + h;
    if (tau < since || tau >= end) continue;
    window.push(r);
    windowTargets.push(y[tau]!);
    if (!Number.isNaN(y[tau]!)) {
      rows.push(r);
      targets.push(y[tau]!);
    }
  }
  return { window, windowTargets, rows, targets };
}

/** File name of an artifact, e.g. `co_gt_h6_gbt.json`, `no2_gt_nowcast_ridge.json`. */
export function artifactFileName(artifact: ModelArtifact): string {
  const slug = artifact.target.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/_+$/, "");
  const key = artifact.mode === "nowcast" ? "nowcast" : `h${artifact.horizonH}`;
  return `${slug}_${key}_${artifact.name}.json`;
}

/**
 * The input reference for drift monitoring (`<modelDir>/reference.json`): the
 * quantile bins of every field over the training window as `trainModels` uses
 * it, the latest `walkForward.trainWindowH` hours of the series.
 */
export function trainingInputReference(
  series: HourlySeries,
  config: ForecastConfig,
  createdAt: string,
): InputReference {
  const from = windowStart(series.length, config.walkForward.trainWindowH);
  return inputReference(series, { from, to: series.length, createdAt });
}
