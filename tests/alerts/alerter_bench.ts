/**
 * Cost of the pollution alerter's hot paths: `observe()` per reading and
 * `forecasts()` per batch of 12 records (4 targets × 3 horizons, as the
 * real-time forecaster publishes per reading), on synthetic hourly data for
 * 10 stations with a rush-hour NO2 cycle that now and then crosses 200 µg/m³.
 * The cost of `forecasts()` alone is the difference of the "forecasts" group.
 *
 * `deno bench --allow-read tests/alerts/alerter_bench.ts`
 *
 * @module
 */
import { PollutionAlerter } from "../../lib/alerts/mod.ts";
import type { CleanReading, ForecastRecord } from "../../lib/records/mod.ts";
import { mulberry32 } from "../../lib/random.ts";
import { CONFIG, forecast, reading } from "./_helpers.ts";

const STATIONS = 10, HOURS = 2000;
const random = mulberry32(20040310);

/** NO2 and CO of station `s` at hour `h`: a daily cycle plus noise. */
function values(s: number, h: number): { no2_ug_m3: number; co_mg_m3: number } {
  const day = Math.sin(2 * Math.PI * ((h + s) % 24) / 24);
  return {
    no2_ug_m3: Math.round(120 + 60 * day + 30 * (random() - 0.5)),
    co_mg_m3: Math.round((2.2 + 1.4 * day + random()) * 10) / 10,
  };
}

const READINGS: CleanReading[] = [];
for (let h = 0; h < HOURS; h++) {
  for (let s = 0; s < STATIONS; s++) READINGS.push(reading(h, values(s, h), `station-${s}`));
}

/** The 12 forecasts of each reading of station-0, spread like the forecaster's. */
const BATCHES: ForecastRecord[][] = [];
for (let h = 0; h < HOURS; h++) {
  const batch: ForecastRecord[] = [];
  for (const horizon of [1, 6, 24]) {
    const next = values(0, h + horizon);
    batch.push(forecast(h, horizon, "co_mg_m3", next.co_mg_m3, 0.6));
    batch.push(forecast(h, horizon, "nox_ppb", 300, 60));
    batch.push(forecast(h, horizon, "no2_ug_m3", next.no2_ug_m3, 20));
    batch.push(forecast(h, horizon, "c6h6_ug_m3", 10, 3));
  }
  BATCHES.push(batch);
}

let observer = new PollutionAlerter(CONFIG), o = 0, alertsObserved = 0;
Deno.bench("observe(): one reading of 10 interleaved stations, 5 limits", () => {
  if (o === READINGS.length) {
    observer = new PollutionAlerter(CONFIG);
    o = 0;
  }
  alertsObserved += observer.observe(READINGS[o++]!, 0).length;
});

// forecasts() needs the reading of its hour observed first, and Deno.bench ignores
// b.start()/b.end() below 10 µs: its cost is the difference of the next two.
let single = new PollutionAlerter(CONFIG), s = 0;
Deno.bench("observe(): one reading of one station", { group: "forecasts", baseline: true }, () => {
  if (s === HOURS) {
    single = new PollutionAlerter(CONFIG);
    s = 0;
  }
  single.observe(READINGS[s++ * STATIONS]!, 0);
});

let both = new PollutionAlerter(CONFIG), k = 0;
Deno.bench("observe() + forecasts() of its 12 records", { group: "forecasts" }, () => {
  if (k === HOURS) {
    both = new PollutionAlerter(CONFIG);
    k = 0;
  }
  both.observe(READINGS[k * STATIONS]!, 0);
  both.forecasts(BATCHES[k++]!, 0);
});

globalThis.addEventListener("unload", () => {
  if (alertsObserved === 0) throw new Error("the benchmark data never crossed a limit");
});
