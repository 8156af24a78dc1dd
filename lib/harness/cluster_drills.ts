/**
 * Fault drills on a local multi-node cluster (docs/cluster.md): the producer,
 * the consumer and the forecaster run as their own processes (task
 * permissions) during a replay while a broker is killed, restarted or hung.
 * Afterwards the store, the raw topic and the forecasts topic (read_committed)
 * are counted: every acknowledged reading stored once, none written twice,
 * exactly one forecast set per reading. Shared by `deno task drill` (long) and
 * the test suite (short).
 *
 * @module
 */
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import type { KafkaConfig, TopicConfig } from "../config/mod.ts";
import { createKafka, ensureTopics, type Kafka, readAll, withAdmin } from "../kafka/mod.ts";
import {
  type ChildStop,
  type CLUSTER_DRILLS,
  type ClusterDrillResult,
  ClusterDrillResultSchema,
} from "../records/operations.ts";
import type { LocalBroker, LocalCluster } from "./broker/mod.ts";
import { sleep } from "../timing.ts";
import { storedCount } from "./drills.ts";
import { spawnTask } from "./tasks.ts";

const log = getLogger(["airq", "drill"]);

/** A cluster drill's name. */
export type ClusterDrillName = typeof CLUSTER_DRILLS[number];

/** Options of a cluster drill. */
export interface ClusterDrillOptions {
  drill: ClusterDrillName;
  cluster: LocalCluster;
  /** The cluster's client config (brokers = every node). */
  kafka: KafkaConfig;
  /** airq's topics as the children see them (same prefix as `env`). */
  topics: TopicConfig[];
  /** Environment of the children: AIRQ_KAFKA_BROKERS (every node), topic prefix, HOME, ... */
  env: Record<string, string>;
  /** A folder for the stores and the (empty) model folder. */
  dir: string;
  input: string;
  stations: number;
  /** Readings in all (the producer's --limit), default every row of every station. */
  limit?: number | undefined;
  /** The producer's --speed (default max). */
  speed?: string;
  /** The fault comes once this share of the readings is in the raw topic (default 0.3). */
  faultAt?: number;
  /**
   * leader-kill's victim: the node leading most partitions (default), or the
   * coordinator of the consumer's group (the node whose death once stalled the
   * consumer for minutes: lib/kafka/commit.ts).
   */
  victim?: "most-leaders" | "consumer-coordinator";
  /** hung-broker: how long the broker stays stopped, ms (default 30 000). */
  hangMs?: number;
  /** How long the consumer and forecaster may take to catch up after the replay, ms. */
  catchUpMs?: number;
  /** Recovery goal, seconds (default 30). */
  recoveryGoalS?: number;
}

/** Both groups' committed offsets (summed over the raw topic's partitions) at one moment. */
export interface Sample {
  t: number;
  consumer: number;
  forecaster: number;
  /** The raw topic's end offsets, summed. */
  end: number;
}

/** A group counts as flowing again once it commits twice within this long. */
const STEADY_MS = 5000;

/**
 * Seconds from a fault at `tf` until `group` made progress again and kept
 * making it: the first commit after the fault that is followed by another
 * within STEADY_MS, or that caught up with the topic's end. (A commit in
 * flight at the moment of the fault, followed by a long stall, does not count.)
 * Infinity when the group never recovered in the samples.
 */
export function recoveryAfter(
  samples: readonly Sample[],
  tf: number,
  group: "consumer" | "forecaster",
): number {
  const after = samples.filter((s) => s.t >= tf);
  const before = samples.filter((s) => s.t < tf).at(-1);
  let last = before?.[group] ?? after[0]?.[group] ?? 0;
  const advances: Sample[] = [];
  for (const s of after) {
    if (s[group] > last) advances.push(s);
    last = Math.max(last, s[group]);
  }
  for (let i = 0; i < advances.length; i++) {
    const a = advances[i]!;
    const next = advances[i + 1];
    if (a[group] >= a.end || (next !== undefined && next.t - a.t <= STEADY_MS)) {
      return Math.round((a.t - tf) / 100) / 10;
    }
  }
  // nothing left to do at the fault and nothing came after: no interruption to recover from
  if (advances.length === 0 && before !== undefined && before[group] >= before.end) return 0;
  return Infinity;
}

/** The children of running drills, for a forced exit (`killDrillChildren`). */
const live = new Set<Deno.ChildProcess>();

/** SIGKILL for every child a running drill started (the drill's own forced exit). */
export function killDrillChildren(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** The children a drill stops with SIGTERM. */
type StoppedProcess = ChildStop["process"];

/** graceful-stop's goal: each stopped process gone within this long after SIGTERM (issue 14). */
const STOP_GOAL_S = 5;

/** The text lib/stop.ts prints when its grace ran out and it exits by force. */
const FORCED_EXIT_TEXT = "after the signal; exiting now";

/** A running child; its stderr goes to `log` as it comes (kept with --keep-dir). */
interface Running {
  child: Deno.ChildProcess;
  log: string;
  done: Promise<Deno.CommandStatus>;
}

async function startChild(
  name: string,
  args: string[],
  env: Record<string, string>,
  log: string,
): Promise<Running> {
  const child = await spawnChild(name, args, env);
  const file = await Deno.open(log, { write: true, create: true, append: true });
  const copied = child.stderr.pipeTo(file.writable).catch(() => {});
  const drained = child.stdout.pipeTo(new WritableStream()).catch(() => {});
  const done = Promise.all([child.status, copied, drained]).then(([status]) => status);
  return { child, log, done };
}

/**
 * SIGTERM to a running child; resolves with how it ended once it has exited
 * (also pushed to `stops`). A child that had already exited is recorded with
 * the time it took to notice.
 */
async function stopChild(
  what: StoppedProcess,
  running: Running,
  when: ChildStop["when"],
  atS: number,
  lag: number | null,
  stops: ChildStop[],
): Promise<ChildStop> {
  const t = performance.now();
  try {
    running.child.kill("SIGTERM");
  } catch {
    // already exited
  }
  const status = await running.done;
  const exitS = Math.round((performance.now() - t) / 100) / 10;
  const stderr = await Deno.readTextFile(running.log);
  const stop: ChildStop = {
    process: what,
    when,
    at_s: atS,
    lag_at_signal: lag,
    exit_s: exitS,
    code: status.code,
    forced: stderr.includes(FORCED_EXIT_TEXT),
  };
  stops.push(stop);
  return stop;
}

async function spawnChild(
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<Deno.ChildProcess> {
  const child = await spawnTask(name, args, env);
  live.add(child);
  child.status.finally(() => live.delete(child));
  return child;
}

const CONSUMER_GROUP = "drill-consumer";
const FORECASTER_GROUP = "drill-forecaster";

/** Partition leaders per node over `topics`. */
async function leadersByNode(kafka: Kafka, topics: string[]): Promise<Map<number, number>> {
  return await withAdmin(kafka, async (admin) => {
    const meta = await admin.fetchTopicMetadata({ topics });
    const count = new Map<number, number>();
    for (const t of meta.topics) {
      for (const p of t.partitions) count.set(p.leader, (count.get(p.leader) ?? 0) + 1);
    }
    return count;
  });
}

/** Java's String.hashCode, as Kafka computes it for a group id. */
function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The node coordinating `groupId`: the leader of its __consumer_offsets
 * partition, abs(hashCode(groupId)) % partitions as Kafka's group coordinator
 * maps it. Null when the topic does not exist yet.
 */
export async function groupCoordinator(kafka: Kafka, groupId: string): Promise<number | null> {
  return await withAdmin(kafka, async (admin) => {
    const meta = await admin.fetchTopicMetadata({ topics: ["__consumer_offsets"] });
    const partitions = meta.topics[0]?.partitions ?? [];
    if (partitions.length === 0) return null;
    const h = javaHashCode(groupId);
    const index = (h === -2147483648 ? 0 : Math.abs(h)) % partitions.length;
    return partitions.find((p) => p.partitionId === index)?.leader ?? null;
  });
}

/** True when every partition of `topics` has a leader and its full replica set in sync. */
async function fullyInSync(kafka: Kafka, topics: string[]): Promise<boolean> {
  return await withAdmin(kafka, async (admin) => {
    const meta = await admin.fetchTopicMetadata({ topics });
    return meta.topics.every((t) =>
      t.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length)
    );
  });
}

/** Sum of the committed offsets of `groupId` on `topic`, and of the topic's end offsets. */
async function offsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<{ committed: number; end: number }> {
  return await withAdmin(kafka, async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ??
      [];
    return {
      committed: committed.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0),
      end: ends.reduce((s, e) => s + Number(e.high), 0),
    };
  });
}

/** Both groups' uncommitted raw-topic records (null when the cluster did not answer). */
async function groupLags(
  kafka: Kafka,
  raw: string,
): Promise<Record<StoppedProcess, number | null>> {
  const lag = async (group: string) => {
    const x = await offsets(kafka, group, raw).catch(() => null);
    return x === null ? null : Math.max(0, x.end - x.committed);
  };
  return { consumer: await lag(CONSUMER_GROUP), forecaster: await lag(FORECASTER_GROUP) };
}

/**
 * Runs one drill and returns its counts (checked against
 * ClusterDrillResultSchema). Never throws for a failed goal: `ok` is false and
 * `problems` says what did not hold.
 */
export async function clusterDrill(o: ClusterDrillOptions): Promise<ClusterDrillResult> {
  const t0 = performance.now();
  const at = () => Math.round((performance.now() - t0) / 100) / 10;
  const name = (role: string) => o.topics.find((t) => t.role === role)!.name;
  const raw = name("raw");
  const forecastsTopic = name("forecasts");
  const kafka = createKafka(o.kafka, { clientId: "airq-drill", quiet: true });
  await withAdmin(kafka, (admin) => ensureTopics(admin, o.topics));
  const readingsDb = join(o.dir, "readings.db");
  const modelDir = join(o.dir, "no-models");
  await Deno.mkdir(modelDir, { recursive: true });

  const consumerArgs = ["--db", readingsDb, "--group", CONSUMER_GROUP];
  const forecasterArgs = [
    "--db",
    join(o.dir, "forecasts.db"),
    "--group",
    FORECASTER_GROUP,
    "--models",
    modelDir,
  ];
  // stderr of each run of a child in its own file (a graceful-stop starts them twice)
  let consumer = await startChild("consume", consumerArgs, o.env, join(o.dir, "consumer.log"));
  let forecaster = await startChild(
    "forecast",
    forecasterArgs,
    o.env,
    join(o.dir, "forecaster.log"),
  );
  const producer = await spawnChild("produce", [
    "--input",
    o.input,
    "--speed",
    o.speed ?? "max",
    "--stations",
    String(o.stations),
    ...(o.limit === undefined ? [] : ["--limit", String(o.limit)]),
    "--json",
  ], o.env);
  const producerDone = producer.output();
  const expected = o.limit ?? o.stations * 9357;

  // every 250 ms: both groups' committed offsets on the raw topic, for the recovery times
  const samples: Sample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const t = performance.now();
      const c = await offsets(kafka, CONSUMER_GROUP, raw).catch(() => null);
      const f = await offsets(kafka, FORECASTER_GROUP, raw).catch(() => null);
      if (c && f) samples.push({ t, consumer: c.committed, forecaster: f.committed, end: c.end });
      await sleep(250);
    }
  })();

  // the fault comes mid-replay: once faultAt of the readings are in the raw topic
  const faultAt = Math.max(1, Math.floor(expected * (o.faultAt ?? 0.3)));
  for (;;) {
    const end = await offsets(kafka, CONSUMER_GROUP, raw).then((x) => x.end).catch(() => 0);
    if (end >= faultAt) break;
    if (performance.now() - t0 > 300_000) throw new Error("the replay never reached the fault");
    await sleep(100);
  }
  const allTopics = o.topics.map((t) => t.name);
  const faults: ClusterDrillResult["faults"] = [];
  const stops: ChildStop[] = [];
  /** performance.now() of each fault that stops a broker (kill, SIGSTOP, SIGTERM). */
  const faultTimes: number[] = [];
  const leaderMost = async (): Promise<LocalBroker> => {
    const leaders = await leadersByNode(kafka, allTopics);
    const [id] = [...leaders.entries()].sort((a, b) => b[1] - a[1])[0]!;
    return o.cluster.node(id);
  };
  if (o.drill === "leader-kill") {
    const coordinator = await groupCoordinator(kafka, CONSUMER_GROUP);
    const node = o.victim === "consumer-coordinator" && coordinator !== null
      ? o.cluster.node(coordinator)
      : await leaderMost();
    const leaders = (await leadersByNode(kafka, allTopics)).get(node.nodeId) ?? 0;
    faultTimes.push(performance.now());
    await node.sendSignal("KILL");
    const role = node.nodeId === coordinator ? " (the consumer group's coordinator)" : "";
    faults.push({ node_id: node.nodeId, action: `kill -9${role}`, at_s: at(), leaders });
    log.info("kill -9 node {id} ({leaders} leaders) at {s} s", {
      id: node.nodeId,
      leaders,
      s: at(),
    });
  } else if (o.drill === "hung-broker") {
    const node = await leaderMost();
    const leaders = (await leadersByNode(kafka, allTopics)).get(node.nodeId) ?? 0;
    faultTimes.push(performance.now());
    await node.sendSignal("STOP");
    faults.push({ node_id: node.nodeId, action: "SIGSTOP", at_s: at(), leaders });
    await sleep(o.hangMs ?? 30_000);
    await node.sendSignal("CONT");
    faults.push({ node_id: node.nodeId, action: "SIGCONT", at_s: at(), leaders: 0 });
  } else if (o.drill === "graceful-stop") {
    // SIGTERM both mid-batch (the replay runs at full speed: both are behind and busy), wait for
    // each to exit, then start them again on the same stores and groups
    const lag = await groupLags(kafka, raw);
    faultTimes.push(performance.now());
    const atS = at();
    const [c, f] = await Promise.all([
      stopChild("consumer", consumer, "fault", atS, lag.consumer, stops),
      stopChild("forecaster", forecaster, "fault", atS, lag.forecaster, stops),
    ]);
    faults.push({ node_id: -1, action: "SIGTERM consumer and forecaster", at_s: atS, leaders: 0 });
    log.info("SIGTERM at {s} s: consumer exited after {c} s, forecaster after {f} s", {
      s: atS,
      c: c.exit_s,
      f: f.exit_s,
    });
    consumer = await startChild("consume", consumerArgs, o.env, join(o.dir, "consumer-2.log"));
    forecaster = await startChild(
      "forecast",
      forecasterArgs,
      o.env,
      join(o.dir, "forecaster-2.log"),
    );
    faults.push({ node_id: -1, action: "restart consumer and forecaster", at_s: at(), leaders: 0 });
  } else {
    for (const node of o.cluster.nodes) {
      const leaders = (await leadersByNode(kafka, allTopics)).get(node.nodeId) ?? 0;
      faultTimes.push(performance.now());
      await node.down();
      faults.push({ node_id: node.nodeId, action: "SIGTERM", at_s: at(), leaders });
      await node.up();
      faults.push({ node_id: node.nodeId, action: "start", at_s: at(), leaders: 0 });
      // the next node only once every replica is back in sync (as an operator would)
      const deadline = performance.now() + 120_000;
      while (!(await fullyInSync(kafka, allTopics).catch(() => false))) {
        if (performance.now() > deadline) break;
        await sleep(250);
      }
    }
  }

  const produced = await producerDone;
  const p = JSON.parse(new TextDecoder().decode(produced.stdout).trim().split("\n").at(-1) ?? "{}");
  const sent = Number(p["sent"] ?? 0);
  const problems: string[] = [];
  if (!produced.success) {
    problems.push(
      `the producer exited with ${produced.code}: ${
        new TextDecoder().decode(produced.stderr).slice(-600)
      }`,
    );
  }
  // both groups caught up with everything in the raw topic, then stopped
  const deadline = performance.now() + (o.catchUpMs ?? 600_000);
  for (;;) {
    const t = performance.now();
    const c = await offsets(kafka, CONSUMER_GROUP, raw).catch(() => null);
    const f = await offsets(kafka, FORECASTER_GROUP, raw).catch(() => null);
    // an observation like the sampler's: the sampler may have had none since the groups caught
    // up (its admin calls fail while a dead node is still in the metadata), and without it a
    // drill that recovered in 15 s read as never recovered
    if (c && f) samples.push({ t, consumer: c.committed, forecaster: f.committed, end: c.end });
    if (c && f && c.committed >= c.end && f.committed >= f.end) break;
    if (performance.now() > deadline) {
      problems.push(
        `not caught up after the replay: consumer ${c?.committed}/${c?.end}, ` +
          `forecaster ${f?.committed}/${f?.end}`,
      );
      break;
    }
    await sleep(500);
  }
  sampling = false;
  await sampler;
  const lagEnd = await groupLags(kafka, raw);
  const endAt = at();
  await Promise.all([
    stopChild("consumer", consumer, "end", endAt, lagEnd.consumer, stops),
    stopChild("forecaster", forecaster, "end", endAt, lagEnd.forecaster, stops),
  ]);
  const forcedStops: string[] = [];
  for (const s of stops) {
    // lib/stop.ts's bounded stop: the grace ran out (kafkajs still retrying a connection to the
    // dead broker) and the process exited with the signal's code; its work was committed or is
    // redelivered, which the counts below check
    if (s.forced) {
      if (!forcedStops.includes(s.process)) forcedStops.push(s.process);
    } else if (s.code !== 0 && s.code !== 143) {
      problems.push(`the ${s.process} exited with ${s.code} after SIGTERM at ${s.at_s} s`);
    }
  }
  await Deno.writeTextFile(join(o.dir, "producer.log"), new TextDecoder().decode(produced.stderr));

  const stored = await storedCount(readingsDb);
  const decoder = new TextDecoder();
  const rawValues = await readAll(kafka, raw, sent, { timeoutMs: 120_000 });
  const rawIds = new Set(rawValues.map((v) => {
    const r = JSON.parse(decoder.decode(v));
    return `${r.station_id}|${r.ts}`;
  }));
  const rawRecords = rawValues.length;
  rawValues.length = 0;
  const setValues = await readAll(kafka, forecastsTopic, sent, { timeoutMs: 120_000 });
  const setIds = new Set(setValues.map((v) => JSON.parse(decoder.decode(v)).set_id as string));
  const forecasts = setValues.length;
  setValues.length = 0;
  const duplicates = (rawRecords - rawIds.size) + (forecasts - setIds.size);
  samples.sort((a, b) => a.t - b.t);
  const recoveries = faultTimes.map((tf) =>
    Math.max(recoveryAfter(samples, tf, "consumer"), recoveryAfter(samples, tf, "forecaster"))
  );
  const recovery = recoveries.length === 0 ? 0 : Math.max(...recoveries);
  const goal = o.recoveryGoalS ?? 30;
  if (sent !== expected) problems.push(`produced ${sent} of ${expected} readings`);
  if (Number(p["failed"] ?? 0) > 0) problems.push(`the producer failed ${p["failed"]} sends`);
  if (rawIds.size !== sent) {
    problems.push(
      `the raw topic holds ${rawIds.size} distinct readings, ${sent} were acknowledged`,
    );
  }
  if (stored !== sent) problems.push(`stored ${stored} readings, produced ${sent}`);
  if (duplicates > 0) problems.push(`${duplicates} duplicates`);
  if (forecasts !== sent) problems.push(`${forecasts} forecast sets for ${sent} readings`);
  if (!(recovery < goal)) problems.push(`recovery took ${recovery} s (goal < ${goal} s)`);
  if (o.drill === "graceful-stop") {
    for (const s of stops.filter((x) => x.when === "fault")) {
      if (!(s.exit_s <= STOP_GOAL_S)) {
        problems.push(`the ${s.process} took ${s.exit_s} s to exit after SIGTERM`);
      }
    }
  }
  return ClusterDrillResultSchema.parse({
    drill: o.drill,
    produced: sent,
    stored,
    duplicates,
    forecasts,
    expected_forecasts: sent,
    recovery_s: Number.isFinite(recovery) ? recovery : -1,
    faults,
    stations: o.stations,
    brokers: o.cluster.nodes.length,
    raw_records: rawRecords,
    forecast_records_distinct: setIds.size,
    producer_failed: Number(p["failed"] ?? 0),
    forced_stops: forcedStops,
    stops,
    ...(o.drill === "graceful-stop" ? { stop_goal_s: STOP_GOAL_S } : {}),
    seconds: at(),
    ok: problems.length === 0,
    problems,
  });
}
