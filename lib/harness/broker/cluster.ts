/**
 * A local multi-node Apache Kafka 4 cluster on loopback (`deno task broker up
 * --brokers N`, the cluster drills): N KRaft nodes in combined mode, each one
 * JVM that is both a broker and a voter of a static controller quorum
 * (`controller.quorum.voters`), each with its own ports, data and logs under
 * `$AIRQ_STATE_DIR/kafka-cluster/node-<id>`. With 3 voters the quorum keeps a
 * majority (2) when one node fails. Internal topics get replication factor
 * min(3, N) and min.insync.replicas min(2, N).
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { KafkaConfig } from "../../config/mod.ts";
import { BrokerError } from "./errors.ts";
import { resolveKafkaJars } from "./jars.ts";
import { type ClusterNodeSpec, LocalBroker, splitHostPort } from "./local.ts";
import { randomClusterId } from "./kraft.ts";
import { isPortFree } from "./ports.ts";

/** The folder of the cluster under the state folder. */
export const CLUSTER_FOLDER = "kafka-cluster";

/** What `cluster.json` records: the layout the nodes were formatted with. */
export interface ClusterRecord {
  clusterId: string;
  nodes: { id: number; brokerPort: number; controllerPort: number }[];
  /** Every node's broker address, comma-separated: the bootstrap string for clients. */
  bootstrap: string;
}

/** Options of a local cluster. */
export interface LocalClusterOptions {
  config: KafkaConfig;
  stateDir: string;
  cacheDir: string;
  kafkaHome?: string | undefined;
  configDir: URL;
  /** Number of nodes (at least 2; one node is `LocalBroker`). */
  size: number;
  /**
   * Broker and controller port of each node. Default: node i (0-based) uses the
   * configured broker port + 2i and controller port + 2i (9092/9093, 9094/9095, ...).
   */
  ports?: { broker: number; controller: number }[];
}

/** Ports of node i (0-based) from the configured ones: +2 per node. */
export function defaultClusterPorts(
  config: KafkaConfig,
  size: number,
): { broker: number; controller: number }[] {
  const base = splitHostPort(config.brokers[0]!).port;
  const controller = config.local.controllerPort;
  return Array.from({ length: size }, (_, i) => ({
    broker: base + 2 * i,
    controller: controller + 2 * i,
  }));
}

/** The controller.quorum.voters value for nodes 1..N. */
export function quorumVoters(ports: { controller: number }[]): string {
  return ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controller}`).join(",");
}

/** Replication factor and min.insync.replicas for a cluster of `size` nodes (3 and 2 at most). */
export function replicationFor(size: number): { replication: number; minInsync: number } {
  const replication = Math.min(3, size);
  return { replication, minInsync: Math.min(2, replication) };
}

/** How long `down` lets a node stop gracefully once a voter of the quorum is already down. */
const QUORUM_LOST_STOP_MS = 5000;

/** A local cluster of `size` combined broker+controller nodes. */
export class LocalCluster {
  readonly nodes: LocalBroker[];
  /** Every node's address, comma-separated. */
  readonly bootstrap: string;
  readonly root: string;
  readonly recordFile: string;
  readonly #options: LocalClusterOptions;
  readonly #record: ClusterRecord;

  private constructor(options: LocalClusterOptions, record: ClusterRecord) {
    this.#options = options;
    this.#record = record;
    this.root = join(options.stateDir, CLUSTER_FOLDER);
    this.recordFile = join(this.root, "cluster.json");
    this.bootstrap = record.bootstrap;
    const voters = quorumVoters(record.nodes.map((n) => ({ controller: n.controllerPort })));
    const { replication, minInsync } = replicationFor(record.nodes.length);
    this.nodes = record.nodes.map((n) => {
      const node: ClusterNodeSpec = {
        id: n.id,
        brokerPort: n.brokerPort,
        controllerPort: n.controllerPort,
        voters,
        clusterId: record.clusterId,
        folder: join(CLUSTER_FOLDER, `node-${n.id}`),
        replication,
        minInsync,
      };
      return new LocalBroker({
        config: options.config,
        stateDir: options.stateDir,
        cacheDir: options.cacheDir,
        kafkaHome: options.kafkaHome,
        configDir: options.configDir,
        node,
      });
    });
  }

  /** The record of the cluster formatted in `stateDir`, null when there is none. */
  static async readRecord(stateDir: string): Promise<ClusterRecord | null> {
    try {
      return JSON.parse(
        await Deno.readTextFile(join(stateDir, CLUSTER_FOLDER, "cluster.json")),
      ) as ClusterRecord;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  /**
   * The cluster of `stateDir`: the one already formatted there (its layout is
   * kept; a different `size` is an error, `broker down` and removing the folder
   * start over), else a new one with `size` nodes.
   */
  static async open(options: LocalClusterOptions): Promise<LocalCluster> {
    const existing = await LocalCluster.readRecord(options.stateDir);
    if (existing) {
      if (existing.nodes.length !== options.size) {
        throw new BrokerError(
          "cluster-size",
          `The local cluster in ${
            join(options.stateDir, CLUSTER_FOLDER)
          } has ${existing.nodes.length} nodes, not ${options.size}; remove that folder ` +
            "(after `deno task broker down`) to make a new one.",
        );
      }
      return new LocalCluster(options, existing);
    }
    if (!Number.isInteger(options.size) || options.size < 2 || options.size > 9) {
      throw new BrokerError("cluster-size", `--brokers must be 1..9, not ${options.size}`);
    }
    const ports = options.ports ?? defaultClusterPorts(options.config, options.size);
    if (ports.length !== options.size) throw new Error("one port pair per node");
    const record: ClusterRecord = {
      clusterId: randomClusterId(),
      nodes: ports.map((p, i) => ({
        id: i + 1,
        brokerPort: p.broker,
        controllerPort: p.controller,
      })),
      bootstrap: ports.map((p) => `127.0.0.1:${p.broker}`).join(","),
    };
    return new LocalCluster(options, record);
  }

  /** The node with `node.id` = `id`. */
  node(id: number): LocalBroker {
    const node = this.nodes.find((n) => n.nodeId === id);
    if (!node) throw new Error(`no node ${id} in this cluster`);
    return node;
  }

  /** Which nodes run (their pid files name a live process). */
  async running(): Promise<{ id: number; address: string; pid: number | null }[]> {
    return await Promise.all(
      this.nodes.map(async (n) => ({
        id: n.nodeId,
        address: n.address,
        pid: (await n.running())?.pid ?? null,
      })),
    );
  }

  /**
   * Starts every node that does not run yet, all at once (a node answers only
   * once the quorum has a majority), and returns when each one answers.
   */
  async up(
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<{ started: number[]; reused: number[]; readyMs: number }> {
    const t0 = performance.now();
    const alive = await this.running();
    for (const n of this.nodes) {
      const running = alive.find((a) => a.id === n.nodeId)?.pid !== null;
      if (running) continue;
      for (const [port, what] of [[n.brokerPort, "broker"], [n.controllerPort, "controller"]]) {
        if (!isPortFree(port as number)) {
          throw new BrokerError(
            "port-in-use",
            `Port ${port} (the ${what} port of node ${n.nodeId}) is already taken; ` +
              "pick other ports with AIRQ_KAFKA_BROKERS and AIRQ_KAFKA_CONTROLLER_PORT.",
          );
        }
      }
    }
    // fetch the jars once, before the nodes each look for them at the same moment
    await resolveKafkaJars({
      pomPath: fromFileUrl(new URL("kafka/pom.xml", this.#options.configDir)),
      cacheDir: this.#options.cacheDir,
      kafkaHome: this.#options.kafkaHome,
    });
    await Deno.mkdir(this.root, { recursive: true });
    await Deno.writeTextFile(this.recordFile, JSON.stringify(this.#record, null, 2) + "\n");
    const results = await Promise.allSettled(
      this.nodes.map((n) => n.up({ signal: options.signal })),
    );
    const failed = results.find((r) => r.status === "rejected");
    if (failed) {
      await this.down({ timeoutMs: 5000 }).catch(() => {});
      throw (failed as PromiseRejectedResult).reason;
    }
    const outcomes = results.map((r, i) => ({
      id: this.nodes[i]!.nodeId,
      outcome: (r as PromiseFulfilledResult<{ outcome: string }>).value.outcome,
    }));
    return {
      started: outcomes.filter((o) => o.outcome === "started").map((o) => o.id),
      reused: outcomes.filter((o) => o.outcome !== "started").map((o) => o.id),
      readyMs: Math.round(performance.now() - t0),
    };
  }

  /**
   * Stops every node (SIGTERM, then SIGKILL after the timeout), all at once.
   * With a voter already down (a drill's kill -9), the survivors lose the
   * quorum majority as soon as one of them has stopped, and the last one's
   * controlled shutdown can only wait for a controller that cannot be elected
   * (a `down` after a leader-kill was seen taking the whole 30 s stop
   * timeout). So then each node gets at most QUORUM_LOST_STOP_MS before its
   * SIGKILL (Kafka recovers its log on the next start, as after any crash).
   */
  async down(options: { timeoutMs?: number } = {}): Promise<{ stopped: number[] }> {
    const running = await Promise.all(this.nodes.map(async (n) => (await n.running()) !== null));
    const voterDown = running.some((r) => !r);
    const results = await Promise.all(this.nodes.map((n) =>
      n.down(
        voterDown
          ? { timeoutMs: Math.min(options.timeoutMs ?? QUORUM_LOST_STOP_MS, QUORUM_LOST_STOP_MS) }
          : options,
      )
    ));
    return {
      stopped: results.flatMap((r, i) =>
        r.outcome === "not-running" ? [] : [this.nodes[i]!.nodeId]
      ),
    };
  }

  /** SIGKILL for every node this process started (a forced exit). */
  async killStarted(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.killStarted()));
  }
}
