/**
 * The validation search of the regime-aware intervals (`deno task evaluate --select --intervals`):
 * `best` (ridge/trees, then SARIMA, with their validated weights) walked forward over the
 * validation window exactly as evaluate walks over the test window (weekly refits anchored at the
 * test start, forecasts from `conformal.warmupH` hours before the window), then every candidate
 * rule's 90 % intervals scored per regime on the validation window only.
 *
 * The choice: the lowest total distance of the per-regime coverages (high pollution, rush hour,
 * weekend, and after an outage where it has at least 20 hours) outside 0.85-0.95 and of the
 * overall coverage outside 0.88-0.92, over the twelve target-horizon pairs; ties go to the lower
 * mean interval score relative to the served rule.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { z } from "zod";
import { buildFeatureMatrix, fieldOf, type HourlySeries } from "../features/mod.ts";
import type { SarimaEngine } from "../models/mod.ts";
import { conformalIntervals } from "../scoring/mod.ts";
import { type ForecastConfig, offsetMinutes } from "./forecast_config.ts";
import { bestOf, seriesIndex, walkForwardSettings } from "./evaluate.ts";
import { sarimaWalkForward } from "./sarima_runs.ts";
import { walkForward } from "./walk_forward.ts";
import { coverageByRegime, regimeMembership } from "./regimes.ts";
import {
  type ConditionalIntervalSettings,
  conditionalIntervalsOf,
  describeConditionalRule,
  INTERVAL_GROUPINGS,
} from "./conditional_intervals.ts";

/** The search's output (`--json PATH`): one contract, written here. */
export const IntervalSelectionSchema = z.strictObject({
  validation_window: z.strictObject({ from: z.string(), to: z.string() }),
  criterion: z.string(),
  candidates: z.array(z.strictObject({
    rule: z.string(),
    settings: z.strictObject({
      scale: z.enum(["absolute", "log1p"]),
      grouping: z.enum(INTERVAL_GROUPINGS),
      levelQuantiles: z.array(z.number()),
      dayHours: z.tuple([z.number().int(), z.number().int()]),
    }).nullable(),
    criterion: z.number(),
    relative_interval_score: z.number(),
    coverage: z.array(z.strictObject({
      target: z.string(),
      horizon_h: z.number().int(),
      regime: z.string(),
      coverage: z.number(),
      n: z.number().int(),
      interval_score: z.number(),
    })),
  })),
  chosen: z.string(),
});
/** {@linkcode IntervalSelectionSchema}'s type. */
export type IntervalSelection = z.infer<typeof IntervalSelectionSchema>;

/** The candidate rules: null is the served rule (absolute residuals, one group). */
export function intervalCandidates(): (ConditionalIntervalSettings | null)[] {
  const out: (ConditionalIntervalSettings | null)[] = [null];
  for (const scale of ["absolute", "log1p"] as const) {
    for (const grouping of INTERVAL_GROUPINGS) {
      const levels = grouping.includes("level") ? [[0.5, 0.8], [0.33, 0.67, 0.9]] : [[]];
      for (const levelQuantiles of levels) {
        out.push({ scale, grouping, levelQuantiles, dayHours: [7, 20] });
      }
    }
  }
  return out;
}

/** Runs the search on the validation window of `config`. */
export function selectIntervals(
  series: HourlySeries,
  config: ForecastConfig,
  sarima: SarimaEngine | undefined,
  onProgress?: (message: string) => void,
): IntervalSelection {
  const from = seriesIndex(series, config.validationWindow.from);
  const to = seriesIndex(series, config.validationWindow.to);
  const testFrom = seriesIndex(series, config.testWindow.from);
  if (to >= testFrom) throw new RangeError("The validation window must end before the test window");
  const utcOffsetMin = offsetMinutes(config.utcOffset);
  const window = { testFrom, testTo: to, warmFrom: from - config.conformal.warmupH };
  const wf = walkForwardSettings(config, window);
  const calendar = { startMs: series.startMs, utcOffsetMin, rushHours: config.regimes.rushHours };
  const candidates = intervalCandidates();
  const rows = candidates.map(() => [] as IntervalSelection["candidates"][number]["coverage"]);
  const ys = config.targets.map((t) => series.columns[fieldOf(t)]);
  const sarimaRuns = sarima === undefined ? undefined : ys.map((y) =>
    sarimaWalkForward(sarima, y, {
      params: { ...config.sarima.order, transform: config.sarima.transform },
      windowH: config.sarima.windowH,
      horizonsH: config.horizonsH,
      fromTarget: window.warmFrom,
      toTarget: to,
      anchor: testFrom,
      refitEveryH: config.walkForward.refitEveryH,
    }).forecasts
  );
  onProgress?.("intervals: sarima on validation");
  for (const h of config.horizonsH) {
    const features = buildFeatureMatrix(series, { mode: "forecast", horizonH: h, utcOffsetMin });
    const runs = walkForward(features, ys, {
      ...wf,
      horizonH: h,
      fromTarget: window.warmFrom,
      toTarget: to,
    });
    config.targets.forEach((target, s) => {
      const y = ys[s]!;
      // the high-pollution threshold of evaluate: values before the test window
      const { isIn } = regimeMembership(y, series.startMs, utcOffsetMin, testFrom, config.regimes);
      const best = bestOf(config, target, h, runs[s]!, sarimaRuns?.[s]?.get(h));
      candidates.forEach((c, k) => {
        const iv = c === null
          ? conformalIntervals(best, y, h, config.conformal, 0)
          : conditionalIntervalsOf(best, y, h, config.conformal, c, calendar, from);
        rows[k]!.push(...coverageRows(y, iv, config.conformal.alpha, target, h, from, to, isIn));
      });
    });
    onProgress?.(`intervals: ${h} h`);
  }
  const scored = scoreCandidates(candidates, rows);
  const chosen = [...scored].sort((a, b) =>
    a.criterion - b.criterion || a.relative_interval_score - b.relative_interval_score
  )[0]!;
  return {
    validation_window: config.validationWindow,
    criterion: "sum over target-horizon pairs of the coverage outside 0.85-0.95 per regime " +
      "(after_outage only with n >= 20) and outside 0.88-0.92 overall; ties: mean interval " +
      "score relative to the served rule",
    candidates: scored,
    chosen: chosen.rule,
  };
}

/** A candidate's coverage rows on the validation window for one target and horizon. */
function coverageRows(
  y: Float64Array,
  iv: { lower: Float64Array; upper: Float64Array },
  alpha: number,
  target: string,
  h: number,
  from: number,
  to: number,
  isIn: Parameters<typeof coverageByRegime>[5],
): IntervalSelection["candidates"][number]["coverage"] {
  return coverageByRegime(y, iv.lower, iv.upper, alpha, {
    target,
    horizonH: h,
    testFrom: from,
    testTo: to,
  }, isIn).map((r) => ({
    target,
    horizon_h: h,
    regime: r.regime,
    coverage: r.coverage,
    n: r.n,
    interval_score: r.interval_score,
  }));
}

/** Each candidate's criterion and interval score relative to the served rule (`rows[0]`). */
function scoreCandidates(
  candidates: ReturnType<typeof intervalCandidates>,
  rows: IntervalSelection["candidates"][number]["coverage"][],
): IntervalSelection["candidates"] {
  const served = rows[0]!;
  return candidates.map((c, k) => {
    const coverage = rows[k]!;
    let criterion = 0, relative = 0, pairs = 0;
    coverage.forEach((r, i) => {
      if (r.regime === "all") {
        criterion += Math.max(0, 0.88 - r.coverage, r.coverage - 0.92);
        relative += r.interval_score / served[i]!.interval_score;
        pairs++;
      } else if (r.regime !== "after_outage" || r.n >= 20) {
        criterion += Math.max(0, 0.85 - r.coverage, r.coverage - 0.95);
      }
    });
    return {
      rule: c === null
        ? "served: rolling conformal on absolute residuals, one group"
        : describeConditionalRule(c),
      settings: c === null ? null : {
        ...c,
        levelQuantiles: [...c.levelQuantiles],
        dayHours: [...c.dayHours] as [number, number],
      },
      criterion,
      relative_interval_score: relative / pairs,
      coverage,
    };
  });
}
