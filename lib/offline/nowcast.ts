/**
 * The virtual sensor (nowcast): the reference value at t estimated from the
 * cheap sensors at t and the reference values up to t - 1, with optional
 * nowcast-only inputs on top of the shared `nowcast` feature vector:
 *
 * - `ratios`: each metal-oxide sensor over its own causal rolling median
 *   (24 h and 168 h, ending at t), a drift-robust reading of the sensor;
 * - `weather`: each metal-oxide sensor times temperature and times relative
 *   humidity at t (metal-oxide sensors respond to both);
 * - `age`: per reference pollutant, hours since it was last observed before t
 *   and that last value (carried over outages, where the lag features are NaN);
 *
 * and an optional post-hoc `hour bias` correction: the estimate at t minus the
 * mean error of the same hour of day over the previous `days` days (only
 * errors whose reference hour is before t).
 *
 * The inputs and the correction are built in ./nowcast_features.ts (re-exported
 * here); the validation search that chose them is ./nowcast_select.ts.
 *
 * Leakage guard: nothing here reads a reference value at t or later
 * (`tests/offline/nowcast_test.ts` perturbs them and checks).
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { type FeatureMatrix, fieldOf, type HourlySeries } from "../features/mod.ts";
import { z } from "zod";
import { mae, rmse } from "../scoring/mod.ts";
import {
  type ForecastConfig,
  type NOWCAST_TARGETS,
  nowcastOptionsOf,
  type NowcastOptionsSchema,
} from "./forecast_config.ts";
import { walkForward, type WalkForwardOptions } from "./walk_forward.ts";
import {
  hourBiasCorrected,
  lastBefore,
  MAX_AGE_H,
  nowcastColumns,
  type NowcastFeatureGroup,
  RATIO_WINDOWS_H,
  rollingMedian,
  withColumns,
} from "./nowcast_features.ts";

export {
  hourBiasCorrected,
  lastBefore,
  MAX_AGE_H,
  nowcastColumns,
  type NowcastFeatureGroup,
  RATIO_WINDOWS_H,
  rollingMedian,
  withColumns,
};

/** What the virtual sensor's models fit: the value, or its change since the last observed value. */
export type NowcastTarget = (typeof NOWCAST_TARGETS)[number];
/** What a virtual sensor of one target uses on top of the shared features. */
export type NowcastOptions = z.infer<typeof NowcastOptionsSchema>;

/** The ridge and trees estimates of one target's virtual sensor. */
export interface NowcastRun {
  readonly ridge: Float64Array;
  readonly gbt: Float64Array;
  readonly refits: number;
}

/** Targets that share a feature set and a training window run in one walk-forward. */
export interface NowcastGroupKey {
  readonly features: readonly NowcastFeatureGroup[];
  readonly trainWindowH: number | null;
  readonly target: NowcastTarget;
}

/** log1p of the last value observed before each index (the offset of `change` models). */
export function changeOffset(y: ArrayLike<number>): Float64Array {
  return Float64Array.from(lastBefore(y).value, (v) => Math.log1p(v));
}

/**
 * Walk-forward virtual sensors of `targets` (each with its feature groups and
 * training window) over target hours `fromTarget..toTarget`: one walk-forward
 * per distinct feature set and window, the base matrix shared.
 */
export function runNowcasts(
  series: HourlySeries,
  base: FeatureMatrix,
  targets: readonly { target: string; key: NowcastGroupKey }[],
  wf: Omit<WalkForwardOptions, "horizonH" | "trainWindowH">,
): NowcastRun[] {
  const out: NowcastRun[] = [];
  const label = (k: NowcastGroupKey) =>
    `${[...k.features].sort().join("+")}|${k.trainWindowH}|${k.target}`;
  const groups = new Map<string, number[]>();
  targets.forEach((t, s) => groups.set(label(t.key), [...(groups.get(label(t.key)) ?? []), s]));
  const matrices = new Map<string, FeatureMatrix>();
  for (const members of groups.values()) {
    const key = targets[members[0]!]!.key;
    const featureLabel = [...key.features].sort().join("+");
    let x = matrices.get(featureLabel);
    if (x === undefined) {
      x = withColumns(base, nowcastColumns(series, key.features));
      matrices.set(featureLabel, x);
    }
    const ys = members.map((s) => series.columns[fieldOf(targets[s]!.target)]);
    if (key.target === "level") {
      const runs = walkForward(x, ys, {
        ...wf,
        horizonH: 0,
        trainWindowH: key.trainWindowH,
        trees: null, // the forecast trees' window is not the virtual sensor's
        changeLookbackH: null,
      });
      members.forEach((s, k) => (out[s] = runs[k]!));
      continue;
    }
    // change: the change models alone, offset by the last value before t (however old)
    const runs = walkForward(x, ys, {
      ...wf,
      horizonH: 0,
      trainWindowH: key.trainWindowH,
      trees: null,
      changeLookbackH: null,
      changeOffsets: ys.map(changeOffset),
      changeOnly: true,
    });
    members.forEach((s, k) => out[s] = { ...runs[k]!.change!, refits: runs[k]!.refits });
  }
  return out;
}

/** The estimate of a run: ridge/trees blend, then the hour bias correction if any. */
export function nowcastEstimate(
  run: { ridge: Float64Array; gbt: Float64Array },
  y: Float64Array,
  gbtWeight: number,
  hourBiasDays: number | null,
): Float64Array {
  const mix = Float64Array.from(run.ridge, (r, i) => (1 - gbtWeight) * r + gbtWeight * run.gbt[i]!);
  return hourBiasDays === null ? mix : hourBiasCorrected(mix, y, hourBiasDays);
}

/** MAE of `estimate` against `y` over indices `from..to`. */
export function windowMae(
  estimate: Float64Array,
  y: Float64Array,
  from: number,
  to: number,
): number {
  return mae(estimate.subarray(from, to + 1), y.subarray(from, to + 1));
}

/** One row of `nowcast` in the evaluation JSON (the virtual sensor). */
export interface NowcastRow {
  target: string;
  n: number;
  mae: number;
  rmse: number;
  ridge_mae: number;
  gbt_mae: number;
  detail: string;
  /** The nowcast-only feature groups (`nowcast` in config/forecast.json). */
  features: NowcastFeatureGroup[];
  /** What the models fit: `level` or `change` since the last observed value. */
  fits: NowcastTarget;
  /** Days of the hour-of-day bias correction; null = none. */
  hour_bias_days: number | null;
}

const blendLabel = (w: number) => `${(1 - w).toFixed(2)} ridge + ${w.toFixed(2)} gbt`;

/** How a virtual sensor is described in `detail`. */
export function nowcastLabel(options: NowcastOptions, gbtWeight: number): string {
  return [
    blendLabel(gbtWeight),
    ...(options.features.length > 0 ? [`+ ${options.features.join(", ")} features`] : []),
    ...(options.target === "change" ? ["fitted as the change since the last value"] : []),
    ...(options.hourBiasDays !== null ? [`${options.hourBiasDays}-day hour bias correction`] : []),
  ].join("; ");
}

/** Every target of `config` with its virtual sensor's walk-forward key, as `runNowcasts` takes them. */
export function nowcastTargetsOf(
  config: ForecastConfig,
): { target: string; key: NowcastGroupKey }[] {
  return config.targets.map((target) => {
    const o = nowcastOptionsOf(config, target);
    return {
      target,
      key: { features: o.features, trainWindowH: o.trainWindowH, target: o.target },
    };
  });
}

/**
 * The virtual sensor of every target of `config` on the test window
 * `testFrom..testTo`: walk-forward (started earlier by the hour bias
 * correction's days, if any), the target's options and tree weight.
 */
export function evaluateNowcasts(
  series: HourlySeries,
  base: FeatureMatrix,
  config: ForecastConfig,
  testFrom: number,
  testTo: number,
  wf: Omit<WalkForwardOptions, "horizonH" | "fromTarget" | "toTarget">,
): { rows: NowcastRow[]; refits: number } {
  const options = config.targets.map((t) => nowcastOptionsOf(config, t));
  const warmupH = 24 * Math.max(0, ...options.map((o) => o.hourBiasDays ?? 0));
  const runs = runNowcasts(
    series,
    base,
    nowcastTargetsOf(config),
    { ...wf, fromTarget: Math.max(0, testFrom - warmupH), toTarget: testTo },
  );
  let refits = 0;
  const rows = config.targets.map((target, s): NowcastRow => {
    const y = series.columns[fieldOf(target)];
    const run = runs[s]!;
    refits += run.refits;
    const o = options[s]!;
    const w = o.gbtWeight;
    const estimate = nowcastEstimate(run, y, w, o.hourBiasDays);
    const window = (a: Float64Array) => a.subarray(testFrom, testTo + 1);
    const obs = window(y);
    const est = window(estimate);
    const n = obs.reduce((c, v, i) => (v === v && est[i] === est[i] ? c + 1 : c), 0);
    return {
      target,
      n,
      mae: mae(est, obs),
      rmse: rmse(est, obs),
      ridge_mae: mae(window(run.ridge), obs),
      gbt_mae: mae(window(run.gbt), obs),
      detail: nowcastLabel(o, w),
      features: [...o.features],
      fits: o.target,
      hour_bias_days: o.hourBiasDays,
    };
  });
  return { rows, refits };
}
