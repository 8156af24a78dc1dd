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
 * mean interval score relative to the pooled rule. The outage group is decided as
 * {@linkcode chooseInterval} says (by a rule stated in advance when validation has too few
 * after-outage hours).
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
  outageRuleOf,
} from "./conditional_intervals.ts";
import { INTERVAL_TAILS } from "../scoring/mod.ts";

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
      outage: z.boolean(),
      tails: z.enum(INTERVAL_TAILS),
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
  /** How the outage group was decided: on validation, or by the rule stated in advance. */
  outage_decision: z.string(),
});
/** {@linkcode IntervalSelectionSchema}'s type. */
export type IntervalSelection = z.infer<typeof IntervalSelectionSchema>;

/**
 * The candidate rules: null is the pooled rule (absolute residuals, one group); every other rule
 * symmetric and equal-tailed, each without and with the outage group.
 */
export function intervalCandidates(): (ConditionalIntervalSettings | null)[] {
  const out: (ConditionalIntervalSettings | null)[] = [null];
  for (const outage of [false, true]) {
    for (const tails of INTERVAL_TAILS) {
      for (const scale of ["absolute", "log1p"] as const) {
        for (const grouping of INTERVAL_GROUPINGS) {
          const levels = grouping.includes("level") ? [[0.5, 0.8], [0.33, 0.67, 0.9]] : [[]];
          for (const levelQuantiles of levels) {
            out.push({ scale, grouping, levelQuantiles, dayHours: [7, 20], outage, tails });
          }
        }
      }
    }
  }
  return out;
}

/** After-outage hours a target-horizon pair needs on validation for its coverage to count. */
export const MIN_AFTER_OUTAGE_N = 20;

/**
 * The choice. Rules without the outage group are compared on the criterion (ties: relative
 * interval score). The outage group is then decided on validation when some pair has at least
 * {@linkcode MIN_AFTER_OUTAGE_N} after-outage hours (the winner and its outage variant compared
 * the same way); otherwise by the rule stated before the search was run: the outage variant is
 * taken, on the prior that a forecast issued with missing recent target values errs more.
 */
export function chooseInterval(
  scored: IntervalSelection["candidates"],
): { chosen: IntervalSelection["candidates"][number]; decision: string } {
  const order = (
    a: IntervalSelection["candidates"][number],
    b: IntervalSelection["candidates"][number],
  ) => a.criterion - b.criterion || a.relative_interval_score - b.relative_interval_score;
  const base = [...scored].filter((c) => c.settings?.outage !== true).sort(order)[0]!;
  const variant = scored.find((c) =>
    c.settings !== null && base.settings !== null && c.settings.outage &&
    JSON.stringify({ ...c.settings, outage: false }) === JSON.stringify(base.settings)
  );
  if (variant === undefined) return { chosen: base, decision: "no outage variant of the winner" };
  const most = Math.max(
    0,
    ...base.coverage.filter((r) => r.regime === "after_outage").map((r) => r.n),
  );
  if (most >= MIN_AFTER_OUTAGE_N) {
    const chosen = [base, variant].sort(order)[0]!;
    return { chosen, decision: `on validation (up to ${most} after-outage hours per pair)` };
  }
  return {
    chosen: variant,
    decision: `stated in advance: validation has at most ${most} after-outage hours per pair ` +
      `(fewer than ${MIN_AFTER_OUTAGE_N}), too few to decide, so the outage group is added to ` +
      "the rule chosen on the other regimes",
  };
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
  const calendar = {
    startMs: series.startMs,
    utcOffsetMin,
    rushHours: config.regimes.rushHours,
    outage: outageRuleOf(config.regimes),
  };
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
  const { chosen, decision } = chooseInterval(scored);
  return {
    validation_window: config.validationWindow,
    criterion: "sum over target-horizon pairs of the coverage outside 0.85-0.95 per regime " +
      "(after_outage only with n >= 20) and outside 0.88-0.92 overall; ties: mean interval " +
      "score relative to the pooled rule; the outage group as `outage_decision` says",
    candidates: scored,
    chosen: chosen.rule,
    outage_decision: decision,
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
        ? "pooled: rolling conformal on absolute residuals, one group"
        : describeConditionalRule(c),
      settings: c === null ? null : {
        scale: c.scale,
        grouping: c.grouping,
        levelQuantiles: [...c.levelQuantiles],
        dayHours: [...c.dayHours] as [number, number],
        outage: c.outage === true,
        tails: c.tails ?? "symmetric",
      },
      criterion,
      relative_interval_score: relative / pairs,
      coverage,
    };
  });
}
