/**
 * The fault schedule of each cluster drill (lib/harness/cluster_drills.ts,
 * docs/cluster.md), run once the replay is under way: kill -9 of a broker
 * (leader-kill), SIGSTOP then SIGCONT (hung-broker), SIGTERM of the consumer
 * and forecaster and their restart (graceful-stop), or each broker stopped and
 * started in turn (rolling-restart), with the cluster metadata they choose
 * their victims by. Each fault is recorded with its time.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Kafka, withAdmin } from "../kafka/mod.ts";
import type { ChildStop, ClusterDrillResult } from "../records/operations.ts";
import { sleep } from "../timing.ts";
import type { LocalBroker, LocalCluster } from "./broker/mod.ts";
import {
  DRILL_GROUPS,
  type ServiceLaunch,
  type Services,
  startServices,
  stopServices,
} from "./drill_children.ts";
import { groupLags } from "./drill_recovery.ts";

const log = getLogger(["airq", "drill"]);

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

/** What a fault schedule works on, and where it records what it did. */
export interface FaultRun {
  kafka: Kafka;
  cluster: LocalCluster;
  /** Every airq topic (their leaders choose the victim). */
  topics: string[];
  /** The raw topic (the groups' lag at a SIGTERM). */
  raw: string;
  /** Seconds since the drill's start. */
  at: () => number;
  /** leader-kill's victim (see ClusterDrillOptions). */
  victim?: "most-leaders" | "consumer-coordinator" | undefined;
  /** hung-broker: how long the broker stays stopped, ms. */
  hangMs: number;
  /** graceful-stop: how the services are started again. */
  launch: ServiceLaunch;
  faults: ClusterDrillResult["faults"];
  /** performance.now() of each fault that stops a broker (kill, SIGSTOP, SIGTERM). */
  faultTimes: number[];
  stops: ChildStop[];
}

/** The node leading most partitions of the run's topics. */
async function leaderMost(r: FaultRun): Promise<LocalBroker> {
  const leaders = await leadersByNode(r.kafka, r.topics);
  const [id] = [...leaders.entries()].sort((a, b) => b[1] - a[1])[0]!;
  return r.cluster.node(id);
}

/** How many partitions `node` leads now. */
async function leadersOf(r: FaultRun, node: LocalBroker): Promise<number> {
  return (await leadersByNode(r.kafka, r.topics)).get(node.nodeId) ?? 0;
}

/** leader-kill: kill -9 of the node leading most partitions, or of the consumer's coordinator. */
async function leaderKill(r: FaultRun): Promise<void> {
  const coordinator = await groupCoordinator(r.kafka, DRILL_GROUPS.consumer);
  const node = r.victim === "consumer-coordinator" && coordinator !== null
    ? r.cluster.node(coordinator)
    : await leaderMost(r);
  const leaders = await leadersOf(r, node);
  r.faultTimes.push(performance.now());
  await node.sendSignal("KILL");
  const role = node.nodeId === coordinator ? " (the consumer group's coordinator)" : "";
  r.faults.push({ node_id: node.nodeId, action: `kill -9${role}`, at_s: r.at(), leaders });
  log.info("kill -9 node {id} ({leaders} leaders) at {s} s", {
    id: node.nodeId,
    leaders,
    s: r.at(),
  });
}

/** hung-broker: the node leading most partitions stopped (SIGSTOP) for `hangMs`, then resumed. */
async function hungBroker(r: FaultRun): Promise<void> {
  const node = await leaderMost(r);
  const leaders = await leadersOf(r, node);
  r.faultTimes.push(performance.now());
  await node.sendSignal("STOP");
  r.faults.push({ node_id: node.nodeId, action: "SIGSTOP", at_s: r.at(), leaders });
  await sleep(r.hangMs);
  await node.sendSignal("CONT");
  r.faults.push({ node_id: node.nodeId, action: "SIGCONT", at_s: r.at(), leaders: 0 });
}

/**
 * graceful-stop: SIGTERM to both services mid-batch (the replay runs at full
 * speed: both are behind and busy), wait for each to exit, then start them
 * again on the same stores and groups. Returns the new services.
 */
async function gracefulStop(r: FaultRun, services: Services): Promise<Services> {
  const lag = await groupLags(r.kafka, r.raw);
  r.faultTimes.push(performance.now());
  const atS = r.at();
  const [c, f] = await stopServices(services, "fault", atS, lag, r.stops);
  r.faults.push({ node_id: -1, action: "SIGTERM consumer and forecaster", at_s: atS, leaders: 0 });
  log.info("SIGTERM at {s} s: consumer exited after {c} s, forecaster after {f} s", {
    s: atS,
    c: c.exit_s,
    f: f.exit_s,
  });
  const restarted = await startServices(r.launch, "-2");
  r.faults.push({
    node_id: -1,
    action: "restart consumer and forecaster",
    at_s: r.at(),
    leaders: 0,
  });
  return restarted;
}

/** rolling-restart: each node stopped (SIGTERM) and started in turn, the next once all is in sync. */
async function rollingRestart(r: FaultRun): Promise<void> {
  for (const node of r.cluster.nodes) {
    const leaders = await leadersOf(r, node);
    r.faultTimes.push(performance.now());
    await node.down();
    r.faults.push({ node_id: node.nodeId, action: "SIGTERM", at_s: r.at(), leaders });
    await node.up();
    r.faults.push({ node_id: node.nodeId, action: "start", at_s: r.at(), leaders: 0 });
    // the next node only once every replica is back in sync (as an operator would)
    const deadline = performance.now() + 120_000;
    while (!(await fullyInSync(r.kafka, r.topics).catch(() => false))) {
      if (performance.now() > deadline) break;
      await sleep(250);
    }
  }
}

/** Runs `drill`'s fault schedule; returns the services running afterwards. */
export async function runFaults(
  drill: ClusterDrillResult["drill"],
  r: FaultRun,
  services: Services,
): Promise<Services> {
  if (drill === "leader-kill") await leaderKill(r);
  else if (drill === "hung-broker") await hungBroker(r);
  else if (drill === "graceful-stop") return await gracefulStop(r, services);
  else await rollingRestart(r);
  return services;
}
