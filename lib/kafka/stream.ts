/**
 * The stream loop every airq process runs on Kafka, written once: the
 * validating consumer, the forecaster, the dashboard's feed and the
 * leaderboard's vote consumer each supply a batch handler and hooks; this
 * module owns the lifecycle around it.
 *
 * - **start**: create the topics it needs (`ensureTopics`), then a
 *   {@linkcode SupervisedMember} (a fresh group member after a crash kafkajs
 *   does not retry), subscribed from the beginning for a new group (or from
 *   the end, for followers such as the dashboard); `onRunning` once it runs;
 * - **batches**: the handler gets kafkajs's `eachBatch` payload; offsets are
 *   resolved and committed by the handler (after its durable write or inside
 *   its transaction), never automatically;
 * - **rebalance**: `onAssign` gets the member's partitions of the topic after
 *   every join (e.g. to forget state, or to open the partitions' transactional
 *   producers);
 * - **idle exit**: with `exitWhenIdleMs`, the run ends once the member has
 *   joined, no batch is being handled, and none ended for that long (a long
 *   batch handled chunk by chunk is not idleness);
 * - **stats**: `onStats` every `statsIntervalMs` (a log line), plus any
 *   periodic `timers` (e.g. data-quality evaluation);
 * - **abort**: the signal ends the run after the batch in progress; the
 *   member is disconnected whatever happens;
 * - **metrics**: every process gets the same base metrics (lib/metrics,
 *   docs/operations.md): messages and batches handled, batch duration,
 *   end-to-end latency (from the record's `airq.produced_at` header to the end
 *   of its batch), lag per partition, joins, restarts, and readiness (joined).
 *
 * The per-partition transactional producers some handlers commit with are
 * {@linkcode TransactionalProducers} (./transactions.ts).
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { TopicSpec } from "./admin.ts";
import { ensureTopics } from "./admin.ts";
import type { Consumer, EachBatchPayload, Kafka } from "./client.ts";
import { withAdmin } from "./client.ts";
import { SupervisedMember } from "./supervised.ts";
import { type Metrics, processMetrics, type TopicStreamMetrics } from "../metrics/mod.ts";

/**
 * Header a producer may set on a record: when it was sent, milliseconds since
 * the epoch as decimal text. The record timestamp is the reading's event time,
 * so this is what end-to-end latency is measured from.
 */
export const PRODUCED_AT_HEADER = "airq.produced_at";

const log = getLogger(["airq", "kafka", "stream"]);

/** Group and fetch settings of a stream's member. */
export interface StreamGroup {
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxBytesPerPartition: number;
  maxWaitTimeMs: number;
  /**
   * Bytes a fetch waits for (up to `maxWaitTimeMs`) before the broker answers
   * (Kafka's fetch.min.bytes; default 1: answer as soon as anything is there).
   */
  minBytes?: number | undefined;
  /** Read only committed records of transactional producers (default true). */
  readCommitted?: boolean | undefined;
}

/** Everything `runStream` needs. */
export interface StreamOptions {
  kafka: Kafka;
  /** Names the process in logs, e.g. "consumer", "forecaster". */
  name: string;
  /** The topic consumed. */
  topic: string;
  /** Where a new group starts: the earliest retained message (default) or the end. */
  fromBeginning?: boolean | undefined;
  group: StreamGroup;
  /** Topics created (if missing) before the member starts. */
  ensure?: readonly TopicSpec[] | undefined;
  /** Partitions of a fetch handled at once (default 1). */
  partitionsConsumedConcurrently?: number | undefined;
  /** One partition's fetched batch; it resolves and commits its own offsets. */
  eachBatch: (payload: EachBatchPayload, member: Consumer) => Promise<void>;
  /** After every join: this member's partitions of `topic` (a rebalance may have moved some). */
  onAssign?: ((partitions: number[]) => void) | undefined;
  /** Before a fresh member starts after a crash (uncommitted batches will be read again). */
  onRestart?: (() => void) | undefined;
  /** Once each member runs (the first and every fresh one), e.g. to seek. */
  onRunning?: ((member: Consumer) => Promise<void> | void) | undefined;
  /** A member crashed and kafkajs will not restart it; a fresh member follows after a backoff. */
  onCrash?: ((error: unknown) => void) | undefined;
  /** End the run once the member joined and no batch was seen for this long. */
  exitWhenIdleMs?: number | undefined;
  /** Called every `statsIntervalMs` (default: never). */
  onStats?: (() => void) | undefined;
  statsIntervalMs?: number | undefined;
  /** More periodic work while the stream runs (errors are the callee's to handle). */
  timers?: readonly { everyMs: number; run: () => void }[] | undefined;
  /** Ends the run after the batch in progress. */
  signal: AbortSignal;
  /** Where the base metrics go (default: this process's, served on /metrics). */
  metrics?: Metrics | undefined;
}

/** How a stream run ended. */
export interface StreamRun {
  outcome: "idle" | "stopped";
  duration_s: number;
}

/**
 * Runs the member until aborted or idle; never leaves a connection open.
 *
 * @example
 * ```ts ignore
 * const run = await runStream({
 *   kafka, name: "consumer", topic: "airq.readings.raw", group, signal,
 *   eachBatch: async (payload, member) => { ...write; await member.commitOffsets([...]); },
 * });
 * ```
 */
export async function runStream(options: StreamOptions): Promise<StreamRun> {
  const t0 = performance.now();
  const activity: Activity = { last: performance.now(), handling: 0, joined: false };
  let finish!: (o: StreamRun["outcome"]) => void;
  const finished = new Promise<StreamRun["outcome"]>((resolve) => (finish = resolve));
  const { group, topic } = options;
  const metrics = options.metrics ?? processMetrics;
  const streamMetrics = metrics.stream;
  const topicMetrics = streamMetrics.forTopic(topic);
  const readiness = `stream:${options.name}`;
  metrics.setReady(readiness, false);

  const member: SupervisedMember = new SupervisedMember({
    kafka: options.kafka,
    name: options.name,
    topic,
    fromBeginning: options.fromBeginning ?? true,
    consumer: consumerSettings(group),
    run: {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachBatch: async (payload) => {
        activity.handling++;
        const started = performance.now();
        try {
          await options.eachBatch(payload, member.consumer);
          recordBatch(topicMetrics, payload, (performance.now() - started) / 1000);
        } finally {
          activity.handling--;
          activity.last = performance.now();
        }
      },
    },
    ...memberHooks(options, metrics, activity, readiness),
  });

  const timers = startTimers(options, activity, () => finish("idle"));
  const onAbort = () => finish("stopped");
  options.signal.addEventListener("abort", onAbort, { once: true });

  let outcome: StreamRun["outcome"] = "stopped";
  try {
    if (options.ensure !== undefined && options.ensure.length > 0) {
      const ensure = options.ensure;
      await withAdmin(options.kafka, (admin) => ensureTopics(admin, ensure));
    }
    await member.start();
    if (options.signal.aborted) finish("stopped");
    outcome = await finished;
  } finally {
    for (const t of timers) clearInterval(t);
    options.signal.removeEventListener("abort", onAbort);
    metrics.setReady(readiness, false);
    streamMetrics.joined.set({ stream: options.name }, 0);
    await member.stop();
  }
  return { outcome, duration_s: Math.round(performance.now() - t0) / 1000 };
}

/** A stream's liveness: when it last did something, the batches in hand, whether it joined. */
interface Activity {
  last: number;
  /** Batches being handled: a long one (handled chunk by chunk) is activity throughout. */
  handling: number;
  joined: boolean;
}

/** kafkajs consumer settings of the group options. */
function consumerSettings(group: StreamOptions["group"]) {
  return {
    groupId: group.groupId,
    sessionTimeout: group.sessionTimeoutMs,
    heartbeatInterval: group.heartbeatIntervalMs,
    maxBytesPerPartition: group.maxBytesPerPartition,
    maxWaitTimeInMs: group.maxWaitTimeMs,
    minBytes: group.minBytes ?? 1,
    readUncommitted: group.readCommitted === false,
  };
}

/** The member's join, restart, running and crash hooks: readiness, metrics, logs, the options' own. */
function memberHooks(
  options: StreamOptions,
  metrics: Metrics,
  activity: Activity,
  readiness: string,
) {
  const streamMetrics = metrics.stream;
  return {
    onJoin: (joinedGroup: { groupId: string; memberId: string; memberAssignment: unknown }) => {
      activity.joined = true;
      metrics.setReady(readiness, true);
      streamMetrics.joined.set({ stream: options.name }, 1);
      streamMetrics.rebalances.inc({ stream: options.name });
      activity.last = performance.now();
      log.info("Joined group {groupId} as {memberId} ({name}); partitions {assignment}", {
        name: options.name,
        groupId: joinedGroup.groupId,
        memberId: joinedGroup.memberId,
        assignment: JSON.stringify(joinedGroup.memberAssignment),
      });
      options.onAssign?.(assignedPartitions(joinedGroup.memberAssignment, options.topic));
    },
    onRestart: () => {
      streamMetrics.restarts.inc({ stream: options.name });
      options.onRestart?.();
    },
    onRunning: (consumer: Consumer) => options.onRunning?.(consumer),
    onCrash: (error: unknown) => {
      metrics.setReady(readiness, false);
      streamMetrics.joined.set({ stream: options.name }, 0);
      options.onCrash?.(error);
    },
  };
}

/** The stats timer, the options' timers, and the idle check every 100 ms (calls `idle`). */
function startTimers(
  options: StreamOptions,
  activity: Activity,
  idle: () => void,
): ReturnType<typeof setInterval>[] {
  const timers: ReturnType<typeof setInterval>[] = [];
  if (options.onStats !== undefined && options.statsIntervalMs !== undefined) {
    timers.push(setInterval(options.onStats, options.statsIntervalMs));
  }
  for (const t of options.timers ?? []) timers.push(setInterval(t.run, t.everyMs));
  timers.push(setInterval(() => {
    const idleMs = options.exitWhenIdleMs;
    if (
      idleMs !== undefined && activity.joined && activity.handling === 0 &&
      performance.now() - activity.last >= idleMs
    ) {
      idle();
    }
  }, 100));
  return timers;
}

/**
 * A handled batch's metrics: the messages the handler resolved (all of them,
 * or those before it stopped), the duration, the partition's lag and each
 * message's end-to-end latency when its producer stamped it.
 */
export function recordBatch(
  m: TopicStreamMetrics,
  payload: EachBatchPayload,
  seconds: number,
): void {
  const { batch } = payload;
  const n = batch.messages.length;
  if (n === 0) return;
  m.messages.inc(n);
  m.batches.inc();
  m.batchSeconds.observe(seconds);
  m.lag(batch.partition, Number(batch.offsetLag()));
  const handledMs = Date.now();
  for (let i = 0; i < n; i++) {
    const producedMs = producedAtHeaderMs(batch.messages[i]!);
    if (Number.isFinite(producedMs)) {
      m.latencySeconds.observe(Math.max(0, handledMs - producedMs) / 1000);
    }
  }
}

/** A record's `airq.produced_at` header (epoch ms); NaN without one or when it is not a number. */
export function producedAtHeaderMs(
  message: { headers?: Record<string, unknown> | undefined },
): number {
  const stamp = message.headers?.[PRODUCED_AT_HEADER];
  return stamp === undefined || stamp === null ? NaN : Number(String(stamp));
}

/** The partitions of `topic` in a kafkajs GROUP_JOIN member assignment (`{ topic: [partitions] }`). */
export function assignedPartitions(memberAssignment: unknown, topic: string): number[] {
  if (typeof memberAssignment !== "object" || memberAssignment === null) return [];
  const partitions = (memberAssignment as Record<string, unknown>)[topic];
  return Array.isArray(partitions) ? partitions.filter((p) => Number.isInteger(p)) : [];
}
