/**
 * `@platformatic/kafka` behind `bench clients`' interface, doing what the
 * kafkajs side does: an idempotent producer (acks=all, one request in flight,
 * the Java-compatible murmur2 partitioner) and the forecaster's transactional
 * loop. Its consumer is a stream of single messages; the loop drains what the
 * stream has buffered, groups it by partition into chunks and runs one
 * transaction per chunk on that partition's producer (`addConsumer` +
 * `addOffset` = AddOffsetsToTxn + TxnOffsetCommit, with the group's
 * generation and member id).
 *
 * @module
 */
import type { KafkaConfig } from "../config/mod.ts";
import {
  compatibilityPartitioner,
  Consumer,
  FetchIsolationLevels,
  type Message,
  platformaticOptions,
  Producer,
  stringDeserializers,
  stringSerializers,
} from "../kafka/platformatic.ts";
import {
  type ClientUnderTest,
  FETCH,
  type KeyedValue,
  MAX_BYTES_PER_SEND,
  runLimited,
  splitBySize,
  type TransformOptions,
} from "./_clients_workload.ts";

type StringMessage = Message<string, string, string, string>;

/** `@platformatic/kafka` as a `ClientUnderTest`. */
export function platformaticClient(config: KafkaConfig, version: string): ClientUnderTest {
  const base = platformaticOptions(config, "airq-bench-platformatic");
  const producer = (transactionalId?: string) =>
    new Producer<string, string, string, string>({
      ...base,
      ...(transactionalId === undefined ? {} : { transactionalId }),
      idempotent: true,
      acks: -1,
      partitioner: compatibilityPartitioner,
      serializers: stringSerializers,
    });
  return {
    name: "@platformatic/kafka",
    version,
    async produce(topic, messages, batch) {
      const p = producer();
      try {
        for (let i = 0; i < messages.length; i += batch) {
          await p.send({ messages: messages.slice(i, i + batch).map((m) => ({ topic, ...m })) });
        }
      } finally {
        await p.close();
      }
    },
    async transform(o: TransformOptions) {
      const producers = new Map<number, Producer<string, string, string, string>>();
      for (let p = 0; p < o.partitions; p++) {
        producers.set(p, producer(`${o.transactionalId}.${p}`));
      }
      const consumer = new Consumer<string, string, string, string>({
        ...base,
        groupId: o.groupId,
        deserializers: stringDeserializers,
        sessionTimeout: FETCH.sessionTimeoutMs,
        heartbeatInterval: FETCH.heartbeatIntervalMs,
        maxBytesPerPartition: FETCH.maxBytesPerPartition,
        maxWaitTime: FETCH.maxWaitTimeMs,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
        autocommit: false,
      });
      let transactions = 0;
      const commitChunk = async (partition: number, chunk: StringMessage[]) => {
        const outputs = chunk.map((m) =>
          o.transform({ partition, offset: String(m.offset), value: m.value })
        );
        const transaction = await producers.get(partition)!.beginTransaction();
        try {
          for (const request of splitBySize(outputs as KeyedValue[], MAX_BYTES_PER_SEND)) {
            await transaction.send({ messages: request.map((m) => ({ topic: o.out, ...m })) });
          }
          await transaction.addConsumer(consumer);
          await transaction.addOffset(chunk[chunk.length - 1]!);
          await transaction.commit();
          transactions++;
        } catch (error) {
          await transaction.abort().catch(() => {});
          throw error;
        }
      };
      try {
        const stream = await consumer.consume({
          topics: [o.raw],
          mode: "committed",
          fallbackMode: "earliest",
          autocommit: false,
          isolationLevel: FetchIsolationLevels.READ_COMMITTED,
        });
        const queue = queueOf(stream, 12_000);
        let firstAt = 0;
        let done = 0;
        try {
          while (done < o.total) {
            const fetched = await queue.take();
            if (firstAt === 0) firstAt = performance.now();
            const byPartition = new Map<number, StringMessage[]>();
            for (const m of fetched) {
              const list = byPartition.get(m.partition) ?? [];
              list.push(m);
              byPartition.set(m.partition, list);
            }
            // each partition's chunks in order, at most `concurrency` partitions at once
            const jobs = [...byPartition].map(([partition, list]) => async () => {
              for (let i = 0; i < list.length; i += o.chunk) {
                const chunk = list.slice(i, i + o.chunk);
                await commitChunk(partition, chunk);
                done += chunk.length;
              }
            });
            await runLimited(jobs, o.concurrency);
          }
          return { firstAt, doneAt: performance.now(), transactions };
        } finally {
          await stream.close();
        }
      } finally {
        await consumer.close(true);
        await Promise.all([...producers.values()].map((p) => p.close()));
      }
    },
    async abortedTransaction(topic, transactionalId, messages) {
      const p = producer(transactionalId);
      try {
        const transaction = await p.beginTransaction();
        await transaction.send({ messages: messages.map((m) => ({ topic, ...m })) });
        await transaction.abort();
      } finally {
        await p.close();
      }
    },
  };
}

/**
 * The stream in flowing mode, its messages queued for the loop: `take()`
 * returns everything queued, waiting for the next message when nothing is.
 * The stream is paused while `limit` messages wait. (Reading it in paused mode
 * with `read()` and 'readable' stalled: the stream stopped fetching before the
 * end of the topic.)
 */
function queueOf(
  stream: {
    on(event: "data", listener: (m: StringMessage) => void): unknown;
    on(event: "error", listener: (error: Error) => void): unknown;
    pause(): unknown;
    resume(): unknown;
  },
  limit: number,
): { take(): Promise<StringMessage[]> } {
  let queue: StringMessage[] = [];
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  stream.on("data", (m) => {
    queue.push(m);
    if (queue.length >= limit) stream.pause();
    wake?.();
  });
  stream.on("error", (error) => {
    failure = error;
    wake?.();
  });
  return {
    async take() {
      while (queue.length === 0 && failure === null) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      if (failure !== null) throw failure;
      const out = queue;
      queue = [];
      stream.resume();
      return out;
    },
  };
}
