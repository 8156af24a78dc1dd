/**
 * The NO2 early warning at several leads (issue 17, part 5): a warning is
 * issued at hour t for hour t + L when the predictive probability of an
 * exceedance, P(y[t+L] > threshold), reaches a cut-off chosen on the
 * validation window only.
 *
 * The predictive distribution is the point forecast times the empirical
 * distribution of its recent multiplicative errors: with r = log1p(y) -
 * log1p(forecast) over the latest `residualWindowH` verified L-step forecasts
 * (causal: a residual counts from the hour its target was observed),
 * P = share of r with log1p(forecast) + r > log1p(threshold). The rule may
 * also be combined with persistence (either or both), when validation says so.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { classify } from "../scoring/mod.ts";
import { lastObserved } from "../models/mod.ts";
import {
  type Combination,
  COMBINATIONS,
  type ExceedanceOptions,
  ResidualExceedance,
  type WarningDecision,
  warns,
} from "../scoring/exceedance.ts";

/** One row of `warning_no2_200.by_lead_h`. */
export interface WarningLeadRow {
  lead_h: number;
  precision: number;
  recall: number;
  f1: number;
  persistence_precision: number;
  persistence_recall: number;
  persistence_f1: number;
  /** Scored target hours and exceedances among them (the same hours for both rules). */
  n: number;
  events: number;
  /** Probability cut-off and combination with persistence chosen on the validation window, and the F1 they had there. */
  probability_cutoff: number;
  combination: Combination;
  validation_f1: number;
  validation_persistence_f1: number;
}

/** Exceedance episodes of the test window and how early they were warned. */
export interface WarningEpisodes {
  /** Runs of consecutive exceedance hours. */
  count: number;
  /** Episodes with a warning, at any lead, issued before their first hour for one of their hours. */
  warned: number;
  /** Median of (first hour - earliest such warning's issue hour), h; null when none was warned. */
  median_lead_h: number | null;
  persistence_warned: number;
  persistence_median_lead_h: number | null;
}

/** Settings of the warning rule. */
export interface WarningRuleOptions extends ExceedanceOptions {
  /** Candidate cut-offs, searched on validation. */
  readonly cutoffs: readonly number[];
}

/**
 * P(y[t + lead] > threshold) for every information index t (NaN when there is
 * no forecast or too few verified residuals yet).
 */
export function exceedanceProbability(
  y: Float64Array,
  forecast: Float64Array,
  leadH: number,
  options: WarningRuleOptions,
): Float64Array {
  const out = new Float64Array(y.length).fill(NaN);
  const errors = new ResidualExceedance(options);
  for (let t = 0; t < y.length; t++) {
    const s = t - leadH;
    // a residual counts from the hour its target is observed, before that hour's forecast
    if (s >= 0 && y[t] === y[t] && forecast[s] === forecast[s]) errors.add(y[t]!, forecast[s]!);
    out[t] = errors.probability(forecast[t]!);
  }
  return out;
}

/** Target hours `from..to` that are observed and have a probability from `lead` hours before. */
function scoredHours(
  y: Float64Array,
  probability: Float64Array,
  leadH: number,
  from: number,
  to: number,
): number[] {
  const hours: number[] = [];
  for (let tau = Math.max(from, leadH); tau <= to; tau++) {
    if (y[tau] === y[tau] && probability[tau - leadH] === probability[tau - leadH]) hours.push(tau);
  }
  return hours;
}

/** Scores of the probability rule and of persistence at one lead on given target hours. */
function scoreAt(
  y: Float64Array,
  probability: Float64Array,
  leadH: number,
  rule: WarningDecision,
  threshold: number,
  hours: readonly number[],
) {
  const actual = hours.map((tau) => y[tau]! > threshold);
  const warn = warnRule(y, probability, rule, threshold);
  const model = classify(hours.map((tau) => warn(tau - leadH)), actual);
  const naive = classify(hours.map((tau) => lastObserved(y, tau - leadH) > threshold), actual);
  return { model, naive, n: hours.length, events: actual.filter(Boolean).length };
}

function warnRule(
  y: Float64Array,
  probability: Float64Array,
  rule: WarningDecision,
  threshold: number,
): (t: number) => boolean {
  return (t) => warns(probability[t]!, lastObserved(y, t), rule, threshold);
}

/**
 * Chooses the combination and cut-off on the validation target hours (highest
 * F1; ties to the earlier combination, then the lower cut-off), then scores
 * them and persistence on the test target hours.
 */
export function warningAtLead(
  y: Float64Array,
  forecast: Float64Array,
  leadH: number,
  options: WarningRuleOptions,
  validation: { from: number; to: number },
  test: { from: number; to: number },
): { row: WarningLeadRow; warn: (t: number) => boolean } {
  const probability = exceedanceProbability(y, forecast, leadH, options);
  const valHours = scoredHours(y, probability, leadH, validation.from, validation.to);
  let chosen = {
    cutoff: options.cutoffs[0]!,
    combination: COMBINATIONS[0] as Combination,
    f1: -1,
    naiveF1: NaN,
  };
  for (const combination of COMBINATIONS) {
    for (const cutoff of options.cutoffs) {
      const rule = { cutoff, combination };
      const s = scoreAt(y, probability, leadH, rule, options.threshold, valHours);
      if (s.model.f1 > chosen.f1) chosen = { ...rule, f1: s.model.f1, naiveF1: s.naive.f1 };
    }
  }
  const hours = scoredHours(y, probability, leadH, test.from, test.to);
  const s = scoreAt(y, probability, leadH, chosen, options.threshold, hours);
  return {
    row: {
      lead_h: leadH,
      precision: s.model.precision,
      recall: s.model.recall,
      f1: s.model.f1,
      persistence_precision: s.naive.precision,
      persistence_recall: s.naive.recall,
      persistence_f1: s.naive.f1,
      n: s.n,
      events: s.events,
      probability_cutoff: chosen.cutoff,
      combination: chosen.combination,
      validation_f1: chosen.f1,
      validation_persistence_f1: chosen.naiveF1,
    },
    warn: warnRule(y, probability, chosen, options.threshold),
  };
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Exceedance episodes (maximal runs of observed hours above `threshold`) whose
 * first hour is in `from..to`, and for each the earliest warning issued before
 * that first hour, at any lead, for one of the episode's hours. `warns` maps a
 * lead to whether a warning was issued at information hour t.
 */
export function episodeLeadTimes(
  y: Float64Array,
  threshold: number,
  from: number,
  to: number,
  warns: ReadonlyMap<number, (t: number) => boolean>,
): { count: number; warned: number; medianLeadH: number | null } {
  const leads: number[] = [];
  let count = 0;
  for (let s = from; s <= to; s++) {
    if (!(y[s]! > threshold) || y[s - 1]! > threshold) continue;
    let e = s;
    while (e + 1 <= to && y[e + 1]! > threshold) e++;
    count++;
    let earliest = Infinity;
    for (const [lead, warn] of warns) {
      for (let t = s - lead; t < s; t++) {
        // a warning issued at t (before the onset) for hour t + lead inside the episode
        if (t >= 0 && t + lead >= s && t + lead <= e && warn(t)) earliest = Math.min(earliest, t);
      }
    }
    if (earliest < s) leads.push(s - earliest);
  }
  return { count, warned: leads.length, medianLeadH: median(leads) };
}
