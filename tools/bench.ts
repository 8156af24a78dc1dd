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
 *   cross-check of the offline MAE. `--keep-store PATH` keeps a copy of the
 *   store after the replay, for `deno task monitor --db PATH --episodes`
 *   (the drift monitoring of the test window, docs/monitoring.md).
 * - `launcher [--runs N]`: the cost of the launcher in front of the Kafka
 *   tasks (tools/_launch.ts, docs/security.md): a script run directly with its
 *   widened flags against the same behind the launcher (lib/harness/bench/launcher.ts).
 *
 * Permissions: those of `broker`, `produce` and `consume` together, plus
 * running Deno itself (the producer and consumer run as their own processes,
 * with their own task permissions).
 *
 * @module
 */
import {
  IngestResultSchema,
  LauncherResultSchema,
  ParityResultSchema,
  RealtimeResultSchema,
  RETRAIN_MODES,
} from "../lib/records/mod.ts";
import { benchIngest } from "../lib/harness/bench/ingest.ts";
import { benchLauncher } from "../lib/harness/bench/launcher.ts";
import { benchParity } from "../lib/harness/bench/parity.ts";
import { benchRealtime } from "../lib/harness/bench/realtime.ts";
import { resolveDirs } from "../lib/harness/broker/mod.ts";
import { untilStopped } from "../lib/harness/interrupt.ts";
import { resolveDatasetPath } from "../lib/dataset/mod.ts";
import { env, println } from "../lib/cli/io.ts";
import { envPath } from "../lib/cli/paths.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "../lib/cli/command.ts";
import { configureLogging } from "../lib/log.ts";
import { servedEvaluationPath } from "../lib/realtime/load.ts";

const CLI = defineCommand({
  task: "bench",
  description: "Benchmarks on a private Kafka broker; the result is JSON (on stdout, or in the " +
    "file of --json PATH).",
  commands: {
    ingest: "max-speed replay of N virtual stations through producer, Kafka, consumer, SQLite",
    realtime: "the forecaster: backlog throughput, then latency at a steady rate",
    parity: "live forecasts on the test window against the offline evaluation",
    launcher: "the cost of the Kafka tasks' permission launcher (tools/_launch.ts)",
  },
  options: {
    stations: opt.int("virtual stations (ingest: 100, realtime: 20)", { min: 1 }),
    rate: opt.int("realtime: readings/s during the latency phase", { min: 1, default: 1000 }),
    seconds: opt.int("realtime: length of the latency phase", {
      value: "S",
      min: 1,
      default: 100,
    }),
    // the broker is fresh: its JIT compiles the small transactions' code for about the first
    // minute at 1,000 readings/s (docs/realtime.md, Measured), which a running system has done
    warmup: opt.number("realtime: seconds before latency is measured (the broker's JIT warm-up)", {
      value: "S",
      min: 0,
      default: 60,
    }),
    members: opt.int("realtime: forecaster processes in one group", { min: 1, default: 1 }),
    "raw-partitions": opt.int("realtime: partitions of the raw topic (12 with --members > 1)", {
      min: 1,
    }),
    "perf-records": opt.int("ingest: records for Kafka's own perf tools", {
      min: 1,
      default: 1_000_000,
    }),
    input: opt.path("dataset", { input: true, default: "AIRQ_DATASET, the shared copy or cache" }),
    evaluation: opt.path("parity: the evaluation JSON to cross-check", {
      input: true,
      default: "var/evaluation.json, else docs/reports/evaluation.json",
    }),
    retrain: opt.choice("parity: --retrain of the forecaster", RETRAIN_MODES, { default: "wait" }),
    "keep-store": opt.path(
      "parity: copy the store (readings, forecasts, alerts, monitoring) to PATH after the replay",
      { value: "PATH" },
    ),
    runs: opt.int("launcher: timed runs of each variant", { min: 1, default: 15 }),
    json: opt.json("where the JSON goes: stdout (the default), or with PATH that file"),
  },
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  await configureLogging();
  const name = values.command;
  if (name === "launcher") {
    const result = LauncherResultSchema.parse(
      await benchLauncher({ runs: values.runs, home: env("HOME") ?? "" }),
    );
    if (values.json?.path) {
      await writeJson(values.json, result);
      println(`wrote ${values.json.path}`);
    } else println(JSON.stringify(result, null, 2));
    return 0;
  }
  const home = env("HOME") ?? "";
  const dataset = await resolveDatasetPath({
    explicitPath: values.input ?? envPath("AIRQ_DATASET"),
  });
  const common = {
    input: dataset.path,
    home,
    cacheDir: resolveDirs(env).cacheDir,
    kafkaHome: env("KAFKA_HOME"),
  };
  const result = name === "parity"
    ? await benchParity({
      ...common,
      evaluationPath: values.evaluation ?? await servedEvaluationPath(),
      retrain: values.retrain,
      keepStore: values["keep-store"] ?? null,
    })
    : name === "realtime"
    ? await benchRealtime({
      ...common,
      stations: values.stations ?? 20,
      rate: values.rate,
      latencySeconds: values.seconds,
      warmupSeconds: values.warmup,
      members: values.members,
      rawPartitions: values["raw-partitions"] ?? (values.members > 1 ? 12 : undefined),
    })
    : await benchIngest({
      ...common,
      stations: values.stations ?? 100,
      perfRecords: values["perf-records"],
    });
  // the one schema of the file, checked by its writer as by its readers
  const checked = "latency" in result
    ? RealtimeResultSchema.parse(result)
    : "rows" in result
    ? ParityResultSchema.parse(result)
    : IngestResultSchema.parse(result);
  if (values.json?.path) {
    await writeJson(values.json, checked);
    println(`wrote ${values.json.path}`);
  } else println(JSON.stringify(checked, null, 2));
  return 0;
}

// Ctrl-C or SIGTERM: the bench's children and its private broker's JVM go at once
if (import.meta.main) await runCommand(CLI, (values) => untilStopped(() => main(values)));
