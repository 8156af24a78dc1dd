/**
 * Micro-benchmarks of the model monitor's hot path on the real UCI file:
 * one reading's `observe()` (scores its matured forecasts, updates the PSI
 * window of 13 fields and judges 37 detectors) and `forecasts()` of the 12
 * records the forecaster emits per reading. The budget is 50 µs per reading
 * for both together (20,000 readings/s on one core).
 *
 * ```sh
 * deno bench --no-prompt --allow-read --allow-env tests/monitoring/monitor_bench.ts
 * ```
 *
 * @module
 */
import { readUciFile } from "../../lib/dataset/mod.ts";
import { toHourlySeries } from "../../lib/features/mod.ts";
import {
  inputReference,
  loadExpectedErrors,
  ModelMonitor,
  MONITORED_HORIZONS,
  MONITORED_TARGETS,
} from "../../lib/monitoring/mod.ts";
import type { CleanReading, ForecastRecord } from "../../lib/records/mod.ts";
import { UCI_PATH } from "../_data.ts";
import { uciCleanReading } from "../_uci_rows.ts";
import { CONFIG, forecast, HOUR_MS } from "./_helpers.ts";

const rows = await Array.fromAsync(readUciFile(UCI_PATH, { utcOffset: "+01:00" }));
const series = toHourlySeries(rows);
const reference = inputReference(series, {
  from: series.length - 2688,
  to: series.length,
  createdAt: "2026-01-01T00:00:00Z",
});
const expected = loadExpectedErrors(
  JSON.parse(await Deno.readTextFile("var/evaluation.json").catch(() => "{}")),
);
const t0 = rows[0]!.epochMs;
const readings: CleanReading[] = rows.map((row, t) =>
  uciCleanReading(row, t, "airq.readings.valid")
);
/** Persistence-like forecasts (with a model's flag) of every reading: 12 records each. */
const batches: ForecastRecord[][] = rows.map((row) =>
  MONITORED_TARGETS.flatMap(({ target, field }) =>
    MONITORED_HORIZONS.map((h) => {
      const v = row.measurements[field];
      return {
        ...forecast((row.epochMs - t0) / HOUR_MS, target, h, v === null ? 1 : v),
        ts: row.ts,
      };
    })
  )
);

/** A monitor that has seen the whole file once: windows full, detectors warm. */
function warmed(): ModelMonitor {
  const m = new ModelMonitor(CONFIG, { expected, reference });
  for (let i = 0; i < readings.length; i++) {
    m.observe(readings[i]!, 0);
    m.forecasts(batches[i]!);
  }
  m.reset(); // the bench replays the file from its start: forget, then warm again on the first half
  for (let i = 0; i < readings.length / 2; i++) {
    m.observe(readings[i]!, 0);
    m.forecasts(batches[i]!);
  }
  return m;
}

/** Cycles through the file; at its end the monitor forgets everything (time cannot go back). */
function cycle(m: ModelMonitor, step: (i: number) => void): () => void {
  let i = Math.floor(readings.length / 2);
  return () => {
    if (i === readings.length) {
      m.reset();
      i = 0;
    }
    step(i++);
  };
}

const both = warmed();
Deno.bench(
  "observe() + forecasts(): one reading and its 12 forecasts",
  { group: "reading", baseline: true },
  cycle(both, (i) => {
    both.observe(readings[i]!, 0);
    both.forecasts(batches[i]!);
  }),
);

const observeOnly = warmed();
Deno.bench(
  "observe(): one reading (no forecasts pending)",
  { group: "reading" },
  cycle(observeOnly, (i) => observeOnly.observe(readings[i]!, 0)),
);

const forecastsOnly = warmed();
Deno.bench(
  "forecasts(): the 12 records of one reading (never scored)",
  { group: "reading" },
  cycle(forecastsOnly, (i) => forecastsOnly.forecasts(batches[i]!)),
);

// 100 stations, hour by hour: each station gets the same reading (the records are relabelled
// in place, which costs 13 property writes per reading)
const STATIONS = Array.from({ length: 100 }, (_, s) => `station-${String(s).padStart(3, "0")}`);
const many = new ModelMonitor(CONFIG, { expected, reference });
let k = 0;
Deno.bench("observe() + forecasts(): 100 stations round-robin, per reading", () => {
  const i = Math.floor(k / STATIONS.length), s = k % STATIONS.length;
  if (i === readings.length) {
    many.reset();
    k = 0;
    return;
  }
  k++;
  const id = STATIONS[s]!;
  const r = readings[i]!, batch = batches[i]!;
  r.station_id = id;
  for (let j = 0; j < batch.length; j++) batch[j]!.station_id = id;
  many.observe(r, 0);
  many.forecasts(batch);
});
