/**
 * The virtual sensor's extra inputs computed hour by hour from a station's `FeatureState` (what
 * the real-time engine does) equal the batch columns training uses (`nowcastColumns`), bit for
 * bit, on the real file and on a synthetic series with gaps.
 */
import assert from "node:assert/strict";
import { FeatureState, type HourlySeries, toHourlySeries } from "../../lib/features/mod.ts";
import {
  MAX_AGE_H,
  nowcastExtrasInto,
  parseNowcastExtra,
} from "../../lib/features/nowcast_extras.ts";
import { nowcastColumns } from "../../lib/offline/nowcast_features.ts";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { MEASUREMENT_FIELDS, type Measurements } from "../../lib/records/reading.ts";
import { UCI_PATH } from "../_data.ts";
import { syntheticSeries } from "./_synthetic.ts";

/** Feeds every hour of `series` that has a value into a state; checks every extra at each. */
function compare(series: HourlySeries, skipEvery: number): number {
  const batch = nowcastColumns(series, ["ratios", "weather", "age"]);
  const extras = batch.names.map((name) => {
    const e = parseNowcastExtra(name);
    assert.ok(e !== null, name);
    return e;
  });
  const state = new FeatureState();
  const out = new Float64Array(extras.length);
  let checked = 0;
  for (let t = 0; t < series.length; t++) {
    if (skipEvery > 0 && t % skipEvery === 3) continue; // an hour that never arrives
    const m = Object.fromEntries(MEASUREMENT_FIELDS.map((f) => {
      const v = series.columns[f][t]!;
      return [f, v === v ? v : null];
    })) as Measurements;
    state.push(series.startMs + t * 3_600_000, m);
    nowcastExtrasInto(state, extras, out, 0);
    for (let j = 0; j < extras.length; j++) {
      const expected = batch.columns[j]![t]!;
      assert.ok(Object.is(out[j], expected), `${batch.names[j]} at ${t}: ${out[j]} vs ${expected}`);
      checked++;
    }
  }
  return checked;
}

Deno.test("nowcast extras from the state equal the batch columns on the real file", async () => {
  const rows = await Array.fromAsync(readUciFile(UCI_PATH));
  // the first 3,000 hours: the NOx and NO2 analysers' outages, the sensors' gaps
  const series = toHourlySeries(rows.slice(0, 3000));
  assert.equal(compare(series, 0), 3000 * 28); // every hour has a reading there
});

Deno.test("nowcast extras from the state equal the batch columns with hours that never arrive", () => {
  // the batch sees those hours as missing values, the state as hours never pushed
  const series = syntheticSeries(900, 5, 0.2);
  const holes = {
    ...series,
    columns: Object.fromEntries(
      Object.entries(series.columns).map(([f, col]) => [
        f,
        Float64Array.from(col, (v, t) => (t % 7 === 3 ? NaN : v)),
      ]),
    ) as unknown as HourlySeries["columns"],
  };
  assert.ok(compare(holes, 7) > 700 * 28);
});

Deno.test("parseNowcastExtra reads the names and refuses others", () => {
  assert.deepEqual(parseNowcastExtra("pt08_s1_co_over_median24"), {
    kind: "ratio",
    field: MEASUREMENT_FIELDS.indexOf("pt08_s1_co"),
    windowH: 24,
  });
  assert.equal(parseNowcastExtra("pt08_s1_co_over_median25"), null);
  assert.equal(parseNowcastExtra("t_c_x_t"), null);
  assert.equal(parseNowcastExtra("nox_ppb_age_h")?.kind, "age_h");
  assert.equal(parseNowcastExtra("nmhc_ug_m3_last"), null);
  assert.equal(MAX_AGE_H, 336);
});
