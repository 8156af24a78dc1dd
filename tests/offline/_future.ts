/**
 * Test helper of the leakage tests: a series whose future was changed.
 *
 * @module
 */
import type { HourlySeries } from "../../lib/features/mod.ts";

/** A copy of `series` with everything after hour `t` changed (values scaled, some removed). */
export function futureChanged(series: HourlySeries, t: number): HourlySeries {
  const columns = Object.fromEntries(
    Object.entries(series.columns).map(([field, col]) => [
      field,
      Float64Array.from(col, (v, i) => (i <= t ? v : i % 4 === 0 ? NaN : v * 3 + 1)),
    ]),
  ) as unknown as HourlySeries["columns"];
  return { ...series, columns };
}
