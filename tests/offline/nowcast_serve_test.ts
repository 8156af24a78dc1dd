/**
 * The virtual sensor `deno task train` writes (and the forecaster serves) is the one evaluate
 * scores: trained on the hours before T, its estimates for the week after T equal those of
 * evaluate's walk-forward refit at T (same rows, extra inputs, change target, tree weight).
 */
import assert from "node:assert/strict";
import {
  buildFeatureMatrix,
  fieldOf,
  sliceSeries,
  toHourlySeries,
} from "../../lib/features/mod.ts";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { trainModels } from "../../lib/offline/mod.ts";
import { nowcastOptionsOf } from "../../lib/offline/forecast_config.ts";
import {
  changeOffset,
  nowcastEstimate,
  nowcastTargetsOf,
  runNowcasts,
} from "../../lib/offline/nowcast.ts";
import { nowcastColumns, withColumns } from "../../lib/offline/nowcast_features.ts";
import { assembleModels, modelKey } from "../../lib/realtime/mod.ts";
import { CompiledBlend } from "../../lib/realtime/models.ts";
import { UCI_PATH } from "../_data.ts";
import { smallForecastConfig } from "../_models.ts";

Deno.test("the trained virtual sensor estimates what evaluate's walk-forward refit estimates", async () => {
  const config = await smallForecastConfig();
  const rows = await Array.fromAsync(readUciFile(UCI_PATH));
  const series = toHourlySeries(rows.slice(0, 3000));
  const T = 2800;
  const models = assembleModels(
    trainModels(sliceSeries(series, 0, T), config, "2026-01-01T00:00:00.000Z"),
    null,
    60,
  );
  const base = buildFeatureMatrix(series, { mode: "nowcast", horizonH: 0, utcOffsetMin: 60 });
  const options = config.targets.map((t) => nowcastOptionsOf(config, t));
  assert.ok(options.some((o) => o.target === "change" && o.features.length > 0));
  const runs = runNowcasts(
    series,
    base,
    nowcastTargetsOf(config),
    {
      anchor: T,
      refitEveryH: 168,
      fromTarget: T,
      toTarget: T + 167,
      ridge: config.ridge,
      gbt: config.gbt,
    },
  );
  let compared = 0;
  for (const [s, target] of config.targets.entries()) {
    const o = options[s]!;
    const y = series.columns[fieldOf(target)];
    const offline = nowcastEstimate(runs[s]!, y, o.gbtWeight, null);
    const blend = models.blends.get(modelKey(target, "nowcast"))!;
    const x = withColumns(base, nowcastColumns(series, o.features));
    assert.deepEqual(blend.parts[0]!.artifact.features, x.names);
    const compiled = new CompiledBlend(blend);
    const offsets = changeOffset(y);
    for (let t = T; t <= T + 167; t++) {
      const row = x.data.subarray((t - x.from) * x.p, (t - x.from + 1) * x.p);
      const live = Math.max(
        0,
        compiled.predict(row, undefined, o.target === "change" ? offsets[t]! : NaN),
      );
      const expected = offline[t]!;
      if (Number.isNaN(expected)) {
        assert.ok(Number.isNaN(live), `${target} at ${t}`);
        continue;
      }
      assert.ok(
        Math.abs(live - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
        `${target} at ${t}: ${live} vs ${expected}`,
      );
      compared++;
    }
  }
  assert.ok(compared > 600, `${compared}`);
});
