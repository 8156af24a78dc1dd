/**
 * `deno task drill NAME [--stations N] [--kills N] [--json PATH]`:
 * the long versions of the reliability drills, on a private broker or cluster
 * (fresh state folder, free ports) that is stopped afterwards. Prints a JSON
 * report and exits 1 when a goal does not hold.
 *
 * - consumer-kill: replay N stations at full speed while the consumer is killed
 *   with SIGKILL `--kills` times (default 10) and restarted each time.
 * - broker-restart: replay N stations with a consumer running; stop the broker
 *   (SIGTERM) and start it again on the same data mid-replay.
 * - leader-kill, rolling-restart, hung-broker, graceful-stop: on a private
 *   3-node cluster (docs/cluster.md), the consumer and the forecaster run
 *   during a replay of N stations (default 10) while the broker leading most
 *   partitions gets kill -9, every broker is restarted in turn, the broker
 *   leading most partitions is stopped with SIGSTOP for `--hang S` seconds
 *   (default 30), or the consumer and the forecaster themselves get SIGTERM
 *   mid-batch and are started again.
 *   Writes ClusterDrillResultSchema (lib/records/operations.ts): produced,
 *   stored, duplicates, forecasts, expected_forecasts, recovery_s, ...
 *
 * Permissions: those of `broker`, `produce`, `consume` and `quality`, plus
 * running Deno (the scripts run as their own processes with their task flags).
 *
 * @module
 */
import { join } from "node:path";
import { resolveDirs, startPrivateBroker, startPrivateCluster } from "../lib/harness/broker/mod.ts";
import { clusterDrill } from "../lib/harness/cluster_drills.ts";
import { untilStopped } from "../lib/harness/interrupt.ts";
import { loadTopicsConfig } from "../lib/config/mod.ts";
import { CLUSTER_DRILLS, ClusterDrillResultSchema } from "../lib/records/operations.ts";
import { resolveDatasetPath } from "../lib/dataset/mod.ts";
import { brokerRestartDrill, consumerKillDrill, type DrillReport } from "../lib/harness/drills.ts";
import { env, println } from "../lib/cli/io.ts";
import { envPath } from "../lib/cli/paths.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "../lib/cli/command.ts";
import { configureLogging } from "../lib/log.ts";
import { DrillReportSchema } from "../lib/records/mod.ts";

const CLI = defineCommand({
  task: "drill",
  description: "Reliability drills on a private broker (or a private 3-node cluster): exits 1 " +
    "unless the store holds every produced reading exactly once (and, on the cluster, exactly " +
    "one forecast per reading). The report is JSON (on stdout, or in the file of --json PATH).",
  commands: {
    "consumer-kill": "kill the consumer with SIGKILL --kills times during a full-speed replay",
    "broker-restart": "stop the broker and start it again on the same data mid-replay",
    "leader-kill": "3-node cluster: kill -9 the broker that leads most partitions mid-replay",
    "rolling-restart": "3-node cluster: restart every broker in turn mid-replay",
    "hung-broker": "3-node cluster: SIGSTOP one broker for --hang seconds, then SIGCONT",
    "graceful-stop": "3-node cluster: SIGTERM the consumer and the forecaster mid-replay, " +
      "then start them again (each must exit within 5 s)",
  },
  options: {
    stations: opt.int("virtual stations to replay (default 20; the cluster drills 10)", { min: 1 }),
    limit: opt.int("cluster drills: stop the replay after N readings", { min: 1 }),
    hang: opt.int("hung-broker: seconds the broker stays stopped", {
      value: "S",
      min: 1,
      default: 30,
    }),
    coordinator: opt.flag(
      "leader-kill: kill -9 the consumer group's coordinator instead of the busiest leader",
    ),
    "keep-dir": opt.flag("cluster drills: keep the cluster's folder (logs) afterwards"),
    kills: opt.int("consumer-kill: how many times", { min: 1, default: 10 }),
    input: opt.path("dataset", { input: true, default: "AIRQ_DATASET, the shared copy or cache" }),
    json: opt.json("where the report goes: stdout (the default), or with PATH that file"),
  },
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  const name = values.command;
  const cluster = CLUSTER_DRILLS.find((d) => d === name);
  await configureLogging();
  const home = env("HOME") ?? "";
  const dataset = await resolveDatasetPath({
    explicitPath: values.input ?? envPath("AIRQ_DATASET"),
  });
  if (cluster !== undefined) {
    const priv = await startPrivateCluster({
      prefix: "airq-drill-cluster-",
      cacheDir: resolveDirs(env).cacheDir,
      kafkaHome: env("KAFKA_HOME"),
      size: 3,
      heapMb: 384,
    });
    const childEnv = {
      HOME: home,
      AIRQ_KAFKA_BROKERS: priv.brokers,
      AIRQ_LOG_FORMAT: "json",
      AIRQ_LOG_LEVEL: env("AIRQ_DRILL_LOG_LEVEL") ?? "info",
      // kafkajs's own level (its debug lines arrive as trace), for diagnosing a drill
      ...(env("KAFKAJS_LOG_LEVEL") ? { KAFKAJS_LOG_LEVEL: env("KAFKAJS_LOG_LEVEL")! } : {}),
    };
    const dir = join(priv.stateDir, "drill");
    await Deno.mkdir(dir, { recursive: true });
    let result;
    try {
      result = await clusterDrill({
        drill: cluster,
        cluster: priv.cluster,
        kafka: { ...priv.config, brokers: priv.brokers.split(",") },
        topics: (await loadTopicsConfig(() => undefined)).topics,
        env: childEnv,
        dir,
        input: dataset.path,
        stations: values.stations ?? 10,
        limit: values.limit,
        hangMs: values.hang * 1000,
        victim: values.coordinator ? "consumer-coordinator" : "most-leaders",
      });
    } finally {
      if (values["keep-dir"]) {
        await priv.cluster.down();
        println(
          `kept ${priv.stateDir} (broker logs in kafka-cluster/node-*/logs, children in drill/)`,
        );
      } else await priv.stop();
    }
    // the one schema of the file, checked by its writer as by its readers
    const checked = ClusterDrillResultSchema.parse(result);
    if (values.json?.path) {
      await writeJson(values.json, checked);
      println(`wrote ${values.json.path}: ${checked.ok ? "ok" : "FAILED"}`);
    } else println(JSON.stringify(checked, null, 2));
    return checked.ok ? 0 : 1;
  }
  const priv = await startPrivateBroker({
    prefix: "airq-drill-",
    cacheDir: resolveDirs(env).cacheDir,
    kafkaHome: env("KAFKA_HOME"),
  });
  const { broker, brokers, stateDir } = priv;
  const childEnv = {
    HOME: home,
    AIRQ_KAFKA_BROKERS: brokers,
    AIRQ_LOG_FORMAT: "json",
    AIRQ_LOG_LEVEL: "warning",
  };
  let report: DrillReport;
  try {
    const common = {
      env: childEnv,
      dbPath: join(stateDir, "drill.db"),
      input: dataset.path,
      stations: values.stations ?? 20,
    };
    report = name === "consumer-kill"
      ? await consumerKillDrill({
        ...common,
        kills: values.kills,
        lifeMs: [200, 1500],
        seed: 2004,
      })
      : await brokerRestartDrill({
        ...common,
        afterMs: 2000,
        restartBroker: async () => {
          await broker.down();
          await broker.up();
        },
      });
  } finally {
    await priv.stop();
  }
  // the one schema of the file, checked by its writer as by its reader (the final report)
  const checked = DrillReportSchema.parse(report);
  if (values.json?.path) {
    await writeJson(values.json, checked);
    println(`wrote ${values.json.path}: ${checked.ok ? "ok" : "FAILED"}`);
  } else println(JSON.stringify(checked, null, 2));
  return report.ok ? 0 : 1;
}

// Ctrl-C or SIGTERM: the drill's children and its broker's or cluster's JVMs go at once
if (import.meta.main) await runCommand(CLI, (values) => untilStopped(() => main(values)));
