/**
 * Retraining as data arrives, without I/O: evaluate's weekly refit schedule in
 * live time, the training series of a refit from stored readings, the refit
 * itself (evaluate's ridge/trees and SARIMA fits for the block), and the
 * challenger rule: champion and challenger forecast the same recent hours as
 * the live engine would, and the challenger is promoted only when its mean MAE
 * ratio against the champion is at most `maxMaeRatio`.
 *
 * Pure: no `Deno.*`, no I/O (`retrainer.ts` reads the store and runs the
 * refit in a worker, `retrain_worker.ts`).
 *
 * @module
 */
import { HOUR_MS, type HourlySeries } from "../features/mod.ts";
import { MEASUREMENT_FIELDS, type MeasurementField } from "../records/reading.ts";
import type { CleanReading, RetrainScore } from "../records/mod.ts";
import type { ModelArtifact, SarimaArtifact, SarimaEngine } from "../models/mod.ts";
import { type ForecastConfig, trainModels, trainSarima } from "../offline/mod.ts";
import { type EngineOptions, RealtimeForecaster } from "./engine.ts";
import { type DeployedModels, REALTIME_HORIZONS, REALTIME_TARGETS } from "./models.ts";
import { sarimaSeed } from "./sarima_models.ts";

/** Refit block of an instant: weeks (`everyH` hours) since `anchorMs`, evaluate's `testWindow.from`. */
export function refitBlock(tMs: number, anchorMs: number, everyH: number): number {
  return Math.floor((tMs - anchorMs) / (everyH * HOUR_MS));
}

/** First instant of refit block `k`. */
export function blockStartMs(k: number, anchorMs: number, everyH: number): number {
  return anchorMs + k * everyH * HOUR_MS;
}

/**
 * The hourly series of one station's `readings` (time order) that ends at the
 * hour before `endMs`, as evaluate's series ends for a refit at `endMs`: hours
 * without a reading, also at the end, are missing. Null when no reading is before `endMs`.
 */
export function seriesBefore(
  readings: readonly CleanReading[],
  endMs: number,
): HourlySeries | null {
  const before = readings.filter((r) => r.ts_utc_ms < endMs);
  const first = before[0];
  if (first === undefined) return null;
  const length = Math.ceil((endMs - first.ts_utc_ms) / HOUR_MS);
  const columns = Object.fromEntries(
    MEASUREMENT_FIELDS.map((f) => [f, new Float64Array(length).fill(NaN)]),
  ) as Record<MeasurementField, Float64Array>;
  for (const r of before) {
    const i = (r.ts_utc_ms - first.ts_utc_ms) / HOUR_MS;
    if (!Number.isInteger(i)) continue; // off the station's hourly grid
    for (const f of MEASUREMENT_FIELDS) {
      const v = r.measurements[f];
      columns[f][i] = v === null ? NaN : v;
    }
  }
  return { startMs: first.ts_utc_ms, length, columns };
}

/** What a refit produced. */
export interface Refit {
  artifacts: ModelArtifact[];
  /** Null when SARIMA is off in the config or no engine was given. */
  sarima: SarimaArtifact | null;
  problems: string[];
}

/**
 * The refit of block `block` on `series` (ending at the block's start): the
 * models `deno task train` fits on that series, with the trees seeded as
 * evaluate's walk-forward seeds this block's refit (`gbt.seed + block`), and
 * SARIMA on the latest `sarima.windowH` hours, as evaluate's SARIMA refit.
 */
export function refitForBlock(
  sarimaEngine: SarimaEngine | null,
  series: HourlySeries,
  config: ForecastConfig,
  block: number,
  createdAt: string,
): Refit {
  const seeded = { ...config, gbt: { ...config.gbt, seed: config.gbt.seed + block } };
  const artifacts = trainModels(series, seeded, createdAt);
  if (!config.sarima.enabled || sarimaEngine === null) {
    return { artifacts, sarima: null, problems: [] };
  }
  const trained = trainSarima(sarimaEngine, series, config, createdAt);
  return { artifacts, sarima: trained.artifact, problems: trained.problems };
}

/** The version of a set of deployed models: their training's `createdAt`; null with none. */
export function modelsVersion(models: DeployedModels): string | null {
  for (const blend of models.blends.values()) {
    const at = blend.parts[0]?.artifact.createdAt;
    if (at !== undefined) return at;
  }
  return null;
}

/**
 * Champion and challenger forecast the hours `[fromMs, toMs)` of one station as
 * the live engine would (each warm-started on the readings before `fromMs`,
 * with SARIMA's fill seed), and are scored per target and horizon on the
 * target hours before `toMs` that were observed and that both forecast.
 * `readings`: the station's, time order, all before `toMs`.
 */
export function scoreRecent(
  champion: DeployedModels,
  challenger: DeployedModels,
  readings: readonly CleanReading[],
  fromMs: number,
  toMs: number,
  options: EngineOptions,
): RetrainScore[] {
  const stationId = readings[0]?.station_id ?? "";
  const actual = new Map<number, CleanReading>();
  for (const r of readings) {
    if (r.ts_utc_ms >= fromMs && r.ts_utc_ms < toMs) actual.set(r.ts_utc_ms, r);
  }
  const forecastsOf = (models: DeployedModels) => {
    const engine = new RealtimeForecaster(models, options);
    const warmFrom = fromMs - engine.historyH * HOUR_MS;
    const before = readings.filter((r) => r.ts_utc_ms < warmFrom);
    const history = readings.filter((r) => r.ts_utc_ms >= warmFrom && r.ts_utc_ms < fromMs);
    const fields = engine.sarimaFields;
    const seed = fields.length === 0 ? null : sarimaSeed(before, fields, warmFrom).seed;
    engine.warm(stationId, history, seed ?? undefined);
    const values = new Map<string, number>();
    for (const r of readings) {
      if (r.ts_utc_ms < fromMs || r.ts_utc_ms >= toMs) continue;
      for (const f of engine.process(r).forecasts) {
        if (f.value !== null) values.set(`${r.ts_utc_ms}|${f.target}|${f.horizon_h}`, f.value);
      }
    }
    return values;
  };
  const a = forecastsOf(champion);
  const b = forecastsOf(challenger);
  const scores: RetrainScore[] = [];
  for (const h of REALTIME_HORIZONS) {
    for (const target of REALTIME_TARGETS) {
      let n = 0, sumA = 0, sumB = 0;
      for (let t = fromMs; t < toMs - h * HOUR_MS; t += HOUR_MS) {
        const y = actual.get(t + h * HOUR_MS)?.measurements[target.field] ?? null;
        if (y === null) continue;
        const key = `${t}|${target.target}|${h}`;
        const va = a.get(key), vb = b.get(key);
        if (va === undefined || vb === undefined) continue;
        n++;
        sumA += Math.abs(va - y);
        sumB += Math.abs(vb - y);
      }
      scores.push({
        target: target.target,
        horizon_h: h,
        n,
        champion_mae: n === 0 ? null : sumA / n,
        challenger_mae: n === 0 ? null : sumB / n,
      });
    }
  }
  return scores;
}

/** What the challenger rule decided. */
export interface ChallengerDecision {
  promoted: boolean;
  /** Mean challenger / champion MAE over the scored rows; null when none was scored. */
  mae_ratio: number | null;
  reason: string;
}

/**
 * The challenger rule: with no champion the challenger is promoted; otherwise
 * only when the mean, over the targets and horizons scored on at least one
 * hour (champion MAE above 0), of challenger MAE / champion MAE is at most
 * `maxMaeRatio`. Nothing scored: the champion stays (a challenger cannot win
 * on no data).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decideChallenger } from "./retrain.ts";
 * const row = (champion_mae: number, challenger_mae: number) =>
 *   ({ target: "CO(GT)", horizon_h: 1, n: 100, champion_mae, challenger_mae });
 * assert.equal(decideChallenger([row(1, 0.9), row(2, 2.1)], 1, true).promoted, true);
 * assert.equal(decideChallenger([row(1, 1.2), row(2, 2)], 1, true).promoted, false);
 * ```
 */
export function decideChallenger(
  scores: readonly RetrainScore[],
  maxMaeRatio: number,
  hasChampion: boolean,
): ChallengerDecision {
  if (!hasChampion) {
    return { promoted: true, mae_ratio: null, reason: "no champion: the challenger serves" };
  }
  const ratios = scores.flatMap((s) =>
    s.n > 0 && s.champion_mae !== null && s.challenger_mae !== null && s.champion_mae > 0
      ? [s.challenger_mae / s.champion_mae]
      : []
  );
  if (ratios.length === 0) {
    return {
      promoted: false,
      mae_ratio: null,
      reason: "no recent observed target to score both on: the champion stays",
    };
  }
  const ratio = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  const promoted = ratio <= maxMaeRatio;
  return {
    promoted,
    mae_ratio: ratio,
    reason: `challenger/champion mean MAE ratio ${ratio.toFixed(4)} over ${ratios.length} ` +
      `target-horizons ${promoted ? "<=" : ">"} ${maxMaeRatio}: ${
        promoted ? "the challenger is promoted" : "the champion stays"
      }`,
  };
}
