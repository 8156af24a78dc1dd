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
 * - leader-kill, rolling-restart, hung-broker: on a private 3-node cluster
 *   (docs/cluster.md), the consumer and the forecaster run during a replay of
 *   N stations (default 10) while the broker leading most partitions gets
 *   kill -9, every broker is restarted in turn, or the broker leading most
 *   partitions is stopped with SIGSTOP for `--hang S` seconds (default 30).
 *   Writes ClusterDrillResultSchema (lib/records/operations.ts): produced,
 *   stored, duplicates, forecasts, expected_forecasts, recovery_s, ...
 *
 * Permissions: those of `broker`, `produce`, `consume` and `quality`, plus
 * running Deno (the scripts run as their own processes with their task flags).
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startPrivateBroker, startPrivateCluster } from "../lib/harness/broker/mod.ts";
import { clusterDrill, killDrillChildren } from "../lib/harness/cluster_drills.ts";
import { stopOnSignals } from "../lib/stop.ts";
import { loadTopicsConfig } from "../lib/config/mod.ts";
import { CLUSTER_DRILLS } from "../lib/records/operations.ts";
import { resolveDatasetPath } from "../lib/dataset/mod.ts";
import { brokerRestartDrill, consumerKillDrill, type DrillReport } from "../lib/harness/drills.ts";
import { env, println, runMain } from "../lib/cli/io.ts";
import { userPath } from "../lib/cli/paths.ts";
import { configureLogging } from "../lib/log.ts";

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      stations: { type: "string" },
      limit: { type: "string" },
      hang: { type: "string", default: "30" },
      "keep-dir": { type: "boolean", default: false },
      kills: { type: "string", default: "10" },
      json: { type: "string" },
      input: { type: "string" },
    },
  });
  const name = positionals[0];
  const cluster = CLUSTER_DRILLS.find((d) => d === name);
  if (name !== "consumer-kill" && name !== "broker-restart" && cluster === undefined) {
    throw new Error(
      "usage: deno task drill consumer-kill|broker-restart|leader-kill|rolling-restart|" +
        "hung-broker [--stations N] [--limit N] [--kills N] [--hang S] [--json PATH]",
    );
  }
  await configureLogging({ format: Deno.stderr.isTerminal() ? "text" : "json" });
  const home = env("HOME") ?? "";
  const dataset = await resolveDatasetPath({
    explicitPath: values.input ?? env("AIRQ_DATASET") ?? undefined,
  });
  if (cluster !== undefined) {
    const priv = await startPrivateCluster({
      prefix: "airq-drill-cluster-",
      cacheDir: env("AIRQ_CACHE_DIR") || `${home}/.cache/airq`,
      kafkaHome: env("KAFKA_HOME"),
      size: 3,
      heapMb: 384,
    });
    // Ctrl-C or SIGTERM: the children and the cluster's JVMs go too (after the grace period)
    stopOnSignals().beforeForcedExit(async () => {
      killDrillChildren();
      await priv.cluster.killStarted();
    });
    const childEnv = {
      HOME: home,
      AIRQ_KAFKA_BROKERS: priv.brokers,
      AIRQ_LOG_FORMAT: "json",
      AIRQ_LOG_LEVEL: env("AIRQ_DRILL_LOG_LEVEL") ?? "info",
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
        stations: Number(values.stations ?? "10"),
        limit: values.limit === undefined ? undefined : Number(values.limit),
        hangMs: Number(values.hang) * 1000,
      });
    } finally {
      if (values["keep-dir"]) {
        await priv.cluster.down();
        println(
          `kept ${priv.stateDir} (broker logs in kafka-cluster/node-*/logs, children in drill/)`,
        );
      } else await priv.stop();
    }
    const text = JSON.stringify(result, null, 2);
    if (values.json) await Deno.writeTextFile(userPath(values.json), text + "\n");
    println(text);
    return result.ok ? 0 : 1;
  }
  const priv = await startPrivateBroker({
    prefix: "airq-drill-",
    cacheDir: env("AIRQ_CACHE_DIR") || `${home}/.cache/airq`,
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
      stations: Number(values.stations ?? "20"),
    };
    report = name === "consumer-kill"
      ? await consumerKillDrill({
        ...common,
        kills: Number(values.kills),
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
  const text = JSON.stringify(report, null, 2);
  if (values.json) await Deno.writeTextFile(userPath(values.json), text + "\n");
  println(text);
  return report.ok ? 0 : 1;
}

if (import.meta.main) await runMain(main);
