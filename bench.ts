/**
 * `deno task bench <name> [--json PATH]`: benchmarks that print JSON.
 *
 * - `ingest [--stations N] [--perf-records N]`: a max-speed replay of the year
 *   as N virtual stations (default 100: 935,700 readings) through producer.ts,
 *   a private Kafka broker, consumer.ts and SQLite with offsets committed; and
 *   the broker's own ProducerPerformance / ConsumerPerformance in the same run.
 *
 * Permissions: those of `broker`, `produce` and `consume` together, plus
 * running Deno itself (the producer and consumer run as their own processes,
 * with their own task permissions).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { benchIngest } from "./lib/bench/ingest.ts";
import { resolveDatasetPath } from "./lib/dataset/mod.ts";
import { env, println, runMain } from "./lib/cli.ts";
import { userPath } from "./lib/cli_paths.ts";
import { configureLogging } from "./lib/log.ts";

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      json: { type: "string" },
      stations: { type: "string", default: "100" },
      "perf-records": { type: "string", default: "1000000" },
      input: { type: "string" },
    },
  });
  await configureLogging({ format: Deno.stderr.isTerminal() ? "text" : "json" });
  const name = positionals[0];
  if (name !== "ingest") {
    throw new Error(`usage: deno task bench ingest [--stations N] [--json PATH]`);
  }
  const home = env("HOME") ?? "";
  const dataset = await resolveDatasetPath({
    explicitPath: values.input ?? env("AIRQ_DATASET") ?? undefined,
  });
  const result = await benchIngest({
    stations: Number(values.stations),
    input: dataset.path,
    home,
    cacheDir: env("AIRQ_CACHE_DIR") || `${home}/.cache/airq`,
    kafkaHome: env("KAFKA_HOME"),
    perfRecords: Number(values["perf-records"]),
  });
  const text = JSON.stringify(result, null, 2);
  if (values.json) await Deno.writeTextFile(userPath(values.json), text + "\n");
  println(text);
  return 0;
}

if (import.meta.main) await runMain(main);
