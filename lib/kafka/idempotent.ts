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
 * partition are already placed the same way on every attempt.
 *
 * @module
 */
import {
  type ICustomPartitioner,
  type Kafka,
  type Message,
  Partitioners,
  type Producer,
  type ProducerConfig,
} from "./client.ts";

/**
 * kafkajs's default (Java-compatible murmur2) partitioner, except that a
 * keyless message keeps the partition it was first given for a topic, however
 * often the send that carries it is retried.
 */
export function RetryStablePartitioner(): ReturnType<ICustomPartitioner> {
  const partition = Partitioners.DefaultPartitioner();
  const chosen = new WeakMap<Message, Map<string, number>>();
  return (args) => {
    const { topic, message } = args;
    if (message.partition !== undefined && message.partition !== null) return partition(args);
    if (message.key !== undefined && message.key !== null) return partition(args);
    let byTopic = chosen.get(message);
    if (byTopic === undefined) chosen.set(message, byTopic = new Map());
    let p = byTopic.get(topic);
    if (p === undefined) byTopic.set(topic, p = partition(args));
    return p;
  };
}

/**
 * An idempotent producer (one request in flight per broker, as kafkajs
 * requires) whose retries cannot move a keyless message to another partition.
 * `options` may add a transactional id or retry settings.
 */
export function idempotentProducer(
  kafka: Kafka,
  options: Omit<ProducerConfig, "idempotent" | "maxInFlightRequests" | "createPartitioner"> = {},
): Producer {
  return kafka.producer({
    ...options,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: RetryStablePartitioner,
  });
}
