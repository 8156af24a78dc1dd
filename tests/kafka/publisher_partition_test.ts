/**
 * lib/kafka/publisher.ts on the real broker: each batch is one request across
 * the topic's partitions (checked for completeness by `sendComplete`), and
 * every message lands on the partition kafkajs's own partitioner gives its key,
 * which the producer's ledger records, in the order it was published.
 */
import assert from "node:assert/strict";
import {
  BatchPublisher,
  createKafka,
  ensureTopics,
  idempotentProducer,
  ledgerOf,
  Partitioners,
  withAdmin,
} from "../../lib/kafka/mod.ts";
import { partitionMetadata, testKafkaConfig, unique, waitFor } from "../_kafka.ts";

const config = await testKafkaConfig();
const PARTITIONS = 6;

Deno.test("BatchPublisher: one request a batch, each message on its key's partition, in order", async () => {
  const kafka = createKafka(config, { clientId: "airq-test-publisher-partitions", quiet: true });
  const topic = unique("airq.test.publisher");
  await withAdmin(
    kafka,
    (admin) =>
      ensureTopics(admin, [{
        name: topic,
        partitions: PARTITIONS,
        replicationFactor: 1,
        configs: {},
      }]),
  );
  const messages = Array.from({ length: 300 }, (_, i) => ({
    key: `station-${String(i % 10).padStart(3, "0")}`,
    value: String(i),
  }));
  const producer = idempotentProducer(kafka);
  await producer.connect();
  const publisher = new BatchPublisher(producer, {
    topic,
    batchSize: 100,
    lingerMs: 60_000, // batches by count only: 3 of 100
    compression: "none",
  });
  try {
    for (const m of messages) await publisher.publish(m);
    await publisher.flush();
  } finally {
    await producer.disconnect();
  }
  assert.equal(publisher.stats.sent, messages.length);
  assert.equal(publisher.stats.batches, 3, "one request per batch of 100, across partitions");

  const metadata = partitionMetadata(PARTITIONS);
  const kafkajsPartition = Partitioners.DefaultPartitioner();
  const ledger = ledgerOf(producer);
  const expected = new Map<number, string[]>();
  for (const message of messages) {
    const p = kafkajsPartition({ topic, partitionMetadata: metadata, message });
    assert.equal(ledger.partitionOf(message, topic), p, `${message.key}: the ledger's partition`);
    expected.set(p, [...(expected.get(p) ?? []), message.value]);
  }
  assert.ok(expected.size >= 3, `the keys cover ${expected.size} partitions`);

  const got = new Map<number, string[]>();
  const consumer = kafka.consumer({ groupId: unique("airq-test-read"), maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        got.set(partition, [...(got.get(partition) ?? []), String(message.value)]);
        return Promise.resolve();
      },
    });
    await waitFor(() => [...got.values()].flat().length >= messages.length, {
      what: "every message read back",
    });
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(
    new Map([...got].sort(([a], [b]) => a - b)),
    new Map([...expected].sort(([a], [b]) => a - b)),
    "each partition holds its keys' messages, in order",
  );
});
