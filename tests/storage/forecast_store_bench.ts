/**
 * How fast the SQLite store takes the forecaster's batches: 1,000 readings'
 * worth of forecasts (12,000 records: 4 targets x horizons 1, 6 and 24 h per
 * reading, with full-precision values as the models give them) per
 * `writeBatch()`, into a fresh temp database and into one already holding
 * 1,000,000 forecasts; then the same batch again (a redelivery after a crash,
 * replacing every forecast) and a few reads. Prints JSON with the median of
 * the repetitions:
 *
 * ```sh
 * deno run --allow-all --v8-flags=--expose-gc tests/storage/forecast_store_bench.ts \
 *   [--reps 30] [--prefill 1000000] [--readings 1000]
 * ```
 *
 * With `--expose-gc`, the garbage of building each batch is collected before
 * it is timed (what the store itself allocates still is), which steadies the
 * numbers on a busy machine; the batches are the same either way.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  FORECAST_SCHEMA_VERSION,
  type ForecastField,
  type ForecastRecord,
  type ForecastTarget,
} from "../../lib/records/mod.ts";
import { openSqliteStore, type ReadingStore } from "../../lib/storage/mod.ts";
import { HOUR_MS, reading, T0 } from "./_store_cases.ts";
import { println } from "../../lib/cli/io.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "30" },
    prefill: { type: "string", default: "1000000" },
    readings: { type: "string", default: "1000" },
  },
});
const REPS = Number(args.reps);
const PREFILL = Number(args.prefill);
const READINGS = Number(args.readings);
const STATIONS = 3;
const TARGETS: readonly [ForecastTarget, ForecastField][] = [
  ["CO(GT)", "co_mg_m3"],
  ["NOx(GT)", "nox_ppb"],
  ["NO2(GT)", "no2_ug_m3"],
  ["C6H6(GT)", "c6h6_ug_m3"],
];
const HORIZONS = [1, 6, 24] as const;
/** Blend versions as lib/realtime/models.ts names them, one per target and horizon. */
const VERSIONS = new Map(
  TARGETS.flatMap(([target], i) =>
    HORIZONS.map((h, j) => {
      const gbt = (0.5 + (i * 3 + j) / 40).toFixed(2);
      const ridge = (1 - Number(gbt)).toFixed(2);
      return [`${target}|${h}`, `gbt${gbt}+ridge${ridge}@2026-11-26T20:39:29.136Z`];
    })
  ),
);

/** A deterministic stream of doubles in [0, 1), so that every run writes the same values. */
let seed = 42;
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
}

let nextHour = 0;
let nextOffset = 0;
/** The forecasts of `n` new readings (3 stations, the hours after the previous call), as the forecaster makes them. */
function freshForecasts(n: number): ForecastRecord[] {
  const forecasts: ForecastRecord[] = [];
  for (let i = 0; i < n; i++) {
    const station = `station-${String(i % STATIONS).padStart(3, "0")}`;
    const hour = nextHour + Math.floor(i / STATIONS);
    const from = reading(station, hour, { offset: nextOffset++ });
    const warming = hour < 24;
    for (const h of HORIZONS) {
      const targetTs = reading(station, hour + h).ts;
      for (const [target, field] of TARGETS) {
        const value = 0.5 + random() * 200; // e.g. 137.29186410084367
        const half = 1 + random() * 30;
        forecasts.push({
          schema_version: FORECAST_SCHEMA_VERSION,
          kind: "forecast",
          forecast_id: `${station}|${from.ts}|${target}|${h}`,
          station_id: station,
          target,
          field,
          horizon_h: h,
          value,
          interval: { lower: value - half, upper: value + half, level: 0.9, source: "artifact" },
          ts: from.ts,
          target_ts: targetTs,
          model_version: warming ? "persistence" : VERSIONS.get(`${target}|${h}`)!,
          baseline: warming,
          fallback: warming ? "persistence" : null,
          fallback_reason: warming ? "warming_up" : null,
          source: from.source,
        });
      }
    }
  }
  nextHour += Math.ceil(n / STATIONS);
  return forecasts;
}

function median(xs: readonly number[]): number {
  const s = xs.toSorted((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** `reps` timed writes of fresh batches (after 3 untimed ones); the median and spread. */
async function writes(store: ReadingStore, reps: number, again = false) {
  const ms: number[] = [];
  for (let i = -3; i < reps; i++) {
    const forecasts = freshForecasts(READINGS);
    // As the forecaster does before writeBatch(): each record goes to Kafka as JSON (which also
    // flattens the strings it built by concatenation, the forecast ids, as V8 does on first read).
    for (const f of forecasts) JSON.stringify(f);
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    await store.writeBatch({ readings: [], deadLetters: [], forecasts, estimates: [], alerts: [] });
    const t1 = performance.now();
    // A redelivery after a crash: the same forecasts re-made, replacing every one.
    if (again) await store.writeBatch({ readings: [], deadLetters: [], forecasts });
    if (i >= 0) ms.push(again ? performance.now() - t1 : t1 - t0);
  }
  const n = READINGS * TARGETS.length * HORIZONS.length;
  const med = median(ms);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  return {
    forecasts_per_batch: n,
    median_ms: round(med),
    min_ms: round(Math.min(...ms)),
    p90_ms: round(ms.toSorted((a, b) => a - b)[Math.floor(ms.length * 0.9)]!),
    max_ms: round(Math.max(...ms)),
    // The mean counts the WAL checkpoints, which come every few batches.
    mean_ms: round(mean),
    forecasts_per_s: Math.round(n / med * 1000),
    forecasts_per_s_of_mean: Math.round(n / mean * 1000),
  };
}

/** The median time of `reps` calls of `f`. */
async function timed(reps: number, f: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return round(median(ms));
}

const dir = await Deno.makeTempDir({ prefix: "airq-forecast-bench-" });
try {
  const fresh = await openSqliteStore(`${dir}/fresh.db`);
  const freshResult = await writes(fresh, REPS);
  const replaced = await writes(fresh, Math.max(5, Math.floor(REPS / 3)), true);
  await fresh.close();

  const big = await openSqliteStore(`${dir}/big.db`);
  const t0 = performance.now();
  const batch = 12_000;
  for (let stored = 0; stored < PREFILL; stored += batch) {
    await big.writeBatch({ readings: [], deadLetters: [], forecasts: freshForecasts(batch / 12) });
  }
  const prefillS = (performance.now() - t0) / 1000;
  const bigResult = await writes(big, REPS);
  const summary = await big.summary();
  const at = (h: number) => T0 + h * HOUR_MS;
  const day = { station_id: "station-001", from_ms: at(nextHour - 48), to_ms: at(nextHour - 24) };
  const reads = {
    summary_ms: await timed(5, () => big.summary()),
    "one station, one day (288 forecasts)_ms": await timed(5, () => big.forecasts(day)),
    "one station, one day, CO(GT) 24 h (24 forecasts)_ms": await timed(
      5,
      () => big.forecasts({ ...day, target: "CO(GT)", horizon_h: 24 }),
    ),
    "first 1,000 forecasts_ms": await timed(5, () => big.forecasts({ limit: 1000 })),
  };
  await big.close();
  const size = (await Deno.stat(`${dir}/big.db`)).size +
    (await Deno.stat(`${dir}/big.db-wal`).catch(
      () => ({ size: 0 }),
    )).size;
  println(JSON.stringify(
    {
      bench: "SQLite writeBatch() of forecasts",
      readings_per_batch: READINGS,
      reps: REPS,
      fresh_db: freshResult,
      fresh_db_redelivered_batch: replaced,
      db_with_1m_forecasts: {
        prefill_forecasts: PREFILL,
        prefill_s: round(prefillS, 1),
        stored_forecasts: summary.forecasts,
        file_mb: round(size / 1e6, 1),
        ...bigResult,
      },
      reads,
    },
    null,
    2,
  ));
} finally {
  await Deno.remove(dir, { recursive: true });
}
