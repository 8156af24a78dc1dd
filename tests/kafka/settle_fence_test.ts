/**
 * Settling a partition's offset (`TransactionalProducers.committedOffset`) fences the previous
 * producer of the partition's transactional id, on the real broker: a transaction left open by it
 * (a zombie member, or this process before a failed commit) is aborted before the group's offset
 * is read, and can no longer commit. kafkajs 2.2.4 sends the transactional InitProducerId at a
 * producer's first `transaction()`, not at `connect()`; a settle that only connected read the
 * offset while such a transaction could still commit, and the forecaster then forecast its
 * readings a second time (250 twice in a short hung-broker drill of CI).
 */
import assert from "node:assert/strict";
import { createKafka, readAll, TransactionalProducers, withAdmin } from "../../lib/kafka/mod.ts";
import { createTopic, testKafkaConfig, unique } from "../_kafka.ts";

const config = await testKafkaConfig();

Deno.test("committedOffset() fences the previous producer: its open transaction cannot commit after", async () => {
  const kafka = createKafka(config, { clientId: "airq-test-settle-fence" });
  const input = { name: unique("airq-test-fence-in") };
  const output = { name: unique("airq-test-fence-out") };
  await createTopic(kafka, input.name);
  await createTopic(kafka, output.name);
  const groupId = unique("airq-test-fence-group");
  await withAdmin(
    kafka,
    (admin) =>
      admin.setOffsets({ groupId, topic: input.name, partitions: [{ partition: 0, offset: "5" }] }),
  );
  const prefix = unique("airq-test-fence-tx");
  // the previous owner: readings 5..8 forecast and their offset sent, the commit not yet done
  const zombie = kafka.producer({
    transactionalId: `${prefix}.0`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await zombie.connect();
  const open = await zombie.transaction();
  await open.send({ topic: output.name, messages: [{ key: "s", value: "forecasts of 5..8" }] });
  await open.sendOffsets({
    consumerGroupId: groupId,
    topics: [{ topic: input.name, partitions: [{ partition: 0, offset: "9" }] }],
  });
  const producers = new TransactionalProducers({
    kafka,
    transactionalIdPrefix: prefix,
    groupId,
    topic: input.name,
    retry: { initialRetryTime: 20, retries: 10 },
  });
  try {
    assert.equal(await producers.committedOffset(0), 5n);
    // fenced: had it committed now, readings 5..8 would be forecast twice from offset 5
    await assert.rejects(open.commit());
    const [group] = await withAdmin(
      kafka,
      (admin) => admin.fetchOffsets({ groupId, topics: [input.name] }),
    );
    assert.equal(group!.partitions[0]!.offset, "5");
    // read_committed: none of the zombie's records (3 s to show one)
    assert.deepEqual(await readAll(kafka, output.name, 1, { timeoutMs: 3000 }), []);
  } finally {
    await zombie.disconnect().catch(() => {});
    await producers.closeAll();
  }
});
