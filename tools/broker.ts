/**
 * `deno task broker up [--brokers N]|down|status [--json [PATH]]`: the local Apache Kafka broker.
 *
 * - `up` starts a single-node KRaft broker on loopback (or reuses the running
 *   one), creates airq's topics from `config/topics.json`, and returns once an
 *   admin client can connect. The JVM keeps running after this script exits.
 *   `--brokers N` (N >= 2) starts a cluster of N combined broker+controller
 *   nodes instead (docs/cluster.md); its topics get replication factor 3 and
 *   min.insync.replicas 2.
 * - `down` sends SIGTERM to the broker (or every node of the cluster) `up`
 *   started and waits for it to exit.
 * - `status` prints the brokers, the topics with their roles, each partition's
 *   leader and in-sync replicas, and every consumer group's lag; `--json`
 *   prints it as JSON (BrokerStatusSchema). Exits 1 when no broker answers.
 *
 * With an external cluster configured (any non-loopback broker), `up` and
 * `down` start and stop nothing; `status` still works.
 *
 * Permissions (see docs/setup.md): read anywhere (config, KAFKA_HOME, /proc);
 * write the state and cache folders; env AIRQ_*, KAFKA_HOME, HOME and what
 * kafkajs reads; run java, mvn, setsid and kill; net to 127.0.0.1.
 *
 * ```
 * deno run --no-prompt --allow-read --allow-write=$HOME/.local/state/airq,$HOME/.cache/airq,/tmp \
 *   --allow-env=AIRQ_*,KAFKA_HOME,HOME,INIT_CWD,NODE_ENV,KAFKAJS_* --allow-run=java,mvn,setsid,kill,ps,ss \
 *   --allow-net=127.0.0.1,localhost broker.ts up
 * ```
 *
 * @module
 */
import {
  type ClusterRecord,
  isLocalCluster,
  LocalBroker,
  LocalCluster,
  resolveDirs,
} from "../lib/harness/broker/mod.ts";
import { type BrokerStatus, BrokerStatusSchema } from "../lib/records/operations.ts";
import {
  CONFIG_DIR,
  type KafkaConfig,
  loadKafkaConfig,
  loadTopicsConfig,
} from "../lib/config/mod.ts";
import {
  awaitCluster,
  clusterStatus,
  createKafka,
  ensureTopics,
  withAdmin,
} from "../lib/kafka/mod.ts";
import { stopOnSignals } from "../lib/stop.ts";
import { configureLogging } from "../lib/log.ts";
import { env, println } from "../lib/cli/io.ts";
import {
  type ArgsOf,
  defineCommand,
  type JsonTarget,
  opt,
  runCommand,
  writeJson,
} from "../lib/cli/command.ts";

const CLI = defineCommand({
  task: "broker",
  description: "The local Apache Kafka broker (single-node KRaft on loopback); with an external " +
    "cluster configured, up and down start and stop nothing.",
  commands: {
    up: "start the broker (or reuse the running one) and create airq's topics",
    down: "stop the broker `up` started",
    status: "the broker, its topics and every consumer group's lag (exit 1 when none answers)",
  },
  options: {
    brokers: opt.int(
      "up: N >= 2 starts a local cluster of N broker+controller nodes (docs/cluster.md)",
      { min: 1, max: 9, default: 1 },
    ),
    json: opt.json("print the result as JSON; with PATH, write it to that file"),
  },
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  const json = values.json;
  await configureLogging();
  const config = await loadKafkaConfig(env);
  switch (values.command) {
    case "up":
      return values.brokers === 1
        ? await up(config, json)
        : await upCluster(config, values.brokers, json);
    case "down":
      return await down(config, json);
    case "status":
      return await status(config, json);
  }
}

function localBroker(config: KafkaConfig): LocalBroker {
  return new LocalBroker({
    config,
    ...resolveDirs(env),
    kafkaHome: env("KAFKA_HOME"),
    configDir: CONFIG_DIR,
  });
}

async function up(config: KafkaConfig, json: JsonTarget | undefined): Promise<number> {
  const brokers = config.brokers.join(",");
  let result: Record<string, unknown> = { brokers, mode: "external", outcome: "external" };
  // Ctrl-C or SIGTERM during start-up stops the JVM being started (lib/stop.ts)
  const stops = stopOnSignals();
  if (isLocalCluster(config)) {
    const broker = localBroker(config);
    stops.beforeForcedExit(async () => void await broker.killStarted());
    const started = await broker.up({ signal: stops.signal });
    result = { brokers, mode: "local", state_dir: broker.files.root, ...started };
  } else await awaitCluster(config, { signal: stops.signal });
  const topics = (await loadTopicsConfig(env)).topics;
  const created = await withAdmin(createKafka(config), (admin) => ensureTopics(admin, topics));
  result["topics_created"] = created;
  if (json) await writeJson(json, result);
  else {
    const how = result["outcome"] === "started"
      ? `started (pid ${result["pid"]}, ready in ${result["readyMs"]} ms)`
      : result["outcome"] === "reused"
      ? `already running (pid ${result["pid"]})`
      : result["outcome"] === "foreign"
      ? "already answering (not started by airq; `down` will not stop it)"
      : "external cluster (nothing started)";
    println(`Kafka on ${brokers}: ${how}`);
    if (created.length > 0) println(`created topics: ${created.join(", ")}`);
  }
  return 0;
}

async function openCluster(config: KafkaConfig, size: number): Promise<LocalCluster> {
  return await LocalCluster.open({
    config,
    ...resolveDirs(env),
    kafkaHome: env("KAFKA_HOME"),
    configDir: CONFIG_DIR,
    size,
  });
}

/** The record of the local cluster in the state folder, when one was made there. */
async function clusterRecord(): Promise<ClusterRecord | null> {
  return await LocalCluster.readRecord(resolveDirs(env).stateDir);
}

async function upCluster(
  config: KafkaConfig,
  size: number,
  json: JsonTarget | undefined,
): Promise<number> {
  if (!isLocalCluster(config)) {
    throw new Error(
      `--brokers starts a local cluster; the brokers (${config.brokers.join(",")}) are external`,
    );
  }
  const single = await localBroker(config).running();
  if (single) {
    throw new Error(
      `the single local broker runs (pid ${single.pid}) on the ports a cluster would use: ` +
        "stop it with `deno task broker down` first",
    );
  }
  const stops = stopOnSignals();
  const cluster = await openCluster(config, size);
  stops.beforeForcedExit(async () => void await cluster.killStarted());
  const started = await cluster.up({ signal: stops.signal });
  const clusterConfig = { ...config, brokers: cluster.bootstrap.split(",") };
  const topics = (await loadTopicsConfig(env)).topics;
  const created = await withAdmin(
    createKafka(clusterConfig),
    (admin) => ensureTopics(admin, topics),
  );
  const result = {
    brokers: cluster.bootstrap,
    mode: "local",
    outcome: started.started.length > 0 ? "started" : "reused",
    state_dir: cluster.root,
    nodes: await cluster.running(),
    ...started,
    topics_created: created,
  };
  if (json) await writeJson(json, result);
  else {
    println(
      `Kafka cluster of ${size} nodes on ${cluster.bootstrap}: ` +
        (started.started.length > 0
          ? `started nodes ${started.started.join(",")}, ready in ${started.readyMs} ms`
          : "already running"),
    );
    println(`use it with AIRQ_KAFKA_BROKERS=${cluster.bootstrap}`);
    if (created.length > 0) println(`created topics: ${created.join(", ")}`);
  }
  return 0;
}

async function down(config: KafkaConfig, json: JsonTarget | undefined): Promise<number> {
  if (!isLocalCluster(config)) {
    const text = `The brokers (${
      config.brokers.join(",")
    }) are an external cluster: nothing to stop.`;
    if (json) await writeJson(json, { outcome: "external" });
    else println(text);
    return 0;
  }
  const record = await clusterRecord();
  if (record) {
    const cluster = await openCluster(config, record.nodes.length);
    const { stopped } = await cluster.down();
    if (json) {
      await writeJson(json, {
        outcome: stopped.length > 0 ? "stopped" : "not-running",
        nodes: stopped,
      });
    } else {
      println(
        stopped.length > 0
          ? `Kafka cluster: stopped nodes ${stopped.join(",")}.`
          : "No node of the local cluster is running.",
      );
    }
    if (!(await localBroker(config).running())) return 0;
  }
  const result = await localBroker(config).down();
  if (json) await writeJson(json, result);
  else {
    println(
      result.outcome === "not-running"
        ? "No broker started by airq is running here."
        : `Kafka (pid ${result.pid}) ${
          result.outcome === "killed" ? "killed after the stop timeout" : "stopped"
        }.`,
    );
  }
  return 0;
}

async function status(configured: KafkaConfig, json: JsonTarget | undefined): Promise<number> {
  const local = isLocalCluster(configured);
  // a local cluster made by `up --brokers N` in this state folder: ask all its nodes
  const made = local ? await clusterRecord() : null;
  const cluster = made ? await openCluster(configured, made.nodes.length) : null;
  const nodes = cluster
    ? (await cluster.running()).map((n) => ({ node_id: n.id, address: n.address, pid: n.pid }))
    : [];
  const clusterRuns = nodes.some((n) => n.pid !== null);
  const config = cluster && clusterRuns
    ? { ...configured, brokers: cluster.bootstrap.split(",") }
    : configured;
  const brokers = config.brokers.join(",");
  const record = local && !clusterRuns ? await localBroker(config).running() : null;
  const known = (await loadTopicsConfig(env)).topics;
  let overview;
  try {
    overview = await withAdmin(
      createKafka(config, { retry: { retries: 1 }, quiet: true }),
      (admin) => clusterStatus(admin, known),
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (json) {
      await writeJson(json, {
        brokers,
        mode: local ? "local" : "external",
        running: false,
        reason,
        topics: [],
        groups: [],
      });
    } else println(`Kafka on ${brokers}: not reachable (${reason})`);
    return 1;
  }
  const live = overview.broker_nodes.map((b) => `${b.host}:${b.port}`);
  const report: BrokerStatus = BrokerStatusSchema.parse({
    // every broker of the cluster, the way a client bootstraps from it
    brokers: clusterRuns ? brokers : [...new Set([...config.brokers, ...live])].join(","),
    mode: local ? "local" : "external",
    running: true,
    managed: record !== null || clusterRuns,
    pid: record?.pid ?? null,
    version: record?.version ?? null,
    cluster_nodes: clusterRuns ? nodes : [],
    ...overview,
  });
  if (json) {
    await writeJson(json, report);
    return 0;
  }
  println(
    `Kafka on ${report.brokers}: running (${
      local
        ? (record
          ? `local, pid ${record.pid}, Kafka ${record.version}`
          : clusterRuns
          ? `local cluster of ${nodes.length} nodes`
          : "local, not started by airq")
        : "external"
    }), cluster ${overview.cluster_id}, controller ${overview.controller ?? "-"}`,
  );
  println(`brokers (${overview.broker_nodes.length} answering):`);
  for (const b of overview.broker_nodes) println(`  node ${b.node_id}  ${b.host}:${b.port}`);
  for (const n of nodes.filter((n) => n.pid === null)) {
    println(`  node ${n.node_id}  ${n.address}  NOT RUNNING`);
  }
  println(`topics (${overview.topics.length}):`);
  for (const t of overview.topics) {
    println(
      `  ${t.name.padEnd(32)} ${String(t.partitions).padStart(3)} partitions  role=${
        t.role ?? "-"
      }  replication=${t.replication_factor} min.insync=${
        t.min_insync_replicas ?? "-"
      }  messages=${t.end_offset_total}`,
    );
    for (const p of t.partition_states) {
      println(
        `      partition ${p.partition}: leader ${p.leader}  replicas ${
          p.replicas.join(",")
        }  isr ${p.isr.join(",")}`,
      );
    }
  }
  println(`consumer groups (${overview.groups.length}):`);
  for (const g of overview.groups) {
    const lag = Object.entries(g.lag).map(([t, n]) => `${t}=${n}`).join(" ") || "-";
    println(`  ${g.group_id.padEnd(32)} ${g.state.padEnd(12)} members=${g.members}  lag: ${lag}`);
  }
  return 0;
}

if (import.meta.main) await runCommand(CLI, main);
