/**
 * `deno task bench <name> [--json PATH]`: benchmarks that print JSON.
 *
 * - `ingest [--stations N] [--perf-records N]`: a max-speed replay of the year
 *   as N virtual stations (default 100: 935,700 readings) through producer.ts,
 *   a private Kafka broker, consumer.ts and SQLite with offsets committed; and
 *   the broker's own ProducerPerformance / ConsumerPerformance in the same run.
 * - `realtime [--stations N] [--rate R] [--seconds S] [--members N]
 *   [--raw-partitions N]`: the forecaster working off a backlog of N
 *   station-years (readings/s, memory; with `--members`, that many forecaster
 *   processes in one group, the raw topic with `--raw-partitions` partitions,
 *   12 by default when there are several members), then latency from a
 *   reading being produced to its forecast set being readable at a steady R
 *   readings/s for S seconds, then Kafka's producer perf tool with records of
 *   the set's size (lib/harness/bench/realtime.ts).
 * - `parity [--evaluation PATH] [--retrain wait|background|off]`: the model
 *   trained once on the hours before the test window, the test window replayed
 *   through Kafka into the forecaster (warm-started from a store holding the
 *   hours before it; the consumer stores the test window too, and the
 *   forecaster refits from the store at evaluate's weekly boundaries with
 *   `--retrain`, default `wait`: deterministic), its
 *   forecasts scored against evaluate's `best` (refit weekly) on the same
 *   hours: `{"rows": [{"target", "horizon_h", "n", "live_mae",
 *   "offline_mae"}], ...}` (lib/harness/bench/parity.ts). `--evaluation` (default
 *   var/evaluation.json, else docs/reports/evaluation.json) is the
 *   cross-check of the offline MAE.
 *
 * Permissions: those of `broker`, `produce` and `consume` together, plus
 * running Deno itself (the producer and consumer run as their own processes,
 * with their own task permissions).
 *
 * @module
 */
import {
  IngestResultSchema,
  ParityResultSchema,
  RealtimeResultSchema,
  RETRAIN_MODES,
  type RetrainMode,
} from "../lib/records/mod.ts";
import { parseArgs } from "node:util";
import { benchIngest } from "../lib/harness/bench/ingest.ts";
import { benchParity } from "../lib/harness/bench/parity.ts";
import { benchRealtime } from "../lib/harness/bench/realtime.ts";
import { resolveDatasetPath } from "../lib/dataset/mod.ts";
import { env, println, runMain } from "../lib/cli/io.ts";
import { userPath } from "../lib/cli/paths.ts";
import { configureLogging } from "../lib/log.ts";

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      json: { type: "string" },
      stations: { type: "string" },
      rate: { type: "string", default: "1000" },
      seconds: { type: "string", default: "40" },
      warmup: { type: "string", default: "5" },
      members: { type: "string", default: "1" },
      "raw-partitions": { type: "string" },
      "perf-records": { type: "string", default: "1000000" },
      input: { type: "string" },
      evaluation: { type: "string" },
      retrain: { type: "string", default: "wait" },
    },
  });
  await configureLogging({ format: Deno.stderr.isTerminal() ? "text" : "json" });
  const name = positionals[0];
  if (name !== "ingest" && name !== "realtime" && name !== "parity") {
    throw new Error(
      "usage: deno task bench ingest [--stations N] [--json PATH]\n" +
        "       deno task bench realtime [--stations N] [--rate R] [--seconds S] [--members N]\n" +
        "                                [--raw-partitions N] [--json PATH]\n" +
        "       deno task bench parity [--evaluation PATH] [--retrain wait|background|off]\n" +
        "                              [--json PATH]",
    );
  }
  const positive = (option: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`--${option} must be a whole number >= 1, got "${text}"`);
    }
    return n;
  };
  const home = env("HOME") ?? "";
  const dataset = await resolveDatasetPath({
    explicitPath: values.input ?? env("AIRQ_DATASET") ?? undefined,
  });
  const common = {
    input: dataset.path,
    home,
    cacheDir: env("AIRQ_CACHE_DIR") || `${home}/.cache/airq`,
    kafkaHome: env("KAFKA_HOME"),
  };
  const result = name === "parity"
    ? await benchParity({
      ...common,
      evaluationPath: await evaluationPath(values.evaluation),
      retrain: retrainMode(values.retrain),
    })
    : name === "realtime"
    ? await benchRealtime({
      ...common,
      stations: positive("stations", values.stations ?? "20"),
      rate: positive("rate", values.rate),
      latencySeconds: positive("seconds", values.seconds),
      warmupSeconds: Number(values.warmup),
      members: positive("members", values.members),
      rawPartitions: values["raw-partitions"] !== undefined
        ? positive("raw-partitions", values["raw-partitions"])
        : values.members !== "1"
        ? 12
        : undefined,
    })
    : await benchIngest({
      ...common,
      stations: positive("stations", values.stations ?? "100"),
      perfRecords: Number(values["perf-records"]),
    });
  // the one schema of the file, checked by its writer as by its readers
  const text = JSON.stringify(
    "rows" in result
      ? ParityResultSchema.parse(result)
      : "latency" in result
      ? RealtimeResultSchema.parse(result)
      : IngestResultSchema.parse(result),
    null,
    2,
  );
  if (values.json) await Deno.writeTextFile(userPath(values.json), text + "\n");
  println(text);
  return 0;
}

/** `--retrain` of `bench parity`. */
function retrainMode(text: string): RetrainMode {
  if (!(RETRAIN_MODES as readonly string[]).includes(text)) {
    throw new Error(`--retrain must be one of ${RETRAIN_MODES.join(", ")}, got "${text}"`);
  }
  return text as RetrainMode;
}

/** The evaluation JSON for the parity cross-check: the one given, var/'s, or the committed copy. */
async function evaluationPath(given: string | undefined): Promise<string | null> {
  if (given !== undefined) return userPath(given);
  for (const path of ["var/evaluation.json", "docs/reports/evaluation.json"]) {
    if (await Deno.stat(path).then(() => true, () => false)) return path;
  }
  return null;
}

if (import.meta.main) await runMain(main);
