/**
 * kafkajs's producer send, rewritten so that a retry can never send a batch
 * the broker has already taken.
 *
 * kafkajs 2.2.4's send (`src/producer/sendMessages.js`) makes one produce
 * request per leader broker, awaits them with `Promise.all` and keeps, across
 * its retries, which *brokers* answered. Two faults follow, both seen in
 * airq's cluster drills (docs/cluster.md):
 *
 * - **Doubled batches.** When one broker fails fast (NOT_LEADER, a dropped
 *   connection) while another's request is still in flight, the retry starts
 *   at once, still counts the slow broker as unanswered and queues a second
 *   request to it behind the first (one request in flight per broker). The
 *   first is written and answered; the second carries the same messages with
 *   sequence numbers that moved forward when the first went out, so the
 *   broker takes it for new data and appends it again: a chunk's forecasts
 *   twice inside one committed transaction (tests/kafka/send_race_test.ts).
 *   The same overlap explains an OUT_OF_ORDER_SEQUENCE_NUMBER: a request that
 *   fails after the retry went out rolls back sequence numbers the retry had
 *   already used (a reading of the code; no test provokes it).
 * - **Skipped partitions** (tulios/kafkajs#1303): a partition whose leader
 *   moved to a broker that had already answered for other partitions is not
 *   sent at all on the retry, and the send resolves as acknowledged.
 *
 * This send waits for every request of an attempt to settle before it
 * decides anything, and keeps which *partitions* were written: a retry sends
 * exactly the partitions that are not, each to its current leader. A failed
 * request rolls back the sequence numbers of its partitions (the broker may
 * have written it before the failure; the resend then has the same producer
 * id, epoch and first sequence, and the broker answers it as the duplicate it
 * is), and since no other request of the send is in flight by then, nothing
 * can have used those numbers in between. That holds as long as one producer
 * runs one send per partition at a time, which airq's senders do
 * (lib/kafka/idempotent.ts). The per-partition grouping is linear (kafkajs
 * copies the partition's array for every message).
 *
 * Everything else is kafkajs's: its partitioner, metadata, broker locks,
 * transaction bookkeeping, produce request, errors and retrier; which errors
 * refresh the metadata, which are retried and which end the send are
 * decided as kafkajs decides them. Installed by ./client.ts before kafkajs
 * loads (./_kafkajs_modules.ts).
 *
 * @module
 */
// types only (erased): ./client.ts imports this module before kafkajs
import type { Message, RecordMetadata } from "./client.ts";
import { kafkajsModules } from "./_kafkajs_modules.ts";

interface PartitionMetadata {
  partitionId: number;
  leader: number | null | undefined;
}

interface KafkajsBroker {
  nodeId: number;
  produce(request: Record<string, unknown>): Promise<ProduceResponse>;
}

interface ProduceResponse {
  topics: { topicName: string; partitions: Omit<RecordMetadata, "topicName">[] }[];
}

interface KafkajsCluster {
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  findBroker(query: { nodeId: string }): Promise<KafkajsBroker>;
  removeBroker(address: { host: string; port: number }): void;
  isConnected(): boolean;
  connect(): Promise<void>;
}

/** A partition's messages in one produce request (kafkajs's `topicData` entry). */
interface PartitionData {
  partition: number;
  messages: Message[];
  firstSequence?: number;
}

type TopicData = { topic: string; partitions: PartitionData[] }[];

interface EosManager {
  isTransactional(): boolean;
  getTransactionalId(): string;
  getProducerId(): number;
  getProducerEpoch(): number;
  acquireBrokerLock(broker: KafkajsBroker): Promise<void>;
  releaseBrokerLock(broker: KafkajsBroker): void | Promise<void>;
  addPartitionsToTransaction(topicData: TopicData): Promise<void>;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
}

interface KafkajsLogger {
  error(message: string, extra?: Record<string, unknown>): void;
  debug(message: string, extra?: Record<string, unknown>): void;
}

type Bail = (error: unknown) => void;
type Retrier = <T>(
  fn: (bail: Bail, retryCount: number, retryTime: number) => Promise<T>,
) => Promise<T>;
type Partitioner = (args: {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: Message;
}) => number;

/** What kafkajs's message producer passes when it creates its send. */
interface SendContext {
  logger: KafkajsLogger;
  cluster: KafkajsCluster;
  partitioner: Partitioner;
  eosManager: EosManager;
  retrier: Retrier;
}

/** One call of the send (`producer.send` and `sendBatch` end here). */
interface SendRequest {
  acks: number;
  timeout?: number;
  compression?: number;
  topicMessages: { topic: string; messages: Message[] }[];
}

interface KafkaError extends Error {
  retriable?: boolean;
  type?: string;
  host?: string;
  port?: number;
}

const kafkajs = kafkajsModules();

/** kafkajs's error classes and metadata-error test, loaded once (not on every send). */
const { KafkaJSMetadataNotLoaded } = kafkajs.load("./src/errors.js") as {
  KafkaJSMetadataNotLoaded: new (message: string) => Error;
};
const { staleMetadata } = kafkajs.load("./src/protocol/error.js") as {
  staleMetadata: (e: KafkaError) => boolean;
};

/** Partitions written so far in one send: `topic\0partition` → kafkajs's answer (none at acks=0). */
type Written = Map<string, RecordMetadata | null>;

const key = (topic: string, partition: number) => `${topic}\0${partition}`;

/**
 * The produce requests of one attempt: the partitions of `topicMessages` not
 * yet in `written`, grouped by their leader now.
 */
async function plan(
  ctx: SendContext,
  topicMessages: SendRequest["topicMessages"],
  written: Written,
): Promise<Map<string, TopicData>> {
  await ctx.cluster.refreshMetadataIfNecessary();
  const perLeader = new Map<string, TopicData>();
  for (const { topic, messages } of topicMessages) {
    const partitionMetadata = ctx.cluster.findTopicPartitionMetadata(topic);
    if (partitionMetadata.length === 0) {
      throw new KafkaJSMetadataNotLoaded(`Producing to topic without metadata: ${topic}`);
    }
    const perPartition = new Map<number, Message[]>();
    for (const message of messages) {
      const partition = ctx.partitioner({ topic, partitionMetadata, message });
      if (written.has(key(topic, partition))) continue;
      const list = perPartition.get(partition);
      if (list === undefined) perPartition.set(partition, [message]);
      else list.push(message);
    }
    for (const [partition, list] of perPartition) {
      const leader = partitionMetadata.find((p) => p.partitionId === partition)?.leader;
      if (leader === null || leader === undefined || leader < 0) {
        throw new KafkaJSMetadataNotLoaded(
          `No leader known for partition ${partition} of ${topic}`,
        );
      }
      const topicData = perLeader.get(String(leader)) ?? [];
      perLeader.set(String(leader), topicData);
      let entry = topicData.find((t) => t.topic === topic);
      if (entry === undefined) topicData.push(entry = { topic, partitions: [] });
      entry.partitions.push({ partition, messages: list });
    }
  }
  return perLeader;
}

/** One produce request, under the broker's lock; records its partitions in `written` when answered. */
async function produce(
  ctx: SendContext,
  request: SendRequest,
  nodeId: string,
  topicData: TopicData,
  written: Written,
): Promise<void> {
  const { eosManager: eos } = ctx;
  const broker = await ctx.cluster.findBroker({ nodeId });
  await eos.acquireBrokerLock(broker);
  try {
    if (eos.isTransactional()) await eos.addPartitionsToTransaction(topicData);
    for (const { topic, partitions } of topicData) {
      for (const entry of partitions) {
        entry.firstSequence = eos.getSequence(topic, entry.partition);
        eos.updateSequence(topic, entry.partition, entry.messages.length);
      }
    }
    let response: ProduceResponse;
    try {
      response = await broker.produce({
        transactionalId: eos.isTransactional() ? eos.getTransactionalId() : undefined,
        producerId: eos.getProducerId(),
        producerEpoch: eos.getProducerEpoch(),
        acks: request.acks,
        timeout: request.timeout,
        compression: request.compression,
        topicData,
      });
    } catch (error) {
      for (const { topic, partitions } of topicData) {
        for (const entry of partitions) {
          eos.updateSequence(topic, entry.partition, -entry.messages.length);
        }
      }
      throw error;
    }
    if (request.acks === 0) {
      for (const { topic, partitions } of topicData) {
        for (const { partition } of partitions) written.set(key(topic, partition), null);
      }
    } else {
      for (const { topicName, partitions } of response.topics) {
        for (const p of partitions) written.set(key(topicName, p.partition), { topicName, ...p });
      }
    }
  } finally {
    await eos.releaseBrokerLock(broker);
  }
}

/**
 * After an attempt with `errors` (all of its requests settled): reconnects,
 * refreshes the metadata, throws to retry or bails, as kafkajs does for its
 * first error.
 */
async function afterFailure(
  ctx: SendContext,
  errors: KafkaError[],
  bail: Bail,
  retry: { retryCount: number; retryTime: number },
): Promise<never> {
  for (const e of errors) {
    if (e.name === "KafkaJSConnectionClosedError" && e.host !== undefined && e.port !== undefined) {
      ctx.cluster.removeBroker({ host: e.host, port: e.port });
    }
  }
  const first = errors[0]!;
  if (!ctx.cluster.isConnected()) {
    ctx.logger.debug(`Cluster has disconnected, reconnecting: ${first.message}`, retry);
    await ctx.cluster.connect();
    await ctx.cluster.refreshMetadata();
    throw first;
  }
  const refreshes = (e: KafkaError) =>
    staleMetadata(e) || e.name === "KafkaJSMetadataNotLoaded" ||
    e.name === "KafkaJSConnectionError" || e.name === "KafkaJSConnectionClosedError" ||
    (e.name === "KafkaJSProtocolError" && e.retriable === true);
  const fatal = errors.find((e) => !refreshes(e) && !e.retriable);
  if (fatal !== undefined) {
    ctx.logger.error(fatal.message, retry);
    bail(fatal);
    throw fatal;
  }
  const stale = errors.find(refreshes);
  if (stale !== undefined) {
    ctx.logger.error(`Failed to send messages: ${stale.message}`, retry);
    await ctx.cluster.refreshMetadata();
    throw stale;
  }
  ctx.logger.error(first.message, retry);
  throw first;
}

/** kafkajs's `createSendMessages`, as airq's module replaces it. */
export function createSendMessages(
  ctx: SendContext,
): (request: SendRequest) => Promise<RecordMetadata[]> {
  return (request) => {
    const written: Written = new Map();
    const topics = request.topicMessages.map(({ topic }) => topic);
    return ctx.retrier(async (bail, retryCount, retryTime) => {
      await ctx.cluster.addMultipleTargetTopics(topics);
      let errors: KafkaError[];
      try {
        const perLeader = await plan(ctx, request.topicMessages, written);
        const settled = await Promise.allSettled(
          [...perLeader].map(([nodeId, topicData]) =>
            produce(ctx, request, nodeId, topicData, written)
          ),
        );
        errors = settled.flatMap((s) => s.status === "rejected" ? [s.reason as KafkaError] : []);
      } catch (error) {
        errors = [error as KafkaError];
      }
      if (errors.length > 0) {
        return await afterFailure(ctx, errors, bail, { retryCount, retryTime });
      }
      return [...written.values()].filter((r): r is RecordMetadata => r !== null);
    });
  };
}

let installed = false;

/** Whether kafkajs sends with {@linkcode createSendMessages} (false: kafkajs had loaded first). */
export function sendMessagesFixInstalled(): boolean {
  return installed;
}

function install(): void {
  // the message producer takes the send when it loads
  installed = kafkajs.replaceBefore(
    "./src/producer/messageProducer.js",
    "./src/producer/sendMessages.js",
    createSendMessages,
  );
}

install();
