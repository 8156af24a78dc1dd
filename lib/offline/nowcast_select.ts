/**
 * The virtual sensor's validation search (`deno task evaluate --select
 * --nowcast`): the candidates it walks forward, the choice per target on the
 * validation MAE alone, the schema of `docs/reports/nowcast-candidates.json`
 * it writes, and that file as the Markdown table of docs/forecasting.md.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { z } from "zod";
import { type FeatureMatrix, fieldOf, type HourlySeries } from "../features/mod.ts";
import {
  type ForecastConfig,
  NOWCAST_FEATURE_GROUPS,
  NOWCAST_TARGETS,
  NowcastOptionsSchema,
  nowcastTrainWindowOf,
} from "./forecast_config.ts";
import type { NowcastFeatureGroup } from "./nowcast_features.ts";
import { nowcastEstimate, type NowcastTarget, runNowcasts, windowMae } from "./nowcast.ts";

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
  windows: SearchWindows,
  clock: () => number,
  onProgress?: (message: string) => void,
): NowcastSelection {
  const { validationTo, testFrom } = windows;
  if (validationTo >= testFrom) {
    throw new RangeError("The validation window must end before the test window");
  }
  const t0 = clock();
  const rows: NowcastSelection["candidates"] = [];
  for (const candidate of NOWCAST_CANDIDATES) {
    rows.push(...candidateRows(series, base, config, windows, candidate));
    onProgress?.(
      `nowcast validation: ${candidate.target} ${candidate.features.join("+")} ` +
        `window ${candidate.trainWindowH === undefined ? "configured" : candidate.trainWindowH}`,
    );
  }
  return {
    validation_window: config.validationWindow,
    test_window: config.testWindow,
    protocol: "walk-forward, weekly refits anchored at the test start, each target's training " +
      "window (walkForward.nowcastTrainWindowH); target hours from the validation start (less " +
      "the longest bias correction's days) to the end of the test window; chosen per target " +
      "on the validation MAE only",
    candidates: rows,
    chosen: chosenByValidation(rows, config.targets),
    seconds: (clock() - t0) / 1000,
  };
}

/** The validation and test windows of the search (hour indices of the series). */
interface SearchWindows {
  validationFrom: number;
  validationTo: number;
  testFrom: number;
  testTo: number;
}

/** A candidate's training window for `target`: its own, or the target's configured one. */
function trainWindowOf(
  candidate: NowcastCandidate,
  config: ForecastConfig,
  target: string,
): number | null {
  return candidate.trainWindowH === undefined
    ? nowcastTrainWindowOf(config, target)
    : candidate.trainWindowH;
}

/**
 * One candidate walked forward for every target; per target and hour bias
 * correction, the row of the tree weight with the lowest validation MAE.
 */
function candidateRows(
  series: HourlySeries,
  base: FeatureMatrix,
  config: ForecastConfig,
  windows: SearchWindows,
  candidate: NowcastCandidate,
): NowcastSelection["candidates"] {
  const { validationFrom, validationTo, testFrom, testTo } = windows;
  const warmupH = 24 * Math.max(0, ...HOUR_BIAS_CANDIDATES.map((d) => d ?? 0));
  const runs = runNowcasts(
    series,
    base,
    config.targets.map((target) => ({
      target,
      key: {
        features: candidate.features,
        target: candidate.target,
        trainWindowH: trainWindowOf(candidate, config, target),
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
  const rows: NowcastSelection["candidates"] = [];
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
        train_window_h: trainWindowOf(candidate, config, target),
        hour_bias_days: days,
        gbt_weight: best!.w,
        validation_mae: best!.m,
        test_mae: windowMae(best!.estimate, y, testFrom, testTo),
      });
    }
  });
  return rows;
}

/** Per target, the row with the lowest validation MAE, as `config/forecast.json` takes it. */
function chosenByValidation(
  rows: NowcastSelection["candidates"],
  targets: readonly string[],
): NowcastSelection["chosen"] {
  const chosen: NowcastSelection["chosen"] = {};
  for (const target of targets) {
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
  return chosen;
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
