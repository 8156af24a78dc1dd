/**
 * What the operator commands print as JSON: `deno task broker status --json`
 * and `deno task drill NAME --json PATH`. One zod schema each, used by the
 * writer (it checks its output before printing it) and by every reader (the
 * tests, docs/cluster.md's numbers).
 *
 * @module
 */
import { z } from "zod";

/** One partition of a topic: its leader and in-sync replicas (node ids; leader -1 = none). */
export const PartitionStateSchema = z.object({
  partition: z.number().int(),
  leader: z.number().int(),
  replicas: z.array(z.number().int()),
  isr: z.array(z.number().int()),
});

/** One topic in `broker status --json`. */
export const TopicStateSchema = z.object({
  name: z.string(),
  /** Number of partitions. */
  partitions: z.number().int(),
  /** The role from config/topics.json, null for topics airq does not own. */
  role: z.string().nullable(),
  replication_factor: z.number().int(),
  /** The topic's min.insync.replicas, null when it could not be read. */
  min_insync_replicas: z.number().int().nullable(),
  /** Sum over partitions of the high watermark. */
  end_offset_total: z.number(),
  partition_states: z.array(PartitionStateSchema),
});

/** A broker of the cluster as its metadata lists it (the live ones). */
export const BrokerNodeSchema = z.object({
  node_id: z.number().int(),
  host: z.string(),
  port: z.number().int(),
});

/** A node of the local cluster airq manages, running or not. */
export const ManagedNodeSchema = z.object({
  node_id: z.number().int(),
  address: z.string(),
  /** The JVM's pid, null when it does not run. */
  pid: z.number().int().nullable(),
});

/** `deno task broker status --json` when a broker answers. */
export const BrokerStatusSchema = z.object({
  /** The bootstrap string: every broker address, comma-separated. */
  brokers: z.string(),
  mode: z.enum(["local", "external"]),
  running: z.literal(true),
  /** True when airq started it (the single broker or the cluster). */
  managed: z.boolean(),
  /** The single broker's pid; null for a cluster or an external one. */
  pid: z.number().int().nullable(),
  version: z.string().nullable(),
  cluster_id: z.string(),
  controller: z.number().int().nullable(),
  broker_nodes: z.array(BrokerNodeSchema),
  /** The local cluster's nodes (`broker up --brokers N`), empty otherwise. */
  cluster_nodes: z.array(ManagedNodeSchema),
  topics: z.array(TopicStateSchema),
  groups: z.array(z.object({
    group_id: z.string(),
    state: z.string(),
    members: z.number().int(),
    lag: z.record(z.string(), z.number()),
  })),
});
export type BrokerStatus = z.infer<typeof BrokerStatusSchema>;

/** The drills on the local cluster. */
export const CLUSTER_DRILLS = [
  "leader-kill",
  "rolling-restart",
  "hung-broker",
  "graceful-stop",
] as const;

/** One SIGTERM a drill sent to the consumer or the forecaster, and how that process ended. */
export const ChildStopSchema = z.object({
  process: z.enum(["consumer", "forecaster"]),
  /** "fault": mid-replay (graceful-stop, restarted afterwards); "end": after the catch-up. */
  when: z.enum(["fault", "end"]),
  /** Seconds into the drill when the signal was sent. */
  at_s: z.number(),
  /** Raw-topic records the process's group had not committed when the signal was sent. */
  lag_at_signal: z.number().int().nullable(),
  /** Seconds from the signal until the process had exited. */
  exit_s: z.number(),
  /** Its exit code: 0 after a clean stop, 143 (SIGTERM) when lib/stop.ts forced the exit. */
  code: z.number().int(),
  /** True when lib/stop.ts's grace ran out and the process exited by the forced exit. */
  forced: z.boolean(),
  /** When the drill had to kill it (code 137): what `ps` said of it just before. */
  killed_ps: z.string().optional(),
});
export type ChildStop = z.infer<typeof ChildStopSchema>;

/** What `deno task drill leader-kill|rolling-restart|hung-broker|graceful-stop --json PATH` writes. */
export const ClusterDrillResultSchema = z.object({
  drill: z.enum(CLUSTER_DRILLS),
  /** Readings the producer had acknowledged (acks=all) when it finished. */
  produced: z.number().int(),
  /** Distinct readings in the consumer's store. */
  stored: z.number().int(),
  /** Raw-topic records beyond one per reading, plus forecast sets beyond one per reading. */
  duplicates: z.number().int(),
  /** Forecast sets read with read_committed from the forecasts topic. */
  forecasts: z.number().int(),
  /** One per produced reading. */
  expected_forecasts: z.number().int(),
  /**
   * Seconds from the fault (the kill, the first restart, the SIGSTOP, the
   * SIGTERM of both children) until the consumer had stored and the
   * forecaster had committed something new again.
   */
  recovery_s: z.number(),
  /**
   * The longest stretch after the first fault in which the drill's own sampler
   * (an admin client reading both groups' committed offsets) got no answer, in
   * seconds: when it ends where the recovery does, `recovery_s` is an upper
   * bound. Absent in files written before it was recorded.
   */
  sampler_max_gap_s: z.number().optional(),
  /**
   * Nodes hit, in order, and how many partition leaders each had when it was
   * hit (node_id -1: the fault hit the consumer and forecaster, no broker).
   */
  faults: z.array(z.object({
    node_id: z.number().int(),
    action: z.string(),
    at_s: z.number(),
    leaders: z.number().int(),
  })),
  stations: z.number().int(),
  brokers: z.number().int(),
  raw_records: z.number().int(),
  forecast_records_distinct: z.number().int(),
  /**
   * Deliveries of a record the drill's read-back had already read (a kafkajs
   * rejoin re-delivers what it had not committed): counted once, never as a
   * duplicate. Absent in files written before it was recorded.
   */
  read_redelivered: z.number().int().optional(),
  /**
   * Forecast sets found more than once in the topic, the first few: each
   * copy's partition and offset, for a dump of the log
   * (`kafka.tools.DumpLogSegments`). Absent in files written before.
   */
  duplicate_sets: z.array(z.object({
    set_id: z.string(),
    copies: z.array(z.object({ partition: z.number().int(), offset: z.string() })),
  })).optional(),
  producer_failed: z.number().int(),
  /**
   * The children (consumer, forecaster) that did not finish their clean stop
   * within the grace period after SIGTERM and exited by lib/stop.ts's bounded
   * forced exit (the counts still have to hold).
   */
  forced_stops: z.array(z.string()),
  /**
   * Every SIGTERM the drill sent to the consumer and the forecaster (mid-replay
   * for graceful-stop, at the end for every drill); absent in files written
   * before it was recorded.
   */
  stops: z.array(ChildStopSchema).default([]),
  /** graceful-stop's goal: every process it stopped had exited within this long, seconds. */
  stop_goal_s: z.number().optional(),
  seconds: z.number(),
  ok: z.boolean(),
  /** What did not hold, in words; empty when ok. */
  problems: z.array(z.string()),
});
export type ClusterDrillResult = z.infer<typeof ClusterDrillResultSchema>;
