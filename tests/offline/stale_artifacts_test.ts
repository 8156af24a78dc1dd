/**
 * `deno task train` leaves in its model folder only the artifacts it wrote
 * (`removeStaleArtifacts`): the forecaster loads every artifact there, and a
 * left-over one from an earlier configuration (change models of a pair whose
 * weight became 0) had put that pair's blend out of service (found in the
 * forecaster's log as "artifact gbt has other features than the blend's
 * first", C6H6 at 24 h served by persistence).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { toHourlySeries } from "../../lib/features/mod.ts";
import { artifactFileName, trainModels } from "../../lib/offline/mod.ts";
import { removeStaleArtifacts } from "../../lib/offline/artifact_files.ts";
import { loadDeployedModels } from "../../lib/realtime/load.ts";
import { UCI_PATH } from "../_data.ts";
import { smallForecastConfig } from "../_models.ts";

Deno.test("train's clean-up removes the artifacts it did not write, and nothing else", async () => {
  const rows = await Array.fromAsync(readUciFile(UCI_PATH, { utcOffset: "+01:00" }));
  const config = await smallForecastConfig();
  const artifacts = trainModels(
    toHourlySeries(rows.slice(0, 1200)),
    config,
    "2026-01-01T00:00:00Z",
  );
  const dir = await Deno.makeTempDir({ prefix: "airq-stale-artifacts-" });
  try {
    // this training: every artifact but one pair's tree change model, which an earlier
    // configuration had (with other features) and whose file is still in the folder
    const staleAt = artifacts.findIndex((a) => a.name === "gbt_change");
    assert.ok(staleAt >= 0, "the small config fits change models");
    const stale = artifacts[staleAt]!;
    const current = artifacts.filter((_, i) => i !== staleAt);
    const files = current.map(artifactFileName);
    for (const [i, a] of current.entries()) {
      await Deno.writeTextFile(join(dir, files[i]!), JSON.stringify(a) + "\n");
    }
    const staleFile = artifactFileName(stale);
    await Deno.writeTextFile(
      join(dir, staleFile),
      JSON.stringify({ ...stale, features: stale.features.slice(0, -4) }) + "\n",
    );
    // files that are not artifacts stay, whatever their name
    await Deno.writeTextFile(join(dir, "manifest.json"), "{}\n");
    await Deno.writeTextFile(join(dir, "notes.json"), '{"mine": true}\n');
    await Deno.writeTextFile(join(dir, "readme.txt"), "mine\n");

    const before = await loadDeployedModels(dir, join(dir, "none.json"), 60);
    assert.ok(
      before.problems.some((p) => p.includes("has other features than the blend's first")),
      before.problems.join("\n"),
    );
    assert.deepEqual(await removeStaleArtifacts(dir, files), [staleFile]);
    const left = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
    assert.deepEqual(left, [...files, "manifest.json", "notes.json", "readme.txt"].sort());
    const after = await loadDeployedModels(dir, join(dir, "none.json"), 60);
    assert.ok(
      !after.problems.some((p) => p.includes("has other features")),
      after.problems.join("\n"),
    );
    assert.deepEqual(await removeStaleArtifacts(dir, files), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
