/**
 * `deno task train` saves the input reference of the training window: the
 * latest `trainWindowH` hours of the real UCI series, the hours `trainModels`
 * fits on.
 */
import { ModelManifestSchema } from "../../lib/models/mod.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CONFIG_DIR, loadConfig } from "../../lib/config/mod.ts";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { HOUR_MS, toHourlySeries } from "../../lib/features/mod.ts";
import { ForecastConfigSchema } from "../../lib/offline/mod.ts";
import { trainingInputReference } from "../../lib/offline/train.ts";
import { binValues, InputReferenceSchema, loadInputReference } from "../../lib/monitoring/mod.ts";
import { UCI_PATH } from "../_data.ts";
import { trainSmallModels } from "../_models.ts";

Deno.test("trainingInputReference() bins the latest trainWindowH hours of the series", async () => {
  const config = await loadConfig(new URL("forecast.json", CONFIG_DIR), ForecastConfigSchema);
  const rows = await Array.fromAsync(readUciFile(UCI_PATH, { utcOffset: config.utcOffset }));
  const series = toHourlySeries(rows);
  const ref = trainingInputReference(series, config, "2026-01-01T00:00:00.000Z");
  InputReferenceSchema.parse(ref);
  const w = config.walkForward.trainWindowH!;
  const from = series.length - w;
  assert.equal(ref.trainingWindow.hours, w);
  assert.equal(ref.trainingWindow.from, new Date(series.startMs + from * HOUR_MS).toISOString());
  assert.equal(ref.trainingWindow.to, new Date(rows.at(-1)!.epochMs).toISOString());
  const values = [...series.columns.t_c.subarray(from)].filter((v) => !Number.isNaN(v));
  assert.deepEqual(ref.fields.t_c, {
    n: values.length,
    missing: w - values.length,
    ...binValues(values),
  });
  // NMHC(GT) stops in 2004: no reference, so no PSI for it
  assert.equal(ref.fields.nmhc_ug_m3.n, 0);
  assert.deepEqual(ref.fields.nmhc_ug_m3.proportions, []);
});

Deno.test("deno task train writes <modelDir>/reference.json beside the artifacts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-train-reference-" });
  try {
    // the first 3,000 hours of the file, and 10 trees: the models do not matter here
    const { modelDir: out, csv, config } = await trainSmallModels(dir, {
      AIRQ_LOG_LEVEL: "warning",
    }, 3000);
    const saved = loadInputReference(await Deno.readTextFile(join(out, "reference.json")));
    const manifest = ModelManifestSchema.parse(
      JSON.parse(await Deno.readTextFile(join(out, "manifest.json"))),
    );
    assert.equal(saved.createdAt, manifest.createdAt);
    const parsed = ForecastConfigSchema.parse(config);
    const rows = await Array.fromAsync(readUciFile(csv, { utcOffset: parsed.utcOffset }));
    assert.deepEqual(saved, trainingInputReference(toHourlySeries(rows), parsed, saved.createdAt));
    assert.equal(saved.trainingWindow.hours, 2688);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
