/**
 * Topic creation from `config/topics.json` and a cluster overview (topics,
 * partitions, roles, consumer-group lag) for `broker status`.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Admin, ConfigResourceTypes, type Kafka, withAdmin } from "./client.ts";
import type { TopicConfig, TopicRole } from "../config/mod.ts";

const log = getLogger(["airq", "kafka", "admin"]);

/** What `ensureTopics` needs to know about a topic. */
export type TopicSpec =
  & Pick<TopicConfig, "name" | "partitions" | "replicationFactor" | "configs">
  & { role?: string; why?: string };

/**
 * Creates the topics that do not exist yet and waits until every partition of
 * every topic has a leader; returns the names it created. A topic that
 * already exists with other values for the settings `configs` names (created
 * by an older airq, say with time-based retention on the raw topic, which
 * would delete replayed 2004 readings as soon as their segment rolls) gets
 * those settings, and a warning says which. Another process
 * (a second forecaster, the consumer) may be creating the same topics at the
 * same moment: a failed creation is looked at again, up to `attempts` times,
 * before its error is thrown.
 */
export async function ensureTopics(
  admin: Admin,
  wanted: readonly TopicSpec[],
  { attempts = 8, timeoutMs = 15_000 } = {},
): Promise<string[]> {
  const live = (await admin.describeCluster()).brokers.length;
  const topics = wanted.map((t) => cappedToBrokers(t, live));
  const created: string[] = [];
  for (let attempt = 1;; attempt++) {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) break;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
        })),
      });
      created.push(...missing.map((t) => t.name));
      break;
    } catch (error) {
      // e.g. TOPIC_ALREADY_EXISTS from a concurrent creator, or metadata not yet propagated
      if (attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
  await waitForLeaders(admin, topics.map((t) => t.name), timeoutMs);
  await alignTopicConfigs(admin, topics.filter((t) => !created.includes(t.name)), { timeoutMs });
  return created;
}

/**
 * A topic as it can exist on `brokers` live brokers: the replication factor
 * at most the broker count (3 on a 3-node cluster, 1 on the single broker), and
 * `min.insync.replicas` at most that replication factor (2 on the cluster, 1
 * alone), so config/topics.json serves both without a topic that cannot be
 * created or written.
 */
export function cappedToBrokers(topic: TopicSpec, brokers: number): TopicSpec {
  const replicationFactor = Math.max(1, Math.min(topic.replicationFactor, brokers));
  const configs = { ...topic.configs };
  const minIsr = configs["min.insync.replicas"];
  if (minIsr !== undefined) {
    configs["min.insync.replicas"] = String(Math.min(Number(minIsr), replicationFactor));
  }
  return { ...topic, replicationFactor, configs };
}

/**
 * Gives existing topics the values `configs` sets where theirs differ
 * (AlterConfigs: a topic's dynamic settings become exactly `configs`, as at
 * creation), and waits until DescribeConfigs reports them: under KRaft the
 * controller answers AlterConfigs once the change is committed, but the broker
 * that answers DescribeConfigs applies it from the metadata log a moment later,
 * so a reader straight after could see the old values (9 of 60 tries on the
 * test broker under load). Returns the names of the topics it changed.
 */
export async function alignTopicConfigs(
  admin: Admin,
  topics: readonly TopicSpec[],
  { timeoutMs = 15_000 } = {},
): Promise<string[]> {
  const withConfigs = topics.filter((t) => Object.keys(t.configs).length > 0);
  if (withConfigs.length === 0) return [];
  const described = await differingConfigs(admin, withConfigs);
  const changed: string[] = [];
  for (const topic of withConfigs) {
    const differing = described.get(topic.name);
    if (differing === undefined || differing.length === 0) continue;
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{
        type: ConfigResourceTypes.TOPIC,
        name: topic.name,
        configEntries: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
      }],
    });
    log.warn("Topic {topic} had other settings than config/topics.json; now {settings}", {
      topic: topic.name,
      settings: differing.map((d) => `${d.name}=${d.wanted} (was ${d.live ?? "unset"})`).join(", "),
    });
    changed.push(topic.name);
  }
  await waitForConfigs(admin, withConfigs.filter((t) => changed.includes(t.name)), timeoutMs);
  return changed;
}

/** A setting whose live value is not the configured one. */
interface Differing {
  name: string;
  wanted: string;
  live: string | undefined;
}

/** Per topic (that exists), the settings of `configs` whose live value differs. */
async function differingConfigs(
  admin: Admin,
  topics: readonly TopicSpec[],
): Promise<Map<string, Differing[]>> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name })),
  });
  const result = new Map<string, Differing[]>();
  for (const topic of topics) {
    const live = described.resources.find((r) => r.resourceName === topic.name);
    if (!live) continue;
    const value = (name: string) =>
      live.configEntries.find((e) => e.configName === name)?.configValue;
    result.set(
      topic.name,
      Object.entries(topic.configs)
        .filter(([name, wanted]) => value(name) !== wanted)
        .map(([name, wanted]) => ({ name, wanted, live: value(name) })),
    );
  }
  return result;
}

/** Waits until DescribeConfigs shows every topic's `configs`. */
async function waitForConfigs(
  admin: Admin,
  topics: readonly TopicSpec[],
  timeoutMs: number,
): Promise<void> {
  if (topics.length === 0) return;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const differing = [...(await differingConfigs(admin, topics))]
      .filter(([, d]) => d.length > 0);
    if (differing.length === 0) return;
    if (performance.now() > deadline) {
      const what = differing.map(([topic, d]) =>
        `${topic}: ${d.map((x) => `${x.name}=${x.live ?? "unset"}`).join(", ")}`
      );
      throw new Error(
        `the broker accepted new settings but still reports old ones after ${timeoutMs} ms (${
          what.join("; ")
        })`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the metadata of `names` lists a leader for every partition. */
async function waitForLeaders(admin: Admin, names: string[], timeoutMs: number): Promise<void> {
  if (names.length === 0) return;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      const ready = topics.length === names.length &&
        topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `topics ${
          names.join(", ")
        } exist but not every partition has a leader after ${timeoutMs} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One topic in the cluster overview. */
export interface TopicStatus {
  name: string;
  partitions: number;
  /** The role from config/topics.json, null for topics airq does not own. */
  role: TopicRole | null;
  replication_factor: number;
  /** The topic's min.insync.replicas, null when it could not be read. */
  min_insync_replicas: number | null;
  /** Sum over partitions of the high watermark (messages ever written, minus nothing). */
  end_offset_total: number;
  /** Per partition: its leader (-1: none), replicas and in-sync replicas (node ids). */
  partition_states: { partition: number; leader: number; replicas: number[]; isr: number[] }[];
}

/** One consumer group's position. */
export interface GroupStatus {
  group_id: string;
  state: string;
  members: number;
  /** Per topic: messages not yet committed by the group. */
  lag: Record<string, number>;
}

/** The cluster overview `broker status` prints. */
export interface ClusterStatus {
  cluster_id: string;
  controller: number | null;
  broker_nodes: { node_id: number; host: string; port: number }[];
  topics: TopicStatus[];
  groups: GroupStatus[];
}

/** Reads topics, their sizes and every consumer group's lag. */
export async function clusterStatus(
  admin: Admin,
  known: readonly TopicConfig[],
): Promise<ClusterStatus> {
  const cluster = await admin.describeCluster();
  const names = (await admin.listTopics()).filter((n) => !n.startsWith("__")).sort();
  const meta = names.length > 0
    ? await admin.fetchTopicMetadata({ topics: names })
    : { topics: [] };
  const roles = new Map(known.map((t) => [t.name, t.role]));
  const ends = new Map<string, Map<number, number>>();
  const topics: TopicStatus[] = [];
  const minIsr = new Map<string, number>();
  if (names.length > 0) {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    });
    for (const r of described.resources) {
      const v = r.configEntries.find((e) => e.configName === "min.insync.replicas")?.configValue;
      if (v !== undefined) minIsr.set(r.resourceName, Number(v));
    }
  }
  for (const t of meta.topics) {
    const offsets = await admin.fetchTopicOffsets(t.name);
    const byPartition = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    ends.set(t.name, byPartition);
    const states = t.partitions
      .map((p) => ({
        partition: p.partitionId,
        leader: p.leader,
        replicas: [...p.replicas].sort((a, b) => a - b),
        isr: [...p.isr].sort((a, b) => a - b),
      }))
      .sort((a, b) => a.partition - b.partition);
    topics.push({
      name: t.name,
      partitions: t.partitions.length,
      role: roles.get(t.name) ?? null,
      replication_factor: Math.max(0, ...states.map((p) => p.replicas.length)),
      min_insync_replicas: minIsr.get(t.name) ?? null,
      end_offset_total: [...byPartition.values()].reduce((a, b) => a + b, 0),
      partition_states: states,
    });
  }
  const groups: GroupStatus[] = [];
  const listed = (await admin.listGroups()).groups.map((g) => g.groupId).sort();
  if (listed.length > 0) {
    const described = await admin.describeGroups(listed);
    for (const g of described.groups) {
      const committed = await admin.fetchOffsets({ groupId: g.groupId });
      const lag: Record<string, number> = {};
      for (const topic of committed) {
        const end = ends.get(topic.topic);
        if (!end) continue;
        let total = 0;
        for (const p of topic.partitions) {
          const high = end.get(p.partition) ?? 0;
          const at = Number(p.offset);
          total += at < 0 ? high : Math.max(0, high - at);
        }
        lag[topic.topic] = total;
      }
      groups.push({ group_id: g.groupId, state: g.state, members: g.members.length, lag });
    }
  }
  return {
    cluster_id: cluster.clusterId,
    controller: cluster.controller,
    broker_nodes: cluster.brokers.map((b) => ({ node_id: b.nodeId, host: b.host, port: b.port })),
    topics,
    groups,
  };
}

/**
 * Sum of the end offsets (high watermarks) of a topic's partitions. Retries
 * briefly: right after a topic is created, ListOffsets can answer "not the
 * leader" until the partitions' leaders are known everywhere.
 */
export async function topicEndOffset(admin: Admin, topic: string, attempts = 20): Promise<number> {
  for (let i = 1;; i++) {
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, o) => sum + Number(o.high), 0);
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * i));
    }
  }
}

/** Messages of `topic` not yet committed by `groupId`. */
export async function groupLag(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  return await withAdmin(kafka, async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [];
    const at = new Map(committed.map((p) => [p.partition, Number(p.offset)]));
    return ends.reduce(
      (sum, e) => sum + Number(e.high) - Math.max(0, at.get(e.partition) ?? 0),
      0,
    );
  });
}
