/**
 * Fault drills on a local multi-node cluster (docs/cluster.md): the producer,
 * the consumer and the forecaster run as their own processes (task
 * permissions) during a replay while a broker is killed, restarted or hung.
 * Afterwards the store, the raw topic and the forecasts topic (read_committed)
 * are counted: every acknowledged reading stored once, none written twice,
 * exactly one forecast set per reading. Shared by `deno task drill` (long) and
 * the test suite (short).
 *
 * The parts, each its own module: the children (drill_children.ts), the
 * fault schedules (cluster_faults.ts), the offsets sampled for the recovery
 * times (drill_recovery.ts) and the counts and goals of the result
 * (cluster_results.ts).
 *
 * @module
 */
import { join } from "node:path";
import type { KafkaConfig, TopicConfig } from "../config/mod.ts";
import { createKafka, ensureTopics, withAdmin } from "../kafka/mod.ts";
import type { ChildStop, CLUSTER_DRILLS, ClusterDrillResult } from "../records/operations.ts";
import type { LocalCluster } from "./broker/mod.ts";
import { type FaultRun, runFaults } from "./cluster_faults.ts";
import { spawnTask } from "./tasks.ts";
import {
  countRecords,
  drillResult,
  producerProblems,
  producerSummary,
  stopOutcomes,
} from "./cluster_results.ts";
import { readingsDbOf, serviceLaunch, startServices, stopServices } from "./drill_children.ts";
import {
  drillRecovery,
  groupLags,
  longestBlindStretch,
  startSampler,
  waitForCatchUp,
  waitForRawRecords,
} from "./drill_recovery.ts";

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

/** The producer's arguments: a replay of `o.stations` stations, JSON summary on stdout. */
function producerArgs(o: ClusterDrillOptions): string[] {
  return [
    "--input",
    o.input,
    "--speed",
    o.speed ?? "max",
    "--stations",
    String(o.stations),
    ...(o.limit === undefined ? [] : ["--limit", String(o.limit)]),
    "--json",
  ];
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
  const kafka = createKafka(o.kafka, { clientId: "airq-drill", quiet: true });
  await withAdmin(kafka, (admin) => ensureTopics(admin, o.topics));
  const launch = await serviceLaunch(o.dir, o.env);
  let services = await startServices(launch, "");
  const producerDone = (await spawnTask("produce", producerArgs(o), o.env)).output();
  const expected = o.limit ?? o.stations * 9357;
  const sampler = startSampler(kafka, raw);
  // the fault comes mid-replay: once faultAt of the readings are in the raw topic
  await waitForRawRecords(kafka, raw, Math.max(1, Math.floor(expected * (o.faultAt ?? 0.3))), t0);
  const stops: ChildStop[] = [];
  const run: FaultRun = {
    kafka,
    cluster: o.cluster,
    topics: o.topics.map((t) => t.name),
    raw,
    at,
    victim: o.victim,
    hangMs: o.hangMs ?? 30_000,
    launch,
    faults: [],
    faultTimes: [],
    stops,
  };
  services = await runFaults(o.drill, run, services);

  const produced = await producerDone;
  const producer = producerSummary(produced);
  const problems = producerProblems(produced);
  // both groups caught up with everything in the raw topic, then stopped
  const late = await waitForCatchUp(kafka, raw, o.catchUpMs ?? 600_000, sampler.samples);
  if (late !== null) problems.push(late);
  await sampler.stop();
  const lagEnd = await groupLags(kafka, raw);
  await stopServices(services, "end", at(), lagEnd, stops);
  const outcomes = stopOutcomes(stops);
  problems.push(...outcomes.problems);
  await Deno.writeTextFile(join(o.dir, "producer.log"), new TextDecoder().decode(produced.stderr));
  const counts = await countRecords(
    kafka,
    readingsDbOf(o.dir),
    raw,
    name("forecasts"),
    producer.sent,
  );
  return drillResult({
    drill: o.drill,
    stations: o.stations,
    brokers: o.cluster.nodes.length,
    expected,
    producer,
    counts,
    recovery: drillRecovery(sampler.samples, run.faultTimes),
    samplerMaxGap: longestBlindStretch(sampler.samples, run.faultTimes),
    recoveryGoalS: o.recoveryGoalS ?? 30,
    faults: run.faults,
    stops,
    forcedStops: outcomes.forcedStops,
    problems,
    seconds: at(),
  });
}
