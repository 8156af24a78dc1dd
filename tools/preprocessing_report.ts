/**
 * `deno task preprocessing-report [--input PATH] [--out PATH]`: writes
 * docs/reports/preprocessing.md (and prints its numbers as JSON on stdout)
 * from the dataset, through the pipeline's own validation and monitoring.
 *
 * Permissions: read `..,$HOME,/tmp` (config and the dataset), write `docs/reports`,
 * env `AIRQ_*,HOME,INIT_CWD`, net `archive.ics.uci.edu` (a verified download when there is no local copy).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CONFIG_DIR, loadConfig } from "../lib/config/mod.ts";
import { readUciFile, resolveDatasetPath } from "../lib/dataset/mod.ts";
import { QUALITY_CONFIG_FILE, QualityRulesSchema } from "../lib/quality/mod.ts";
import { preprocessingMarkdown, preprocessingStats } from "../lib/reports/preprocessing.ts";
import { println, runMain } from "../lib/cli/io.ts";
import { userPath } from "../lib/cli/paths.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      input: { type: "string" },
      out: { type: "string", default: "docs/reports/preprocessing.md" },
    },
  });
  const rules = await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema);
  const dataset = await resolveDatasetPath({
    explicitPath: values.input,
  });
  const stats = await preprocessingStats(readUciFile(dataset.path), rules);
  const name = dataset.path.split("/").at(-1) ?? dataset.path;
  const out = values.input || values.out !== "docs/reports/preprocessing.md"
    ? userPath(values.out)
    : values.out;
  await Deno.writeTextFile(
    out,
    preprocessingMarkdown(stats, name, new Date().toISOString().slice(0, 10)),
  );
  println(JSON.stringify(stats));
  return 0;
}

if (import.meta.main) await runMain(main);
