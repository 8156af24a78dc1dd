/**
 * Anomalous episodes and their likely cause.
 *
 * Two detectors, both on the decomposition residuals (what the trend and the
 * daily and weekly cycles do not explain):
 * - **robust z**: (residual − median)/MAD per series; an hour is flagged when
 *   |z| ≥ `zThreshold`;
 * - **isolation forest** (seeded) on the vector of the robust z-scores of every
 *   reference analyser and its paired cheap sensor, over hours where all are
 *   present; an hour is flagged when its score is in the top `1 − scoreQuantile`.
 *
 * Flagged hours closer than `mergeGapH` are merged into one episode. Missing
 * data make episodes of their own. Each episode gets one cause, by these rules,
 * in order:
 * 1. **analyser outage**: the reference value is missing for ≥ `outageMinHours`
 *    consecutive hours;
 * 2. **sensor fault**: the cheap sensors are missing for ≥ `outageMinHours`
 *    hours (device outage), or a value is stuck (identical for ≥ `stuckMinHours`
 *    hours), or at the episode's peak the reference and its paired cheap sensor
 *    disagree (the sensor's signed z, in the direction of their correlation, is
 *    below `agreeZ` while the reference's is beyond `zThreshold`, or the other way
 *    round): one instrument is wrong;
 * 3. **real pollution event**: both instruments move together beyond `agreeZ`.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import { isolationForestScores } from "./iforest.ts";
import { outages } from "./frame.ts";
import { robustZ } from "./stats.ts";

/** Likely cause of an episode. */
export type Cause = "analyser outage" | "sensor fault" | "real pollution event";

/**
 * Which rule gave the cause: a reference or sensor-block outage, a stuck value,
 * the paired sensor missing at the peak (nothing to confirm with), the sensor
 * unusual while the reference is not, the two disagreeing, or the two agreeing.
 */
export type Reason =
  | "reference outage"
  | "sensor block outage"
  | "stuck value"
  | "sensor missing at peak"
  | "sensor alone"
  | "disagree"
  | "agree";

/** Thresholds of the rules. */
export interface AnomalyRules {
  /** |robust z| at or above which an hour is anomalous. */
  zThreshold: number;
  /** Signed z the paired instrument must reach to count as agreeing. */
  agreeZ: number;
  /** Flagged hours at most this far apart form one episode. */
  mergeGapH: number;
  /** Consecutive missing hours that make an outage. */
  outageMinHours: number;
  /** Consecutive identical values that make a stuck instrument. */
  stuckMinHours: number;
  /** Isolation forest: trees, subsample size, seed, and the score quantile above which an hour is flagged. */
  iforest: { trees: number; sampleSize: number; seed: number; scoreQuantile: number };
}

/** A reference analyser with its paired cheap sensor. */
export interface PairedSeries {
  /** Display name of the reference, e.g. `CO(GT)`. */
  reference: string;
  /** Display name of the paired sensor, e.g. `PT08.S1(CO)`. */
  sensor: string;
  /** Hourly reference values (`NaN` missing). */
  refValues: Float64Array;
  /** Hourly sensor values. */
  sensorValues: Float64Array;
  /** Decomposition residuals of the reference. */
  refResidual: Float64Array;
  /** Decomposition residuals of the sensor. */
  sensorResidual: Float64Array;
  /** +1 when the sensor rises with the reference, −1 when it falls. */
  sign: 1 | -1;
}

/** One anomalous episode. */
export interface Episode {
  /** First hour (index in the frame). */
  start: number;
  /** Last hour (index). */
  end: number;
  /** Length in hours. */
  hours: number;
  /** Series it concerns (a reference name, or `cheap sensors`). */
  series: string;
  /** `robust z`, `isolation forest` or `missing data`. */
  method: "robust z" | "isolation forest" | "missing data";
  /** Value of the series at the peak (`NaN` for missing data). */
  peakValue: number;
  /** Robust z of the residual at the peak (`NaN` for missing data). */
  peakZ: number;
  /** Likely cause. */
  cause: Cause;
  /** The rule that gave the cause, as a kind. */
  reason: Reason;
  /** The rule that gave the cause, in words. */
  rule: string;
}

/** Index ranges of flagged hours, merging flags at most `gap` hours apart. */
export function groupFlags(flags: ArrayLike<boolean | number>, gap: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < flags.length; i++) {
    if (!flags[i]) continue;
    const last = out.at(-1);
    if (last !== undefined && i - last[1] <= gap) last[1] = i;
    else out.push([i, i]);
  }
  return out;
}

function stuckRun(x: Float64Array, at: number, min: number): boolean {
  const v = x[at]!;
  if (Number.isNaN(v)) return false;
  let lo = at, hi = at;
  while (lo > 0 && x[lo - 1] === v) lo--;
  while (hi + 1 < x.length && x[hi + 1] === v) hi++;
  return hi - lo + 1 >= min;
}

function classify(
  p: PairedSeries,
  zr: Float64Array,
  zs: Float64Array,
  at: number,
  rules: AnomalyRules,
): { cause: Cause; reason: Reason; rule: string } {
  if (
    stuckRun(p.refValues, at, rules.stuckMinHours) ||
    stuckRun(p.sensorValues, at, rules.stuckMinHours)
  ) {
    return {
      cause: "sensor fault",
      reason: "stuck value",
      rule: `value stuck for ≥ ${rules.stuckMinHours} h`,
    };
  }
  const r = zr[at]!, s = p.sign * zs[at]!;
  if (Number.isNaN(s)) {
    return {
      cause: "sensor fault",
      reason: "sensor missing at peak",
      rule: `${p.sensor} missing at the peak: cannot confirm`,
    };
  }
  if (!(Math.abs(r) >= rules.agreeZ)) {
    return {
      cause: "sensor fault",
      reason: "sensor alone",
      rule: `${p.sensor} unusual (signed z ${s.toFixed(1)}) while ${p.reference} is not`,
    };
  }
  if (Math.sign(r) * s >= rules.agreeZ) {
    return {
      cause: "real pollution event",
      reason: "agree",
      rule: `${p.sensor} moves with ${p.reference} (signed z ${s.toFixed(2)} ≥ ${rules.agreeZ})`,
    };
  }
  return {
    cause: "sensor fault",
    reason: "disagree",
    rule: `${p.sensor} disagrees with ${p.reference} (signed z ${s.toFixed(2)} < ${rules.agreeZ})`,
  };
}

/** Finds and explains the anomalous episodes of the paired series. */
export function findEpisodes(pairs: readonly PairedSeries[], rules: AnomalyRules): Episode[] {
  const episodes: Episode[] = [];
  const z = pairs.map((p) => ({ r: robustZ(p.refResidual), s: robustZ(p.sensorResidual) }));
  pairs.forEach((p, k) => {
    for (const o of outages(p.refValues, rules.outageMinHours)) {
      episodes.push({
        ...o,
        series: p.reference,
        method: "missing data",
        peakValue: NaN,
        peakZ: NaN,
        cause: "analyser outage",
        reason: "reference outage",
        rule: `${p.reference} missing ${o.hours} consecutive h (≥ ${rules.outageMinHours})`,
      });
    }
    const { r, s } = z[k]!;
    const flags = Array.from(r, (v) => Math.abs(v) >= rules.zThreshold);
    for (const [start, end] of groupFlags(flags, rules.mergeGapH)) {
      let at = start;
      for (let i = start; i <= end; i++) {
        if (Math.abs(r[i]!) > Math.abs(r[at]!) || Number.isNaN(r[at]!)) at = i;
      }
      episodes.push({
        start,
        end,
        hours: end - start + 1,
        series: p.reference,
        method: "robust z",
        peakValue: p.refValues[at]!,
        peakZ: r[at]!,
        ...classify(p, r, s, at, rules),
      });
    }
  });
  const sensors = pairs[0]?.sensorValues;
  if (sensors !== undefined) {
    for (const o of outages(sensors, rules.outageMinHours)) {
      episodes.push({
        ...o,
        series: "cheap sensors",
        method: "missing data",
        peakValue: NaN,
        peakZ: NaN,
        cause: "sensor fault",
        reason: "sensor block outage",
        rule: `sensor block missing ${o.hours} consecutive h (≥ ${rules.outageMinHours})`,
      });
    }
  }
  episodes.push(...forestEpisodes(pairs, z, rules));
  return episodes.sort((a, b) => a.start - b.start || a.series.localeCompare(b.series));
}

function forestEpisodes(
  pairs: readonly PairedSeries[],
  z: readonly { r: Float64Array; s: Float64Array }[],
  rules: AnomalyRules,
): Episode[] {
  const n = pairs[0]?.refValues.length ?? 0;
  const rowsAt: number[] = [], rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = z.flatMap(({ r, s }) => [r[i]!, s[i]!]);
    if (row.every((v) => Number.isFinite(v))) (rowsAt.push(i), rows.push(row));
  }
  if (rows.length < 32) return [];
  const scores = isolationForestScores(rows, rules.iforest);
  const sorted = Float64Array.from(scores).sort();
  const cut = sorted[Math.floor(rules.iforest.scoreQuantile * (sorted.length - 1))]!;
  const flags = new Uint8Array(n);
  scores.forEach((sc, j) => (flags[rowsAt[j]!] = sc > cut ? 1 : 0));
  return groupFlags(flags, rules.mergeGapH).map(([start, end]) => {
    let best = { k: 0, at: start, size: -1 };
    for (let i = start; i <= end; i++) {
      z.forEach(({ r, s }, k) => {
        const size = Math.max(Math.abs(r[i]!), Math.abs(s[i]!));
        if (size > best.size) best = { k, at: i, size };
      });
    }
    const p = pairs[best.k]!;
    return {
      start,
      end,
      hours: end - start + 1,
      series: p.reference,
      method: "isolation forest" as const,
      peakValue: p.refValues[best.at]!,
      peakZ: z[best.k]!.r[best.at]!,
      ...classify(p, z[best.k]!.r, z[best.k]!.s, best.at, rules),
    };
  });
}
