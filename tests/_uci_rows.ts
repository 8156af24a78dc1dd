/**
 * UCI rows as test data, without touching the file (so a child process with
 * narrow permissions may import it): the first row's measurements, and a row
 * as the clean reading the consumer would store.
 *
 * @module
 */
import type { UciRow } from "../lib/dataset/mod.ts";
import { CLEAN_SCHEMA_VERSION, type CleanReading, type Measurements } from "../lib/records/mod.ts";

/** The measurements of the first data row of the UCI file (10/03/2004 18.00.00). */
export const UCI_FIRST_ROW: Measurements = {
  co_mg_m3: 2.6,
  pt08_s1_co: 1360,
  nmhc_ug_m3: 150,
  c6h6_ug_m3: 11.9,
  pt08_s2_nmhc: 1046,
  nox_ppb: 166,
  pt08_s3_nox: 1056,
  no2_ug_m3: 113,
  pt08_s4_no2: 1692,
  pt08_s5_o3: 1268,
  t_c: 13.6,
  rh_pct: 48.9,
  ah: 0.7578,
};

/**
 * A UCI row as the clean reading of `station-001` the consumer would store,
 * nothing flagged; `index` is its offset on `topic` (the file is one reading
 * per hour without a gap, so also the hours since the first row).
 */
export function uciCleanReading(row: UciRow, index: number, topic: string): CleanReading {
  return {
    schema_version: CLEAN_SCHEMA_VERSION,
    station_id: "station-001",
    ts: row.ts,
    ts_utc_ms: row.epochMs,
    measurements: row.measurements,
    flags: {},
    rejected: {},
    status: "ok",
    source: { topic, partition: 0, offset: String(index) },
  };
}
