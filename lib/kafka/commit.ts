/**
 * Offset commits and heartbeats from inside `eachBatch` that survive the death
 * of the group coordinator.
 *
 * kafkajs 2.2.4 looks the group coordinator up when the member joins and then
 * keeps it: the consumer group's heartbeats and its offset manager's commits
 * go to that node until the next join. `consumer.commitOffsets` retries a
 * failed commit with the consumer's retry policy (then about a minute with
 * airq's), and every retry asks the same node, which after a `kill -9` is
 * gone: ECONNREFUSED, then "Broker N not found in the cached metadata". The
 * batch is held all that time, no heartbeat goes out, the new coordinator
 * expels the member, and the next queued batch does the same (the drill saw a
 * consumer store 1,200 of 2,000 readings and commit nothing for minutes,
 * docs/cluster.md). The forecaster was not hit: its offsets go through the
 * transactional producer, which looks the coordinator up for every commit.
 *
 * So these calls commit once (`commitOffsetsIfNecessary` with explicit
 * offsets: no retry loop) and, when the coordinator cannot be reached, fail
 * the batch with the error a live broker gives for a moved coordinator
 * (NOT_COORDINATOR). kafkajs's runner answers that by joining again, which
 * looks the coordinator up afresh; the uncommitted batch is fetched again
 * from the last committed offset, and the caller's idempotent write absorbs it.
 *
 * @module
 */
import type { EachBatchPayload } from "./client.ts";

/** Errors that mean "the coordinator did not answer", not "the commit was refused". */
const UNREACHABLE = new Set([
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSBrokerNotFound",
  "KafkaJSRequestTimeoutError",
]);

/** True when `error` says the node we talked to is gone or did not answer. */
export function coordinatorUnreachable(error: unknown): boolean {
  return error instanceof Error && UNREACHABLE.has(error.name);
}

/** What a batch fails with when the group coordinator could not be reached. */
export class CoordinatorUnreachable extends Error {
  /** The type kafkajs's runner checks (its errors.js `isRebalancing`) to rejoin. */
  readonly type = "NOT_COORDINATOR_FOR_GROUP";
  /** kafkajs's retry loops retry it rather than crash the consumer. */
  readonly retriable = true;
  constructor(what: string, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(`${what}: the group coordinator did not answer (${message}); joining again to find it`, {
      cause,
    });
    this.name = "CoordinatorUnreachable";
  }
}

/**
 * `error` as kafkajs's runner must see it: an unreachable coordinator becomes
 * a CoordinatorUnreachable (the runner rejoins, finding the current
 * coordinator); anything else is returned unchanged.
 */
export function rejoinOnUnreachable(error: unknown, what: string): unknown {
  return coordinatorUnreachable(error) ? new CoordinatorUnreachable(what, error) : error;
}

/** Commits `offset` (the next offset to read) for the batch's partition, once. */
export async function commitBatchOffset(payload: EachBatchPayload, offset: string): Promise<void> {
  const { topic, partition } = payload.batch;
  try {
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic, partitions: [{ partition, offset }] }],
    });
  } catch (error) {
    throw rejoinOnUnreachable(error, `committing ${topic}/${partition} at ${offset}`);
  }
}

/** The batch's heartbeat, failing like `commitBatchOffset` when the coordinator is gone. */
export async function batchHeartbeat(payload: EachBatchPayload): Promise<void> {
  try {
    await payload.heartbeat();
  } catch (error) {
    throw rejoinOnUnreachable(error, "heartbeat");
  }
}
