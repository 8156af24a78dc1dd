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
import { CONFIG_DIR, loadConfig } from "../lib/config/mod.ts";
import { readUciFile, resolveDatasetPath } from "../lib/dataset/mod.ts";
import { QUALITY_CONFIG_FILE, QualityRulesSchema } from "../lib/quality/mod.ts";
import { preprocessingMarkdown, preprocessingStats } from "../lib/reports/preprocessing.ts";
import { println } from "../lib/cli/io.ts";
import { envPath } from "../lib/cli/paths.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "../lib/cli/command.ts";

const DEFAULT_OUT = "docs/reports/preprocessing.md";

const CLI = defineCommand({
  task: "preprocessing-report",
  description: "Write the preprocessing report (Markdown): the dataset through the pipeline's " +
    "own validation and monitoring; its numbers as JSON.",
  options: {
    input: opt.path("the UCI CSV", {
      input: true,
      default: "AIRQ_DATASET, the shared copy, or a verified download",
    }),
    out: opt.path("the Markdown report", { default: DEFAULT_OUT }),
    json: opt.json("where the numbers go: stdout (the default), or with PATH that file"),
  },
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  const rules = await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema);
  const dataset = await resolveDatasetPath({
    explicitPath: values.input ?? envPath("AIRQ_DATASET"),
  });
  const stats = await preprocessingStats(readUciFile(dataset.path), rules);
  const name = dataset.path.split("/").at(-1) ?? dataset.path;
  const out = values.out ?? DEFAULT_OUT;
  await Deno.writeTextFile(
    out,
    preprocessingMarkdown(stats, name, new Date().toISOString().slice(0, 10)),
  );
  await writeJson(values.json ?? { path: null }, stats);
  if (values.json?.path) println(`wrote ${out}`);
  return 0;
}

if (import.meta.main) await runCommand(CLI, main);
