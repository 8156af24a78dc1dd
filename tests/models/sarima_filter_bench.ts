/**
 * Cost of the SARIMA filter on the live path: `update()` (one hourly value) and
 * `forecast()` (1, 6 and 24 h) per second, for the windowed filter (ctsa's
 * forecasts exactly, windowH = 1000) and the continuous Kalman filter, on the
 * real file's NO2(GT) with a fit of (1,0,1)(1,1,1,24) on log1p. Prints JSON:
 *
 * ```sh
 * flock /tmp/airq-bench.lock deno run --no-prompt --allow-read --allow-env \
 *   tests/models/sarima_filter_bench.ts [--rounds 5]
 * ```
 *
 * Each round feeds the 9,357 hours of the file to a fresh warm filter; the
 * median round is reported.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { fieldOf, toHourlySeries } from "../../lib/features/mod.ts";
import {
  fillForState,
  loadSarima,
  SarimaFilter,
  type SarimaFilterSpec,
} from "../../lib/models/mod.ts";
import { println } from "../../lib/cli/io.ts";
import { UCI_PATH } from "../_data.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: { rounds: { type: "string", default: "5" } },
});
const ROUNDS = Number(args.rounds);
const W = 1000;
const order = { p: 1, d: 0, q: 1, P: 1, D: 1, Q: 1, s: 24 };
const rows = await Array.fromAsync(readUciFile(UCI_PATH, { utcOffset: "+01:00" }));
const y = toHourlySeries(rows).columns[fieldOf("NO2(GT)")];
const engine = await loadSarima();
const fit = engine.fit(fillForState(y).subarray(y.length - W), { ...order, transform: "log1p" });
const spec: SarimaFilterSpec = { order, transform: "log1p", coefficients: fit.coefficients() };
fit.destroy();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function measure(windowH: number | undefined) {
  const options = windowH === undefined ? {} : { windowH };
  const out = new Float64Array(3);
  const update: number[] = [], forecast: number[] = [], both: number[] = [];
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const a = SarimaFilter.warm(spec, y.subarray(0, W), options);
    let t0 = performance.now();
    for (let t = W; t < y.length; t++) a.update(y[t]!);
    update.push((y.length - W) / ((performance.now() - t0) / 1000));
    t0 = performance.now();
    for (let t = W; t < y.length; t++) sink += a.forecast(out)[0]!;
    forecast.push((y.length - W) / ((performance.now() - t0) / 1000));
    const b = SarimaFilter.warm(spec, y.subarray(0, W), options);
    t0 = performance.now();
    for (let t = W; t < y.length; t++) {
      b.update(y[t]!);
      sink += b.forecast(out)[0]!;
    }
    both.push((y.length - W) / ((performance.now() - t0) / 1000));
  }
  return {
    updates_per_s: Math.round(median(update)),
    forecasts_per_s: Math.round(median(forecast)),
    update_and_forecast_per_s: Math.round(median(both)),
    us_per_update_and_forecast: Number((1e6 / median(both)).toFixed(2)),
    checksum_finite: Number.isFinite(sink),
  };
}

const t0 = performance.now();
SarimaFilter.warm(spec, y.subarray(0, W), { windowH: W });
const warmMs = performance.now() - t0;
println(JSON.stringify(
  {
    series: "NO2(GT), real file",
    order: "(1,0,1)(1,1,1,24) log1p",
    hours_per_round: y.length - W,
    rounds: ROUNDS,
    first_warm_ms: Number(warmMs.toFixed(1)),
    windowed: measure(W),
    kalman: measure(undefined),
  },
  null,
  2,
));
