/**
 * kafkajs behind `bench clients`' interface, configured as airq uses it: the
 * idempotent producer with one request in flight and the Java-compatible
 * partitioner (lib/kafka/publisher.ts), and the forecaster's transactional
 * loop (lib/realtime/run.ts): `eachBatch` without auto-resolve, one
 * transactional producer per raw partition, `sendOffsets`, commit.
 *
 * @module
 */
import type { KafkaConfig } from "../config/mod.ts";
import { createKafka, type Message, Partitioners, type Producer } from "../kafka/mod.ts";
import {
  type ClientUnderTest,
  FETCH,
  type KeyedValue,
  MAX_BYTES_PER_SEND,
  splitBySize,
  type TransformOptions,
} from "./_clients_workload.ts";

/** kafkajs as a `ClientUnderTest`. */
export function kafkajsClient(config: KafkaConfig, version: string): ClientUnderTest {
  const kafka = createKafka(config, { clientId: "airq-bench-kafkajs" });
  const transactional = (transactionalId: string): Producer =>
    kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 30_000,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  return {
    name: "kafkajs",
    version,
    async produce(topic, messages, batch) {
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      try {
        for (let i = 0; i < messages.length; i += batch) {
          await producer.send({ topic, acks: -1, messages: messages.slice(i, i + batch) });
        }
      } finally {
        await producer.disconnect();
      }
    },
    async transform(o: TransformOptions) {
      const producers = new Map<number, Producer>();
      const consumer = kafka.consumer({
        groupId: o.groupId,
        readUncommitted: false,
        sessionTimeout: FETCH.sessionTimeoutMs,
        heartbeatInterval: FETCH.heartbeatIntervalMs,
        maxBytesPerPartition: FETCH.maxBytesPerPartition,
        maxWaitTimeInMs: FETCH.maxWaitTimeMs,
      });
      let done = 0;
      let transactions = 0;
      let firstAt = 0;
      let doneAt = 0;
      let finish!: () => void;
      let fail!: (error: unknown) => void;
      const finished = new Promise<void>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
      try {
        // connect = initTransactions, before the clock starts (as the forecaster does on join)
        for (let p = 0; p < o.partitions; p++) {
          const producer = transactional(`${o.transactionalId}.${p}`);
          await producer.connect();
          producers.set(p, producer);
        }
        await consumer.connect();
        await consumer.subscribe({ topic: o.raw, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          // at most `concurrency` partitions, so at most that many transactions, at once
          partitionsConsumedConcurrently: o.concurrency,
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
            if (firstAt === 0) firstAt = performance.now();
            const producer = producers.get(batch.partition)!;
            for (let i = 0; i < batch.messages.length; i += o.chunk) {
              if (!isRunning() || isStale()) return;
              const chunk = batch.messages.slice(i, i + o.chunk);
              const outputs: Message[] = chunk.map((m) =>
                o.transform({
                  partition: batch.partition,
                  offset: m.offset,
                  value: m.value?.toString() ?? "",
                })
              );
              const last = chunk[chunk.length - 1]!.offset;
              const transaction = await producer.transaction();
              try {
                for (const request of splitBySize(outputs as KeyedValue[], MAX_BYTES_PER_SEND)) {
                  await transaction.send({ topic: o.out, acks: -1, messages: request });
                }
                await transaction.sendOffsets({
                  consumerGroupId: o.groupId,
                  topics: [{
                    topic: o.raw,
                    partitions: [{ partition: batch.partition, offset: String(BigInt(last) + 1n) }],
                  }],
                });
                await transaction.commit();
                transactions++;
              } catch (error) {
                await transaction.abort().catch(() => {});
                fail(error);
                throw error;
              }
              resolveOffset(last);
              await heartbeat();
              done += chunk.length;
              if (done >= o.total) {
                doneAt = performance.now();
                finish();
              }
            }
          },
        });
        await finished;
        return { firstAt, doneAt, transactions };
      } finally {
        await consumer.disconnect();
        await Promise.all([...producers.values()].map((p) => p.disconnect()));
      }
    },
    async abortedTransaction(topic, transactionalId, messages) {
      const producer = transactional(transactionalId);
      await producer.connect();
      try {
        const transaction = await producer.transaction();
        await transaction.send({ topic, acks: -1, messages });
        await transaction.abort();
      } finally {
        await producer.disconnect();
      }
    },
  };
}
