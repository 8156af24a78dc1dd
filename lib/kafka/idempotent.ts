/**
 * The idempotent producer, made safe across kafkajs's retries.
 *
 * kafkajs 2.2.4 runs the partitioner again on every retry of a `send`
 * (`sendMessages.js` builds the per-partition batches inside the retried
 * function), and its default partitioner spreads keyless messages round-robin
 * with a counter that moves on each call. A keyless message therefore lands on
 * another partition when a send is retried. When the failed attempt was
 * partly written — one produce request covers every partition of a broker,
 * a partition-level error such as NOT_LEADER_OR_FOLLOWER fails the whole
 * request, and kafkajs then rolls the sequence numbers of every partition back
 * — the retry sends the already written partitions a batch with the same first
 * sequence but other contents. The broker cannot take it for a duplicate and
 * answers OUT_OF_ORDER_SEQUENCE_NUMBER (fatal to the send); when the message
 * moved to a partition with nothing else in the request, it is silently
 * written twice. Right after a topic is created, Kafka 4's KRaft broker lists
 * leaders in its metadata a moment before it hosts every partition, so the
 * first send to a new topic meets exactly such a partly failed request.
 *
 * `RetryStablePartitioner` remembers the partition it chose for each keyless
 * message object, so a retry sends the same batches and the broker's
 * duplicate detection applies. Keyed messages and messages with an explicit
 * partition are already placed the same way on every attempt. It records
 * every choice, keyed or not, in a {@linkcode PartitionLedger}: where each
 * message object went, per topic, on the send's latest attempt.
 *
 * ## Complete sends
 *
 * kafkajs 2.2.4 has a second retry bug (tulios/kafkajs#1303, #1798): a send
 * builds one produce request per leader broker and keeps, across its retries,
 * the answers of the brokers that already answered, retrying only the others.
 * When a partition's leader moved to a broker that had answered for other
 * partitions of the same send, the retry sent that partition nothing and the
 * send resolved as acknowledged (the hung-broker drill lost 600 readings that
 * way, docs/cluster.md). airq's own send (./send_messages.ts) now keeps which
 * partitions were written and retries every other one; {@linkcode sendComplete}
 * still checks every answer, so a send that resolves without a partition
 * (from any cause) cannot pass unnoticed. The answer, one RecordMetadata per
 * partition written, is checked against the ledger: the messages of every
 * (topic, partition) the ledger names and the answer lacks are sent again
 * (the same objects, in their order, so to the same partitions), and after a
 * few rounds it gives up with {@linkcode IncompleteSendError}.
 *
 * Why a resend cannot duplicate, on an idempotent producer: a missing
 * partition's request either never went out (the partition was new to the
 * attempt's request plan) or failed; kafkajs rolls back the sequence numbers of
 * every partition of a failed request. The resend therefore carries the same
 * messages under the same producer id, epoch and first sequence, as one batch,
 * and a broker that had in fact written that batch (a request that timed out
 * after the write) answers it as a duplicate with the original offset instead
 * of appending it again. This holds as long as nothing else is sent to that
 * partition on the same producer in between: airq's senders send one request
 * at a time per producer, and the resend happens before `sendComplete`
 * returns. The one case it does not cover is a topic whose partition count
 * changes between the attempts (a keyed message then hashes elsewhere); airq
 * never adds partitions to a live topic.
 *
 * Inside a transaction the same holds, and the resend happens before the
 * caller sends the offsets and commits: the partition was added to the
 * transaction by the failed attempt (or is added by the resend), so the commit
 * covers it, and a resend that fails fails the transaction, which is aborted
 * and leaves nothing visible to read_committed readers.
 *
 * Before this, airq sent one request per partition (a request to one partition
 * has one broker, whose failed answer is not kept); the idempotent producer
 * holds one lock per broker, so those requests went one after another: six
 * round trips for a batch to six partitions, and in a transaction one
 * AddPartitionsToTxn per topic-partition.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  type CompressionTypes,
  type ICustomPartitioner,
  type Kafka,
  type Message,
  Partitioners,
  type Producer,
  type ProducerConfig,
  type RecordMetadata,
  type Transaction,
} from "./client.ts";

const log = getLogger(["airq", "kafka", "send"]);

/**
 * Where each message object was placed, per topic, on the latest attempt of
 * the send that carried it (written by {@linkcode RetryStablePartitioner}).
 * Weakly held: a message that is gone takes its entry with it.
 */
export class PartitionLedger {
  readonly #chosen = new WeakMap<Message, Map<string, number>>();

  /** Records that `message` went to `partition` of `topic`. */
  record(message: Message, topic: string, partition: number): void {
    let byTopic = this.#chosen.get(message);
    if (byTopic === undefined) this.#chosen.set(message, byTopic = new Map());
    byTopic.set(topic, partition);
  }

  /** The partition of `topic` that `message` went to last, if it was ever placed. */
  partitionOf(message: Message, topic: string): number | undefined {
    return this.#chosen.get(message)?.get(topic);
  }
}

/**
 * kafkajs's default (Java-compatible murmur2) partitioner, except that a
 * keyless message keeps the partition it was first given for a topic, however
 * often the send that carries it is retried. Every choice is recorded in
 * `ledger` (keyed messages and explicit partitions are recomputed on each
 * attempt, as kafkajs's own partitioner does).
 */
export function RetryStablePartitioner(
  ledger: PartitionLedger = new PartitionLedger(),
): ReturnType<ICustomPartitioner> {
  const partition = Partitioners.DefaultPartitioner();
  return (args) => {
    const { topic, message } = args;
    const keyless = (message.partition === undefined || message.partition === null) &&
      (message.key === undefined || message.key === null);
    let p = keyless ? ledger.partitionOf(message, topic) : undefined;
    if (p === undefined) {
      p = partition(args);
      ledger.record(message, topic, p);
    }
    return p;
  };
}

/** The ledger of each producer or transaction whose partitioner records into one. */
const ledgers = new WeakMap<object, PartitionLedger>();

/**
 * Makes `ledger` the one {@linkcode ledgerOf} returns for `sender` (a
 * producer, or a transaction of a producer, whose partitioner records into it).
 */
export function attachLedger(sender: object, ledger: PartitionLedger): void {
  ledgers.set(sender, ledger);
}

/** The ledger of a producer made by {@linkcode idempotentProducer} (or attached by hand). */
export function ledgerOf(sender: object): PartitionLedger {
  const ledger = ledgers.get(sender);
  if (ledger === undefined) {
    throw new Error(
      "this producer records no partitions: make it with idempotentProducer() " +
        "(lib/kafka/idempotent.ts) or attach a ledger to it",
    );
  }
  return ledger;
}

/** What {@linkcode sendComplete} needs of a producer or transaction. */
export type BatchSender = Pick<Producer | Transaction, "sendBatch">;

/** One topic's messages, in their order. */
export interface TopicMessages {
  topic: string;
  messages: readonly Message[];
}

/** Options of {@linkcode sendComplete}. */
export interface SendCompleteOptions {
  compression?: CompressionTypes | undefined;
  /**
   * Most bytes of values (plus 64 a message) in one request; the messages go
   * in consecutive chunks, each sent and checked before the next. A single
   * larger message goes alone. Default: no limit.
   */
  maxBytes?: number | undefined;
  /** Sends of one chunk (the first and the resends) before giving up; default 4. */
  rounds?: number | undefined;
}

/** A send that stayed incomplete through every round: its messages may not all be written. */
export class IncompleteSendError extends Error {
  override name = "IncompleteSendError";
  constructor(
    readonly missing: readonly { topic: string; partition: number | null; messages: number }[],
    rounds: number,
  ) {
    super(
      `kafkajs acknowledged ${rounds} sends without writing ${describe(missing)}; ` +
        "giving up (a leader that keeps moving, or a broker that keeps failing)",
    );
  }
}

/**
 * Sends `topicMessages` (acks=all) as one request across partitions and
 * topics (in chunks of `maxBytes`), and makes sure every partition was
 * written: messages whose (topic, partition) is missing from kafkajs's answer
 * are sent again, for the reason and with the safety argument in this
 * module's doc. Resolves to the number of requests made.
 */
export async function sendComplete(
  sender: BatchSender,
  ledger: PartitionLedger,
  topicMessages: readonly TopicMessages[],
  options: SendCompleteOptions = {},
): Promise<number> {
  const rounds = options.rounds ?? 4;
  let requests = 0;
  for (const chunk of chunks(topicMessages, options.maxBytes ?? Infinity)) {
    let pending = chunk;
    for (let round = 1;; round++) {
      requests++;
      const written = await sender.sendBatch({
        acks: -1,
        topicMessages: pending.map(({ topic, messages }) => ({ topic, messages: [...messages] })),
        ...(options.compression === undefined ? {} : { compression: options.compression }),
      });
      const missing = unwritten(pending, written ?? [], ledger);
      if (missing.length === 0) break;
      const parts = missingPartitions(missing, ledger);
      if (round >= rounds) throw new IncompleteSendError(parts, rounds);
      log.warn(
        "kafkajs acknowledged a send without writing {partitions}; sending them again (round {round} of {rounds})",
        { partitions: describe(parts), round: round + 1, rounds },
      );
      pending = missing;
    }
  }
  return requests;
}

/** The messages of `sent` whose partition kafkajs's answer does not list (or that were never placed). */
function unwritten(
  sent: readonly TopicMessages[],
  written: readonly RecordMetadata[],
  ledger: PartitionLedger,
): TopicMessages[] {
  const done = new Set(written.map((r) => `${r.partition}\0${r.topicName}`));
  const missing: TopicMessages[] = [];
  for (const { topic, messages } of sent) {
    const left = messages.filter((m) => {
      const p = ledger.partitionOf(m, topic);
      return p === undefined || !done.has(`${p}\0${topic}`);
    });
    if (left.length > 0) missing.push({ topic, messages: left });
  }
  return missing;
}

function missingPartitions(
  missing: readonly TopicMessages[],
  ledger: PartitionLedger,
): { topic: string; partition: number | null; messages: number }[] {
  const counts = new Map<string, { topic: string; partition: number | null; messages: number }>();
  for (const { topic, messages } of missing) {
    for (const m of messages) {
      const partition = ledger.partitionOf(m, topic) ?? null;
      const key = `${partition}\0${topic}`;
      const entry = counts.get(key);
      if (entry === undefined) counts.set(key, { topic, partition, messages: 1 });
      else entry.messages++;
    }
  }
  return [...counts.values()];
}

function describe(parts: readonly { topic: string; partition: number | null; messages: number }[]) {
  return parts.map((p) =>
    `${p.topic}[${p.partition ?? "never placed"}] (${p.messages} message${
      p.messages === 1 ? "" : "s"
    })`
  ).join(", ");
}

/** `topicMessages` in consecutive chunks of at most `maxBytes` (a larger single message alone). */
function chunks(topicMessages: readonly TopicMessages[], maxBytes: number): TopicMessages[][] {
  const out: TopicMessages[][] = [];
  let current: TopicMessages[] = [];
  let bytes = 0;
  for (const { topic, messages } of topicMessages) {
    for (const m of messages) {
      const size = 64 + (m.value?.length ?? 0); // chars ~ bytes: airq's values are mostly ASCII JSON
      if (bytes + size > maxBytes && bytes > 0) {
        out.push(current);
        current = [];
        bytes = 0;
      }
      const last = current.at(-1);
      if (last?.topic === topic) (last.messages as Message[]).push(m);
      else current.push({ topic, messages: [m] });
      bytes += size;
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * An idempotent producer (one request in flight per broker, as kafkajs
 * requires) whose retries cannot move a keyless message to another partition,
 * with its {@linkcode PartitionLedger} attached (see {@linkcode ledgerOf}).
 * `options` may add a transactional id or retry settings.
 */
export function idempotentProducer(
  kafka: Kafka,
  options: Omit<ProducerConfig, "idempotent" | "maxInFlightRequests" | "createPartitioner"> = {},
): Producer {
  const ledger = new PartitionLedger();
  const producer = kafka.producer({
    ...options,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: () => RetryStablePartitioner(ledger),
  });
  attachLedger(producer, ledger);
  return producer;
}
