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
 * Leakage guard: nothing here reads a reference value at t or later
 * (`tests/offline/nowcast_test.ts` perturbs them and checks).
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { type FeatureMatrix, fieldOf, type HourlySeries } from "../features/mod.ts";
import type { MeasurementField } from "../records/reading.ts";
import { z } from "zod";
import { mae, rmse } from "../scoring/mod.ts";
import {
  type ForecastConfig,
  NOWCAST_FEATURE_GROUPS,
  NOWCAST_TARGETS,
  nowcastOptionsOf,
  NowcastOptionsSchema,
  nowcastTrainWindowOf,
} from "./forecast_config.ts";
import { walkForward, type WalkForwardOptions } from "./walk_forward.ts";

/** One group of nowcast-only features. */
export type NowcastFeatureGroup = (typeof NOWCAST_FEATURE_GROUPS)[number];
/** What the virtual sensor's models fit: the value, or its change since the last observed value. */
export type NowcastTarget = (typeof NOWCAST_TARGETS)[number];
/** What a virtual sensor of one target uses on top of the shared features. */
export type NowcastOptions = z.infer<typeof NowcastOptionsSchema>;

const MOX_SENSORS: readonly MeasurementField[] = [
  "pt08_s1_co",
  "pt08_s2_nmhc",
  "pt08_s3_nox",
  "pt08_s4_no2",
  "pt08_s5_o3",
];
const REFERENCES: readonly MeasurementField[] = [
  "co_mg_m3",
  "nox_ppb",
  "no2_ug_m3",
  "c6h6_ug_m3",
];
/** Windows (hours, ending at t) of the rolling medians of `ratios`. */
export const RATIO_WINDOWS_H: readonly number[] = [24, 168];
/** The age feature is capped here (hours): older is "long ago". */
export const MAX_AGE_H = 24 * 14;

/**
 * Causal rolling median of the observed values of `x` over the `window` hours
 * ending at each index (NaN where none was observed). O(n * window).
 */
export function rollingMedian(x: ArrayLike<number>, window: number): Float64Array {
  const out = new Float64Array(x.length);
  const sorted: number[] = [];
  for (let t = 0; t < x.length; t++) {
    const v = x[t]!;
    if (v === v) sorted.splice(upperBound(sorted, v), 0, v);
    const old = t - window >= 0 ? x[t - window]! : NaN;
    if (old === old) sorted.splice(upperBound(sorted, old) - 1, 1);
    const m = sorted.length;
    out[t] = m === 0
      ? NaN
      : m % 2 === 1
      ? sorted[(m - 1) / 2]!
      : (sorted[m / 2 - 1]! + sorted[m / 2]!) / 2;
  }
  return out;
}

function upperBound(a: readonly number[], v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Per index t: hours since `y` was last observed strictly before t (capped at
 * `MAX_AGE_H`; NaN if never), and that value. Reads `y` at t - 1 and earlier only.
 */
export function lastBefore(y: ArrayLike<number>): { age: Float64Array; value: Float64Array } {
  const age = new Float64Array(y.length).fill(NaN);
  const value = new Float64Array(y.length).fill(NaN);
  let lastAt = -1;
  for (let t = 0; t < y.length; t++) {
    if (lastAt >= 0) {
      age[t] = Math.min(t - lastAt, MAX_AGE_H);
      value[t] = y[lastAt]!;
    }
    const v = y[t]!;
    if (v === v) lastAt = t; // visible from t + 1 on
  }
  return { age, value };
}

/** Nowcast-only columns of a series (one array per feature, indexed like the series). */
export function nowcastColumns(
  series: HourlySeries,
  groups: readonly NowcastFeatureGroup[],
): { names: string[]; columns: Float64Array[] } {
  const names: string[] = [];
  const columns: Float64Array[] = [];
  const c = series.columns;
  if (groups.includes("ratios")) {
    for (const f of MOX_SENSORS) {
      for (const w of RATIO_WINDOWS_H) {
        const med = rollingMedian(c[f], w);
        names.push(`${f}_over_median${w}`);
        columns.push(Float64Array.from(c[f], (v, t) => v / med[t]!));
      }
    }
  }
  if (groups.includes("weather")) {
    for (const f of MOX_SENSORS) {
      names.push(`${f}_x_t`, `${f}_x_rh`);
      columns.push(
        Float64Array.from(c[f], (v, t) => v * c.t_c[t]!),
        Float64Array.from(c[f], (v, t) => v * c.rh_pct[t]!),
      );
    }
  }
  if (groups.includes("age")) {
    for (const f of REFERENCES) {
      const { age, value } = lastBefore(c[f]);
      names.push(`${f}_age_h`, `${f}_last`);
      columns.push(age, value);
    }
  }
  return { names, columns };
}

/** `base` with `extra` columns (indexed like the series) appended to every row. */
export function withColumns(
  base: FeatureMatrix,
  extra: { names: readonly string[]; columns: readonly Float64Array[] },
): FeatureMatrix {
  const k = extra.columns.length;
  if (k === 0) return base;
  const p = base.p + k;
  const data = new Float64Array(base.n * p);
  for (let r = 0; r < base.n; r++) {
    data.set(base.data.subarray(r * base.p, (r + 1) * base.p), r * p);
    const t = base.from + r;
    for (let j = 0; j < k; j++) data[r * p + base.p + j] = extra.columns[j]![t]!;
  }
  return { names: [...base.names, ...extra.names], n: base.n, p, data, from: base.from };
}

/**
 * Hour-of-day bias correction: at t, `estimate[t]` minus the mean error
 * (estimate - observed) at t - 24, t - 48, ..., t - 24 * days, over the hours
 * with both. Reads `y` before t only; NaN estimates stay NaN.
 */
export function hourBiasCorrected(
  estimate: ArrayLike<number>,
  y: ArrayLike<number>,
  days: number,
): Float64Array {
  return Float64Array.from({ length: estimate.length }, (_, t) => {
    const e = estimate[t]!;
    if (e !== e) return NaN;
    let sum = 0, n = 0;
    for (let d = 1; d <= days; d++) {
      const u = t - 24 * d;
      if (u < 0) break;
      const r = estimate[u]! - y[u]!;
      if (r === r) {
        sum += r;
        n++;
      }
    }
    return n === 0 ? e : Math.max(0, e - sum / n);
  });
}

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
      const runs = walkForward(x, ys, { ...wf, horizonH: 0, trainWindowH: key.trainWindowH });
      members.forEach((s, k) => (out[s] = runs[k]!));
      continue;
    }
    // change: fit log1p(y) - offset on the raw scale, then add the offset back
    const offsets = ys.map(changeOffset);
    const runs = walkForward(
      x,
      ys.map((y, k) => Float64Array.from(y, (v, t) => Math.log1p(v) - offsets[k]![t]!)),
      {
        ...wf,
        horizonH: 0,
        trainWindowH: key.trainWindowH,
        ridge: wf.ridge === null ? null : { ...wf.ridge, transform: "none" },
        gbt: wf.gbt === null ? null : { ...wf.gbt, transform: "none" },
      },
    );
    const back = (a: Float64Array, o: Float64Array) =>
      Float64Array.from(a, (v, t) => Math.max(0, Math.expm1(v + o[t]!)));
    members.forEach((s, k) =>
      out[s] = {
        ridge: back(runs[k]!.ridge, offsets[k]!),
        gbt: back(runs[k]!.gbt, offsets[k]!),
        refits: runs[k]!.refits,
      }
    );
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
    config.targets.map((target, s) => ({
      target,
      key: {
        features: options[s]!.features,
        trainWindowH: options[s]!.trainWindowH,
        target: options[s]!.target,
      },
    })),
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

/** A model-fitting variant the validation search tries (each with every weight and correction). */
export interface NowcastCandidate {
  readonly features: readonly NowcastFeatureGroup[];
  readonly target: NowcastTarget;
  /** Training window (hours, null = all history); absent: each target's configured window. */
  readonly trainWindowH?: number | null;
}

/** The candidates of `deno task evaluate --select --nowcast`. */
export const NOWCAST_CANDIDATES: readonly NowcastCandidate[] = [
  { features: [], target: "level" },
  { features: ["ratios"], target: "level" },
  { features: ["weather"], target: "level" },
  { features: ["age"], target: "level" },
  { features: ["ratios", "weather", "age"], target: "level" },
  // the change target with both training windows of issue 4's search (it was chosen for `level`)
  { features: ["age"], target: "change", trainWindowH: 2688 },
  { features: ["age"], target: "change", trainWindowH: null },
  { features: ["ratios", "age"], target: "change", trainWindowH: 2688 },
  { features: ["ratios", "age"], target: "change", trainWindowH: null },
];
/** Days of the hour-of-day bias correction the search tries (null = none). */
export const HOUR_BIAS_CANDIDATES: readonly (number | null)[] = [null, 7, 28];
/** Tree weights of the ridge/trees blend the search tries. */
export const NOWCAST_WEIGHTS: readonly number[] = [0, 0.25, 0.5, 0.75, 1];

/** Schema of `docs/reports/nowcast-candidates.json` (written by the search, read by the docs test). */
export const NowcastSelectionSchema = z.strictObject({
  validation_window: z.strictObject({ from: z.string(), to: z.string() }),
  test_window: z.strictObject({ from: z.string(), to: z.string() }),
  protocol: z.string(),
  /** Per target, candidate and correction: the tree weight best on validation, and its MAEs. */
  candidates: z.array(z.strictObject({
    target: z.string(),
    features: z.array(z.enum(NOWCAST_FEATURE_GROUPS)),
    fits: z.enum(NOWCAST_TARGETS),
    /** Training window, hours (null = all history). */
    train_window_h: z.number().nullable(),
    hour_bias_days: z.number().nullable(),
    gbt_weight: z.number(),
    validation_mae: z.number(),
    /** Reported only: never read by the choice. */
    test_mae: z.number(),
  })),
  /** Per target: the candidate with the lowest validation MAE, as `config/forecast.json` takes it. */
  chosen: z.record(
    z.string(),
    z.strictObject({
      nowcast: NowcastOptionsSchema,
      gbt_weight: z.number(),
      validation_mae: z.number(),
      test_mae: z.number(),
    }),
  ),
  seconds: z.number(),
});
/** `docs/reports/nowcast-candidates.json`. */
export type NowcastSelection = z.infer<typeof NowcastSelectionSchema>;

/**
 * The virtual sensor's search: every candidate walked forward (weekly refits
 * anchored at the test start, each target's training window) over the
 * validation and test windows; per target, candidate and hour bias
 * correction, the tree weight with the lowest validation MAE; per target, the
 * row with the lowest validation MAE is chosen. Test MAEs are reported beside
 * and never read by the choice.
 */
export function selectNowcast(
  series: HourlySeries,
  base: FeatureMatrix,
  config: ForecastConfig,
  windows: { validationFrom: number; validationTo: number; testFrom: number; testTo: number },
  clock: () => number,
  onProgress?: (message: string) => void,
): NowcastSelection {
  const { validationFrom, validationTo, testFrom, testTo } = windows;
  if (validationTo >= testFrom) {
    throw new RangeError("The validation window must end before the test window");
  }
  const t0 = clock();
  const warmupH = 24 * Math.max(0, ...HOUR_BIAS_CANDIDATES.map((d) => d ?? 0));
  const rows: NowcastSelection["candidates"] = [];
  for (const candidate of NOWCAST_CANDIDATES) {
    const runs = runNowcasts(
      series,
      base,
      config.targets.map((target) => ({
        target,
        key: {
          features: candidate.features,
          target: candidate.target,
          trainWindowH: candidate.trainWindowH === undefined
            ? nowcastTrainWindowOf(config, target)
            : candidate.trainWindowH,
        },
      })),
      {
        fromTarget: Math.max(0, validationFrom - warmupH),
        toTarget: testTo,
        anchor: testFrom,
        refitEveryH: config.walkForward.refitEveryH,
        ridge: config.ridge,
        gbt: config.gbt,
      },
    );
    config.targets.forEach((target, s) => {
      const y = series.columns[fieldOf(target)];
      for (const days of HOUR_BIAS_CANDIDATES) {
        let best: { w: number; estimate: Float64Array; m: number } | undefined;
        for (const w of NOWCAST_WEIGHTS) {
          const estimate = nowcastEstimate(runs[s]!, y, w, days);
          const m = windowMae(estimate, y, validationFrom, validationTo);
          if (best === undefined || m < best.m) best = { w, estimate, m };
        }
        rows.push({
          target,
          features: [...candidate.features],
          fits: candidate.target,
          train_window_h: candidate.trainWindowH === undefined
            ? nowcastTrainWindowOf(config, target)
            : candidate.trainWindowH,
          hour_bias_days: days,
          gbt_weight: best!.w,
          validation_mae: best!.m,
          test_mae: windowMae(best!.estimate, y, testFrom, testTo),
        });
      }
    });
    onProgress?.(
      `nowcast validation: ${candidate.target} ${candidate.features.join("+")} ` +
        `window ${candidate.trainWindowH === undefined ? "configured" : candidate.trainWindowH}`,
    );
  }
  const chosen: NowcastSelection["chosen"] = {};
  for (const target of config.targets) {
    const byValidation = rows.filter((r) => r.target === target)
      .sort((a, b) => a.validation_mae - b.validation_mae)[0]!;
    chosen[target] = {
      nowcast: {
        features: byValidation.features,
        target: byValidation.fits,
        hourBiasDays: byValidation.hour_bias_days,
        trainWindowH: byValidation.train_window_h,
        gbtWeight: byValidation.gbt_weight,
      },
      gbt_weight: byValidation.gbt_weight,
      validation_mae: byValidation.validation_mae,
      test_mae: byValidation.test_mae,
    };
  }
  return {
    validation_window: config.validationWindow,
    test_window: config.testWindow,
    protocol: "walk-forward, weekly refits anchored at the test start, each target's training " +
      "window (walkForward.nowcastTrainWindowH); target hours from the validation start (less " +
      "the longest bias correction's days) to the end of the test window; chosen per target " +
      "on the validation MAE only",
    candidates: rows,
    chosen,
    seconds: (clock() - t0) / 1000,
  };
}

/**
 * The search as Markdown table rows, for docs/forecasting.md: one row per candidate and hour bias
 * correction, one column per target with "validation / test" MAE (at the tree weight best on
 * validation); `*` marks each target's choice.
 */
export function nowcastCandidatesTable(selection: NowcastSelection): string[] {
  const targets = Object.keys(selection.chosen);
  const digits = (target: string) => (target === "NOx(GT)" || target === "NO2(GT)" ? 1 : 3);
  const lines = [
    `| extra features | fits | window | hour bias | ${targets.join(" | ")} |`,
    `| --- | --- | --- | --- | ${targets.map(() => "--:").join(" | ")} |`,
  ];
  // level rows ran with each target's configured window; change rows name theirs
  const key = (r: NowcastSelection["candidates"][number]) =>
    `${r.features.join("+")}|${r.fits}|${r.hour_bias_days}|${
      r.fits === "level" ? "configured" : r.train_window_h
    }`;
  const seen = new Set<string>();
  for (const r of selection.candidates) {
    if (seen.has(key(r))) continue;
    seen.add(key(r));
    const cells = targets.map((target) => {
      const c = selection.candidates.find((x) => x.target === target && key(x) === key(r))!;
      const o = selection.chosen[target]!;
      const chosen = c.features.join("+") === o.nowcast.features.join("+") &&
        c.fits === o.nowcast.target && c.hour_bias_days === o.nowcast.hourBiasDays &&
        c.train_window_h === o.nowcast.trainWindowH && c.gbt_weight === o.nowcast.gbtWeight;
      return `${c.validation_mae.toFixed(digits(target))} / ${c.test_mae.toFixed(digits(target))}${
        chosen ? " *" : ""
      }`;
    });
    const window = r.fits === "level"
      ? "configured"
      : r.train_window_h === null
      ? "all"
      : `${r.train_window_h} h`;
    lines.push(
      `| ${r.features.join(", ") || "none"} | ${r.fits} | ${window} | ${
        r.hour_bias_days === null ? "none" : `${r.hour_bias_days} d`
      } | ${cells.join(" | ")} |`,
    );
  }
  return lines;
}
