/**
 * Relations between columns: the Pearson and Spearman correlation matrix with
 * p-values corrected for multiple testing, and the cheap sensors' calibration
 * against the reference month by month (drift).
 *
 * Multiple testing: every unordered pair of variables is one test per method;
 * p-values are adjusted by Holm-Bonferroni (controls the family-wise error rate,
 * valid under any dependence between the tests) over the pairs of each method.
 * Benjamini-Hochberg (false discovery rate) adjusted values are reported too.
 * The plain tests assume independent hours; hourly air-quality data are
 * strongly autocorrelated, so those p-values are optimistic. Each pair therefore
 * also gets an effective sample size, n·(1 − r₁ˣr₁ʸ)/(1 + r₁ˣr₁ʸ) from the two
 * series' lag-1 autocorrelations (the AR(1) approximation of Bretherton et al.,
 * 1999, J. Climate 12:1990), and a Holm-adjusted Spearman p-value at that size:
 * the test to read.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import { acf } from "./acf.ts";
import { benjaminiHochberg, correlationPValue, holm, ols, pearson, spearman } from "./stats.ts";

/** One cell of the correlation matrix (an unordered pair, listed once). */
export interface CorrelationCell {
  /** First variable. */
  a: string;
  /** Second variable. */
  b: string;
  /** Complete pairs. */
  n: number;
  /** Pearson r. */
  pearson: number;
  /** Spearman ρ. */
  spearman: number;
  /** Raw two-sided p-values. */
  pPearson: number;
  /** Raw two-sided p-value of ρ. */
  pSpearman: number;
  /** Holm-adjusted p-values. */
  holmPearson: number;
  /** Holm-adjusted p-value of ρ. */
  holmSpearman: number;
  /** Benjamini-Hochberg-adjusted p-value of r. */
  bhPearson: number;
  /** Benjamini-Hochberg-adjusted p-value of ρ. */
  bhSpearman: number;
  /** Effective sample size of the pair under the AR(1) approximation. */
  nEff: number;
  /** Holm-adjusted p-value of ρ at the effective sample size. */
  holmEffSpearman: number;
}

/** Effective sample size of a correlation between two AR(1)-like series with lag-1 autocorrelations `r1x`, `r1y`. */
export function effectiveN(n: number, r1x: number, r1y: number): number {
  const rr = r1x * r1y;
  if (!Number.isFinite(rr)) return n;
  return Math.max(3, Math.min(n, (n * (1 - rr)) / (1 + rr)));
}

/** Correlations of every pair of the named series. */
export function correlationMatrix(
  series: readonly { name: string; values: ArrayLike<number> }[],
): CorrelationCell[] {
  const cells: Omit<
    CorrelationCell,
    "holmPearson" | "holmSpearman" | "bhPearson" | "bhSpearman" | "holmEffSpearman"
  >[] = [];
  const lag1 = series.map((x) => acf(x.values, 1)[1] ?? NaN);
  for (let i = 0; i < series.length; i++) {
    for (let j = i + 1; j < series.length; j++) {
      const x = series[i]!, y = series[j]!;
      const p = pearson(x.values, y.values), s = spearman(x.values, y.values);
      cells.push({
        a: x.name,
        b: y.name,
        n: p.n,
        pearson: p.r,
        spearman: s.r,
        pPearson: p.p,
        pSpearman: s.p,
        nEff: effectiveN(p.n, lag1[i]!, lag1[j]!),
      });
    }
  }
  const hp = holm(cells.map((c) => c.pPearson)), hs = holm(cells.map((c) => c.pSpearman));
  const bp = benjaminiHochberg(cells.map((c) => c.pPearson));
  const bs = benjaminiHochberg(cells.map((c) => c.pSpearman));
  const he = holm(cells.map((c) => correlationPValue(c.spearman, c.nEff)));
  return cells.map((c, k) => ({
    ...c,
    holmPearson: hp[k]!,
    holmSpearman: hs[k]!,
    bhPearson: bp[k]!,
    bhSpearman: bs[k]!,
    holmEffSpearman: he[k]!,
  }));
}

/** A cheap sensor's linear response to its reference in one month. */
export interface DriftPoint {
  /** Sensor name. */
  sensor: string;
  /** Reference name. */
  reference: string;
  /** `YYYY-MM`. */
  month: string;
  /** Sensor units per reference unit. */
  slope: number;
  /** Sensor value at reference 0. */
  intercept: number;
  /** Share of the sensor's variance explained by the reference. */
  r2: number;
  /** Hours with both values. */
  n: number;
}

/** Monthly least-squares fit `sensor = intercept + slope · reference` (months with ≥ `minHours` pairs). */
export function monthlyCalibration(
  sensor: { name: string; values: ArrayLike<number> },
  reference: { name: string; values: ArrayLike<number> },
  months: readonly string[],
  minHours = 100,
): DriftPoint[] {
  const order = [...new Set(months)];
  return order.flatMap((month) => {
    const xs: number[] = [], ys: number[] = [];
    months.forEach((m, i) => {
      if (m === month) (xs.push(reference.values[i]!), ys.push(sensor.values[i]!));
    });
    const fit = ols(xs, ys);
    return fit.n < minHours ? [] : [{
      sensor: sensor.name,
      reference: reference.name,
      month,
      slope: fit.slope,
      intercept: fit.intercept,
      r2: fit.r2,
      n: fit.n,
    }];
  });
}
