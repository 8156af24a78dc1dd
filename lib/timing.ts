/**
 * Where a process's time goes, per step, summed over a run: the consumer's
 * and the forecaster's `time_ms` summaries.
 * Also the one `sleep()` the polling loops share.
 *
 * @module
 */

/**
 * A lap timer over shared totals: each `lap(step)` adds the milliseconds since
 * the previous lap (or since the timer was made) to `totals[step]`. Make one
 * per unit of work (a batch, a transaction); several may run at once over the
 * same totals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lapTimer, roundedTimes } from "./timing.ts";
 * const totals = { parse: 0, store: 0 };
 * const lap = lapTimer(totals);
 * lap("parse");
 * lap("store");
 * assert.ok(totals.parse >= 0 && totals.store >= 0);
 * assert.deepEqual(Object.keys(roundedTimes(totals)), ["parse", "store"]);
 * ```
 */
export function lapTimer<K extends string>(totals: Record<K, number>): (step: K) => void {
  let tick = performance.now();
  return (step) => {
    const now = performance.now();
    totals[step] += now - tick;
    tick = now;
  };
}

/** The totals in whole milliseconds, for a summary. */
export function roundedTimes<K extends string>(totals: Record<K, number>): Record<K, number> {
  return Object.fromEntries(
    Object.entries<number>(totals).map(([k, v]) => [k, Math.round(v)]),
  ) as Record<K, number>;
}

/** Resolves after `ms` milliseconds (a pause between polls; not cancellable). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
