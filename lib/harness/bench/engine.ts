/**
 * The real-time engine benchmark without Kafka: `RealtimeForecaster.process()`
 * and the JSON text of every record it returns, on synthetic readings from a
 * fixed seed, on one core. The first quarter of the hours (at least two days)
 * warms the stations and the JIT up and is not timed.
 *
 * Pure but for the clock (`performance.now()`): no `Deno.*`, no I/O.
 *
 * @module
 */
import { HOUR_MS } from "../../features/mod.ts";
import { mulberry32 } from "../../random.ts";
import { CLEAN_SCHEMA_VERSION, type CleanReading } from "../../records/mod.ts";
import type { Measurements } from "../../records/reading.ts";
import { type DeployedModels, RealtimeForecaster, stationTime } from "../../realtime/mod.ts";
import { estimateJson, forecastSetJson } from "../../realtime/serialize.ts";

/** What `measureEngine` measured. */
export interface EngineBenchResult {
  /** Readings timed (the warm-up hours excluded). */
  readings: number;
  readings_per_s: number;
  forecasts_per_s: number;
  /** Always true: every forecast and estimate was turned into its JSON text. */
  serialize: boolean;
}

/** Settings of `measureEngine`. */
export interface EngineBenchOptions {
  stations: number;
  /** Hours per station; at least 8. */
  hours: number;
  /** Seed of the synthetic readings (default 1). */
  seed?: number;
}

const UTC_OFFSET_MIN = 60;
const T0 = Date.UTC(2004, 2, 10, 17); // 2004-03-10T18:00+01:00

/**
 * Feeds `stations` synthetic stations hour by hour through a fresh
 * `RealtimeForecaster` on `models` (warm-up 24 h, +01:00), serializing every record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { measureEngine } from "./engine.ts";
 * const models = { blends: new Map(), halfWidths: new Map(), problems: [] };
 * const r = await measureEngine(models, { stations: 2, hours: 60 });
 * assert.equal(r.readings, 2 * (60 - 48));
 * assert.ok(Math.abs(r.forecasts_per_s / r.readings_per_s - 12) < 1e-9);
 * ```
 */
export async function measureEngine(
  models: DeployedModels,
  options: EngineBenchOptions,
): Promise<EngineBenchResult> {
  const { stations, hours } = options;
  if (!Number.isInteger(stations) || stations < 1 || !Number.isInteger(hours) || hours < 8) {
    throw new RangeError(
      `measureEngine() needs stations >= 1 and hours >= 8; got ${stations}, ${hours}`,
    );
  }
  const readings = syntheticReadings(stations, hours, options.seed ?? 1);
  const warmup = stations * Math.min(hours - 4, Math.max(48, Math.floor(hours / 4)));
  const engine = new RealtimeForecaster(models, { utcOffsetMin: UTC_OFFSET_MIN, warmupH: 24 });
  const before = feed(engine, readings, 0, warmup);
  await Promise.resolve(); // let pending microtasks run before the clock starts
  const started = performance.now();
  const timed = feed(engine, readings, warmup, readings.length);
  const seconds = (performance.now() - started) / 1000;
  if (before.chars + timed.chars === 0) throw new Error("measureEngine(): nothing was serialized");
  const count = readings.length - warmup;
  return {
    readings: count,
    readings_per_s: count / seconds,
    forecasts_per_s: timed.forecasts / seconds,
    serialize: true,
  };
}

const ISSUED_AT = "2026-12-04T16:00:00.000Z";

/** Processes `readings[from..to)`, serializing every record: forecasts made and characters written. */
function feed(
  engine: RealtimeForecaster,
  readings: readonly CleanReading[],
  from: number,
  to: number,
): { forecasts: number; chars: number } {
  let forecasts = 0;
  let chars = 0;
  for (let i = from; i < to; i++) {
    const reading = readings[i]!;
    const out = engine.process(reading, reading.source);
    if (out.forecasts.length > 0) chars += forecastSetJson(out.forecasts, ISSUED_AT).length;
    for (const e of out.estimates) chars += estimateJson(e).length;
    forecasts += out.forecasts.length;
  }
  return { forecasts, chars };
}

/**
 * Hourly readings of `stations` stations, interleaved hour by hour: daily cycles,
 * noise, about 5 % missing values (reference analysers more often: estimates).
 */
function syntheticReadings(stations: number, hours: number, seed: number): CleanReading[] {
  const random = mulberry32(seed);
  const value = (
    v: number,
    missing: number,
  ) => (random() < missing ? null : v * (0.8 + 0.4 * random()));
  const out: CleanReading[] = [];
  for (let h = 0; h < hours; h++) {
    const t = T0 + h * HOUR_MS;
    const ts = stationTime(t, UTC_OFFSET_MIN);
    const wave = Math.sin((2 * Math.PI * h) / 24);
    for (let s = 0; s < stations; s++) {
      const level = 1 + 0.1 * (s % 7) + 0.5 * wave;
      const measurements: Measurements = {
        co_mg_m3: value(2 * level, 0.08),
        pt08_s1_co: value(1100 * level, 0.02),
        nmhc_ug_m3: null,
        c6h6_ug_m3: value(9 * level, 0.05),
        pt08_s2_nmhc: value(950 * level, 0.02),
        nox_ppb: value(170 * level, 0.08),
        pt08_s3_nox: value(900 / level, 0.02),
        no2_ug_m3: value(110 * level, 0.08),
        pt08_s4_no2: value(1500, 0.02),
        pt08_s5_o3: value(1000 * level, 0.02),
        t_c: value(15 + 5 * wave, 0.02),
        rh_pct: value(50 - 10 * wave, 0.02),
        ah: value(0.9, 0.02),
      };
      out.push({
        schema_version: CLEAN_SCHEMA_VERSION,
        station_id: `station-${String(s + 1).padStart(3, "0")}`,
        ts,
        ts_utc_ms: t,
        measurements,
        flags: {},
        rejected: {},
        status: "ok",
        source: {
          topic: "airq.readings.clean",
          partition: s % 3,
          offset: String(h * stations + s),
        },
      });
    }
  }
  return out;
}
