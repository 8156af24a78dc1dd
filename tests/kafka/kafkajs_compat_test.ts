/**
 * kafkajs 2.2.4 against the real Kafka 4 broker: admin, produce, consume in a
 * group with manual commits, and transactions. Kafka 4.0 removed old protocol
 * versions (KIP-896); these tests are the proof that our client still works.
 */
import assert from "node:assert/strict";
import { type Admin, createKafka, ensureTopics, withAdmin } from "../../lib/kafka/mod.ts";
import { clusterStatus } from "../../lib/kafka/mod.ts";
import type { TopicConfig } from "../../lib/config/mod.ts";
import { testKafkaConfig, unique, waitFor } from "../_kafka.ts";

const config = await testKafkaConfig();

function topic(name: string, partitions: number): TopicConfig {
  return {
    name,
    role: "raw",
    partitions,
    replicationFactor: 1,
    configs: { "retention.ms": "3600000", "cleanup.policy": "delete" },
    why: "test",
  };
}

async function describeRetention(admin: Admin, name: string): Promise<string | undefined> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: 2, name, configNames: ["retention.ms"] }], // 2 = TOPIC
  });
  return described.resources[0]?.configEntries.find((e) => e.configName === "retention.ms")
    ?.configValue;
}

Deno.test("admin creates topics with their partitions and configs, once", async () => {
  const kafka = createKafka(config, { clientId: "airq-test-admin" });
  const name = unique("airq.test.admin");
  await withAdmin(kafka, async (admin) => {
    assert.deepEqual(await ensureTopics(admin, [topic(name, 3)]), [name]);
    assert.deepEqual(
      await ensureTopics(admin, [topic(name, 3)]),
      [],
      "second call creates nothing",
    );
    const meta = await admin.fetchTopicMetadata({ topics: [name] });
    assert.equal(meta.topics[0]?.partitions.length, 3);
    assert.equal(await describeRetention(admin, name), "3600000");
  });
});

Deno.test("produce and consume in a group: every keyed message once, in order per key, offsets committed", async () => {
  const kafka = createKafka(config, { clientId: "airq-test-roundtrip" });
  const name = unique("airq.test.roundtrip");
  const groupId = unique("airq-test-group");
  await withAdmin(kafka, (admin) => ensureTopics(admin, [topic(name, 3)]));

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000 });
  const keys = ["st-a", "st-b", "st-c", "st-d"];
  const sent = keys.flatMap((key) =>
    Array.from({ length: 25 }, (_, i) => ({ key, value: JSON.stringify({ key, i }) }))
  );
  try {
    await producer.connect();
    await producer.send({ topic: name, acks: -1, messages: sent });

    const seen = new Map<string, number[]>();
    let count = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: name, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        const { key, i } = JSON.parse(message.value!.toString()) as { key: string; i: number };
        assert.equal(message.key?.toString(), key);
        seen.set(key, [...(seen.get(key) ?? []), i]);
        count++;
        await consumer.commitOffsets([
          { topic: name, partition, offset: (BigInt(message.offset) + 1n).toString() },
        ]);
      },
    });
    await waitFor(() => count >= sent.length, { what: "all messages" });
    await consumer.stop();
    for (const key of keys) {
      assert.deepEqual(seen.get(key), Array.from({ length: 25 }, (_, i) => i), `order for ${key}`);
    }
    assert.equal(count, sent.length, "no duplicates");

    await withAdmin(kafka, async (admin) => {
      const offsets = await admin.fetchOffsets({ groupId, topics: [name] });
      const committed = offsets[0]!.partitions.reduce(
        (sum, p) => sum + Math.max(0, Number(p.offset)),
        0,
      );
      assert.equal(committed, sent.length, "committed offsets cover every message");
      const status = await clusterStatus(admin, []);
      const group = status.groups.find((g) => g.group_id === groupId);
      assert.equal(group?.lag[name], 0, "no lag after committing everything");
    });
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
});

Deno.test("transactions: committed messages are visible to read_committed consumers, aborted ones are not", async () => {
  const kafka = createKafka(config, { clientId: "airq-test-tx" });
  const name = unique("airq.test.tx");
  await withAdmin(kafka, (admin) => ensureTopics(admin, [topic(name, 1)]));
  const producer = kafka.producer({
    transactionalId: unique("airq-test-tx"),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  const consumer = kafka.consumer({
    groupId: unique("airq-test-tx-group"),
    readUncommitted: false,
  });
  try {
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic: name, messages: [{ key: "k", value: "aborted" }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic: name, messages: [{ key: "k", value: "committed" }] });
    await committed.commit();

    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: name, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        values.push(message.value!.toString());
        return Promise.resolve();
      },
    });
    await waitFor(() => values.length >= 1, { what: "the committed message" });
    // give an aborted message every chance to show up before asserting it did not
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(values, ["committed"]);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
});
