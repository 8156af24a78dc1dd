/**
 * A synthetic station for the real-time engine's tests: hourly clean readings
 * whose fields follow one daily wave, so features and models have something
 * to work on without the dataset.
 *
 * @module
 */
import { HOUR_MS } from "../lib/features/mod.ts";
import {
  CLEAN_SCHEMA_VERSION,
  type CleanReading,
  type SourcePosition,
} from "../lib/records/mod.ts";
import { stationTime } from "../lib/realtime/mod.ts";

/** 2004-03-10T18:00+01:00, the dataset's first hour. */
export const WAVE_T0 = Date.UTC(2004, 2, 10, 17);

/** Options of {@linkcode waveReading}. */
export interface WaveOptions {
  station?: string;
  /** Added to the wave (to tell stations apart). */
  shift?: number;
  /** Replaces fields after the wave's values. */
  overrides?: Partial<CleanReading["measurements"]>;
  /** Default: partition 0 of the raw topic at offset `h`. */
  source?: SourcePosition;
}

/** Hour `h` after {@linkcode WAVE_T0} at UTC+1: every field a daily wave, CO 2 ± 1. */
export function waveReading(h: number, options: WaveOptions = {}): CleanReading {
  const wave = Math.sin((2 * Math.PI * h) / 24) + (options.shift ?? 0);
  const ms = WAVE_T0 + h * HOUR_MS;
  return {
    schema_version: CLEAN_SCHEMA_VERSION,
    station_id: options.station ?? "station-001",
    ts: stationTime(ms, 60),
    ts_utc_ms: ms,
    measurements: {
      co_mg_m3: 2 + wave,
      pt08_s1_co: 1200 + 100 * wave,
      nmhc_ug_m3: null,
      c6h6_ug_m3: 10 + 3 * wave,
      pt08_s2_nmhc: 1000 + 80 * wave,
      nox_ppb: 150 + 50 * wave,
      pt08_s3_nox: 1000 - 50 * wave,
      no2_ug_m3: 100 + 20 * wave,
      pt08_s4_no2: 1600,
      pt08_s5_o3: 1200,
      t_c: 13,
      rh_pct: 50,
      ah: 0.75,
      ...options.overrides,
    },
    flags: {},
    rejected: {},
    status: "ok",
    source: options.source ?? { topic: "airq.readings.raw", partition: 0, offset: String(h) },
  };
}
