/**
 * The leaderboard consumer: its own consumer group on the votes topic, manual
 * offsets. Per batch (one partition's messages): decode every message, send the
 * malformed ones to the dead-letter topic (original bytes, reason and source
 * position in headers), apply the valid ones to Redis through the idempotent
 * script, and only then commit the batch's offsets. A crash anywhere before the
 * commit redelivers the batch, and the event-id keys make the replay change
 * nothing.
 *
 * When Redis holds no board for this group yet (a fresh private Redis), the
 * group's offsets are first reset to the earliest retained message, so the
 * board is rebuilt from the log instead of starting from wherever the group
 * stopped last time.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { KafkaConfig } from "../../../lib/config/mod.ts";
import {
  batchHeartbeat,
  commitBatchOffset,
  createKafka,
  deadLetterMessage,
  type EachBatchPayload,
  idempotentProducer,
  ledgerOf,
  runStream,
  sendComplete,
  withAdmin,
} from "../../../lib/kafka/mod.ts";
import type { LeaderboardConfig, LeaderboardTopic } from "./leaderboard_config.ts";
import { decodeVote, type VoteEvent } from "./event.ts";
import { ensureLeaderboardTopics } from "./kafka.ts";
import type { LeaderboardStore } from "./store.ts";

const log = getLogger(["airq", "leaderboard", "consumer"]);

/** Everything `runVoteConsumer` needs. */
export interface VoteConsumerOptions {
  kafka: KafkaConfig;
  settings: LeaderboardConfig["consumer"];
  groupId: string;
  votesTopic: string;
  deadLetterTopic: string;
  /** Topics to create if missing. */
  topics: readonly LeaderboardTopic[];
  store: LeaderboardStore;
  /** Aborting stops the consumer after the batch in progress. */
  signal: AbortSignal;
  /** Called once the consumer joined its group (tests, start-up logs). */
  onJoin?: () => void;
}

/** Counters of a consumer run. */
export interface VoteConsumerStats {
  consumed: number;
  applied: number;
  duplicates: number;
  dead_letters: number;
  batches: number;
  /** True when the group's offsets were reset to rebuild an empty board. */
  rebuilt: boolean;
}

/** Consumes until aborted; returns its counters. Never leaves a connection open. */
export async function runVoteConsumer(options: VoteConsumerOptions): Promise<VoteConsumerStats> {
  const { settings, store } = options;
  const kafka = createKafka(options.kafka, {
    clientId: `${options.kafka.clientId}-leaderboard-consumer`,
  });
  const producer = idempotentProducer(kafka); // dead letters keep their key, which may be null
  const stats: VoteConsumerStats = {
    consumed: 0,
    applied: 0,
    duplicates: 0,
    dead_letters: 0,
    batches: 0,
    rebuilt: false,
  };

  const handleBatch = async (payload: EachBatchPayload) => {
    const { batch, resolveOffset } = payload;
    if (batch.messages.length === 0) return;
    const events: VoteEvent[] = [];
    const rejectedAt = new Date().toISOString();
    const deadLetters = [];
    for (const message of batch.messages) {
      const key = message.key === null ? null : message.key.toString();
      const decoded = decodeVote(key, message.value);
      if (decoded.ok) {
        events.push(decoded.event);
        continue;
      }
      log.warn("Dead letter {topic}/{partition}@{offset}: {reason}: {detail}", {
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        reason: decoded.reason,
        detail: decoded.detail,
      });
      deadLetters.push(deadLetterMessage({
        key: message.key,
        original: message.value,
        reason: decoded.reason,
        detail: decoded.detail,
        source: { topic: batch.topic, partition: batch.partition, offset: message.offset },
        rejected_at: rejectedAt,
      }));
    }
    // 1. the dead letters, durably (a redelivery may send them twice: at least once)
    if (deadLetters.length > 0) {
      // every partition checked for (lib/kafka/idempotent.ts: kafkajs can leave one unwritten)
      await sendComplete(producer, ledgerOf(producer), [
        { topic: options.deadLetterTopic, messages: deadLetters },
      ]);
    }
    // 2. Redis, idempotently
    const result = await store.applyEvents(events);
    // 3. only now the offsets
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    // once, to the coordinator of now: a dead one makes the member rejoin (lib/kafka/commit.ts)
    await commitBatchOffset(payload, next);
    resolveOffset(batch.lastOffset());
    stats.batches++;
    stats.consumed += batch.messages.length;
    stats.applied += result.applied;
    stats.duplicates += result.duplicates;
    stats.dead_letters += deadLetters.length;
    await batchHeartbeat(payload);
  };

  try {
    await withAdmin(kafka, async (admin) => {
      await ensureLeaderboardTopics(admin, options.topics);
      if (!(await store.hasOrigin(options.groupId))) {
        // an empty board: replay the retained log (the event ids absorb what was applied before)
        try {
          await admin.resetOffsets({
            groupId: options.groupId,
            topic: options.votesTopic,
            earliest: true,
          });
          await store.markOrigin(options.groupId);
          stats.rebuilt = true;
          log.info("Redis has no board for group {groupId}: rebuilding from the start of {topic}", {
            groupId: options.groupId,
            topic: options.votesTopic,
          });
        } catch (error) {
          // another member of the group is running: it owns the offsets, keep them
          log.warn("Could not rewind group {groupId} to rebuild the board: {error}", {
            groupId: options.groupId,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    });
    await producer.connect();
    // the shared stream loop: a supervised group member (a fresh one after a crash kafkajs
    // does not retry), manual offsets committed by the handler, stopped by the signal
    await runStream({
      kafka,
      name: "leaderboard consumer",
      topic: options.votesTopic,
      group: {
        groupId: options.groupId,
        sessionTimeoutMs: settings.sessionTimeoutMs,
        heartbeatIntervalMs: settings.heartbeatIntervalMs,
        maxBytesPerPartition: settings.maxBytesPerPartition,
        maxWaitTimeMs: settings.maxWaitTimeMs,
      },
      eachBatch: handleBatch,
      onAssign: () => options.onJoin?.(),
      signal: options.signal,
    });
  } finally {
    await producer.disconnect().catch(() => {});
  }
  log.info(
    "Leaderboard consumer stopped: consumed {consumed}, applied {applied}, duplicates {duplicates}, dead letters {dead_letters}",
    { ...stats },
  );
  return stats;
}
