/**
 * read_committed on the real broker when aborted transactions overlap: two
 * transactional producers write to one partition, the one that began second
 * aborts first. The broker lists aborted transactions in the order they ended
 * (its transaction index), not by first offset; kafkajs 2.2.4's own filter
 * then hands over the first one's records (a0-a2 here). airq replaces that
 * filter (lib/kafka/read_committed.ts).
 */
import assert from "node:assert/strict";
import { createKafka, readAll, readCommittedFixInstalled } from "../../lib/kafka/mod.ts";
import { createTopic, testKafkaConfig } from "../_kafka.ts";

Deno.test("read_committed skips overlapping aborted transactions that ended out of order", async () => {
  assert.ok(readCommittedFixInstalled(), "airq's filter replaced kafkajs's before it loaded");
  const kafka = createKafka(await testKafkaConfig());
  const topic = `t${crypto.randomUUID().slice(0, 8)}.overlap`;
  await createTopic(kafka, topic);
  const producer = (id: string) =>
    kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
  const a = producer(`${topic}.a`);
  const b = producer(`${topic}.b`);
  const c = producer(`${topic}.c`);
  await Promise.all([a.connect(), b.connect(), c.connect()]);
  try {
    const ta = await a.transaction();
    await ta.send({ topic, messages: [0, 1, 2].map((i) => ({ value: `a${i}` })) });
    const tb = await b.transaction();
    await tb.send({ topic, messages: [0, 1, 2].map((i) => ({ value: `b${i}` })) });
    await tb.abort(); // ends first, began second
    await ta.abort();
    const tc = await c.transaction();
    await tc.send({ topic, messages: [{ value: "c0" }] });
    await tc.commit();
    const values = (await readAll(kafka, topic, 1, { timeoutMs: 5_000 }))
      .map((v) => new TextDecoder().decode(v));
    assert.deepEqual(values, ["c0"]);
  } finally {
    await Promise.all([a.disconnect(), b.disconnect(), c.disconnect()]);
  }
});
