/**
 * Synthetic hourly series for feature and model tests: seeded, with missing values.
 *
 * @module
 */
import { emptySeries, type HourlySeries } from "../../lib/features/mod.ts";
import { MEASUREMENT_FIELDS } from "../../lib/records/mod.ts";

/** mulberry32: uniform numbers in [0, 1) from a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A series of `length` hours from 2005-01-01 00:00 +01:00 with daily cycles, noise and gaps. */
export function syntheticSeries(length: number, seed: number, missingShare = 0.1): HourlySeries {
  const r = rng(seed);
  const series = emptySeries(Date.UTC(2004, 11, 31, 23), length);
  MEASUREMENT_FIELDS.forEach((field, f) => {
    const column = series.columns[field];
    for (let i = 0; i < length; i++) {
      column[i] = r() < missingShare
        ? NaN
        : 10 + f + 5 * Math.sin((2 * Math.PI * i) / 24 + f) + 2 * r();
    }
  });
  return series;
}
