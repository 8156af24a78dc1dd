/**
 * The batching publisher (lib/kafka/publisher.ts) on a stand-in producer
 * whose requests are acknowledged by hand: messages that queued behind a
 * request go as soon as it is acknowledged when they have waited their
 * linger time, not a linger time later (that added up to `lingerMs` to the
 * latency of every reading that arrived during a request), and a young
 * queue still waits out its linger.
 */
import assert from "node:assert/strict";
import { BatchPublisher } from "../../lib/kafka/publisher.ts";
import { attachLedger, PartitionLedger } from "../../lib/kafka/idempotent.ts";
import type { Message, Producer, RecordMetadata } from "../../lib/kafka/client.ts";

/**
 * A publisher with `lingerMs` on a stand-in producer of one partition, its
 * requests and their acknowledgements (the partition written, in kafkajs's
 * answer, which the publisher checks against the producer's ledger).
 */
function standIn(lingerMs: number) {
  const sent: Message[][] = [];
  const acks: (() => void)[] = [];
  const ledger = new PartitionLedger();
  const producer = {
    sendBatch: ({ topicMessages }: { topicMessages: { topic: string; messages: Message[] }[] }) => {
      const { topic, messages } = topicMessages[0]!;
      for (const m of messages) ledger.record(m, topic, 0);
      sent.push(messages);
      const written: RecordMetadata[] = [{ topicName: topic, partition: 0, errorCode: 0 }];
      return new Promise<RecordMetadata[]>((resolve) => acks.push(() => resolve(written)));
    },
  } as unknown as Producer;
  attachLedger(producer, ledger);
  const publisher = new BatchPublisher(producer, {
    topic: "t",
    batchSize: 100,
    lingerMs,
    compression: "none",
  });
  return { publisher, sent, acks };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await sleep(10);
}
const ticks = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

Deno.test("publisher: a queue that waited behind a request goes when the request is acknowledged", async () => {
  const { publisher, sent, acks } = standIn(5);
  await publisher.publish({ value: "1" });
  await until(() => sent.length === 1);
  assert.equal(sent.length, 1, "the first message goes after its linger");
  await publisher.publish({ value: "2" });
  await publisher.publish({ value: "3" });
  await sleep(30);
  assert.equal(sent.length, 1, "one request at a time");
  acks[0]!();
  await ticks();
  assert.deepEqual(sent[1]?.map((m) => m.value), ["2", "3"], "sent on the acknowledgement");
  acks[1]!();
  await ticks();
  assert.equal(publisher.stats.sent, 3);
});

Deno.test("publisher: a young queue behind a request still waits out its linger", async () => {
  const { publisher, sent, acks } = standIn(200);
  await publisher.publish({ value: "1" });
  await until(() => sent.length === 1);
  assert.equal(sent.length, 1);
  await publisher.publish({ value: "2" });
  acks[0]!();
  await ticks();
  assert.equal(sent.length, 1, "2 has waited less than 200 ms");
  const flushed = publisher.flush();
  await ticks();
  assert.equal(sent.length, 2, "flush sends at once");
  acks[1]!();
  await flushed;
  assert.equal(publisher.stats.sent, 2);
});
