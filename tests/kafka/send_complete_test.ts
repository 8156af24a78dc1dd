/**
 * `sendComplete` and the partition ledger (lib/kafka/idempotent.ts), on a
 * stand-in sender that places messages with the producer's own partitioner,
 * as kafkajs does, and answers with one RecordMetadata per partition written,
 * except the partitions it is told to leave out: kafkajs 2.2.4 resolves a send
 * without a partition whose leader moved to a broker that had already
 * answered (tulios/kafkajs#1303). Exactly the missing partitions' messages
 * are sent again, in order; a send that stays incomplete fails.
 */
import assert from "node:assert/strict";
import {
  type BatchSender,
  IncompleteSendError,
  type Message,
  Partitioners,
  PartitionLedger,
  type RecordMetadata,
  RetryStablePartitioner,
  sendComplete,
  type TopicMessages,
} from "../../lib/kafka/mod.ts";
import { partitionMetadata } from "../_kafka.ts";

const PARTITIONS = 6;
const metadata = partitionMetadata(PARTITIONS);

/**
 * A sender whose producer places messages with `RetryStablePartitioner`
 * into `ledger`, and whose answer to call `i` leaves out `omit(i)`'s
 * partitions (as "topic/partition").
 */
function standIn(omit: (call: number) => readonly string[]) {
  const ledger = new PartitionLedger();
  const place = RetryStablePartitioner(ledger);
  const requests: TopicMessages[][] = [];
  const sender: BatchSender = {
    sendBatch: ({ topicMessages }) => {
      const call = requests.length;
      requests.push(topicMessages!.map(({ topic, messages }) => ({ topic, messages })));
      const written = new Map<string, RecordMetadata>();
      for (const { topic, messages } of topicMessages!) {
        for (const message of messages) {
          const partition = place({ topic, partitionMetadata: metadata, message });
          const id = `${topic}/${partition}`;
          if (omit(call).includes(id)) continue;
          written.set(id, { topicName: topic, partition, errorCode: 0, baseOffset: "0" });
        }
      }
      return Promise.resolve([...written.values()]);
    },
  };
  return { ledger, sender, requests };
}

/** kafkajs's own choice for a keyed message. */
const kafkajsPartition = (topic: string, message: Message) =>
  Partitioners.DefaultPartitioner()({ topic, partitionMetadata: metadata, message });

const readings = Array.from({ length: 60 }, (_, i) => ({
  key: `station-${i % 12}`,
  value: `reading ${i}`,
}));

Deno.test("sendComplete: a partition missing from the answer is sent again, exactly its messages, in order", async () => {
  const missing = kafkajsPartition("raw", readings[0]!);
  const { ledger, sender, requests } = standIn((call) => call === 0 ? [`raw/${missing}`] : []);
  const requestCount = await sendComplete(sender, ledger, [{ topic: "raw", messages: readings }]);

  assert.equal(requestCount, 2);
  assert.equal(requests.length, 2);
  assert.equal(
    requests[0]![0]!.messages.length,
    readings.length,
    "one request for every partition",
  );
  const expected = readings.filter((m) => kafkajsPartition("raw", m) === missing);
  assert.ok(expected.length > 0 && expected.length < readings.length);
  assert.deepEqual(requests[1], [{ topic: "raw", messages: expected }]);
  // the same objects, so the same partition and the same idempotent batch
  requests[1]![0]!.messages.forEach((m, i) => assert.equal(m, expected[i]));
});

Deno.test("sendComplete: across topics, only the missing (topic, partition) goes again", async () => {
  const alerts = readings.slice(0, 12).map((m) => ({ key: m.key, value: `alert ${m.value}` }));
  const p = kafkajsPartition("alerts", alerts[3]!);
  const { ledger, sender, requests } = standIn((call) => call === 0 ? [`alerts/${p}`] : []);
  await sendComplete(sender, ledger, [
    { topic: "raw", messages: readings },
    { topic: "alerts", messages: alerts },
  ]);
  assert.equal(requests.length, 2);
  assert.deepEqual(requests[0]!.map((t) => t.topic), ["raw", "alerts"], "one request, both topics");
  assert.deepEqual(requests[1], [{
    topic: "alerts",
    messages: alerts.filter((m) => kafkajsPartition("alerts", m) === p),
  }]);
});

Deno.test("sendComplete: gives up after its rounds, naming the partition", async () => {
  const missing = kafkajsPartition("raw", readings[5]!);
  const { ledger, sender, requests } = standIn(() => [`raw/${missing}`]);
  const failure = await sendComplete(sender, ledger, [{ topic: "raw", messages: readings }], {
    rounds: 3,
  }).then(() => null, (error: unknown) => error);
  assert.ok(failure instanceof IncompleteSendError, String(failure));
  assert.equal(requests.length, 3);
  const n = readings.filter((m) => kafkajsPartition("raw", m) === missing).length;
  assert.deepEqual(failure.missing, [{ topic: "raw", partition: missing, messages: n }]);
  assert.match(failure.message, new RegExp(`raw\\[${missing}\\] \\(${n} messages\\)`));
});

Deno.test("sendComplete: requests of at most maxBytes, one after another, every message once in order", async () => {
  const { ledger, sender, requests } = standIn(() => []);
  const big = readings.map((m) => ({ ...m, value: `${m.value}|${"x".repeat(300)}` }));
  const count = await sendComplete(sender, ledger, [
    { topic: "raw", messages: big },
    { topic: "empty", messages: [] },
    { topic: "alerts", messages: big.slice(0, 7) },
  ], { maxBytes: 2_000 });
  assert.equal(count, requests.length);
  assert.ok(requests.length > 6, `${requests.length} requests`);
  for (const r of requests) {
    const bytes = r.flatMap((t) => t.messages).reduce((s, m) => s + 64 + String(m.value).length, 0);
    assert.ok(bytes <= 2_000, `a request of ${bytes} bytes`);
    assert.ok(!r.some((t) => t.topic === "empty" || t.messages.length === 0));
  }
  const sent = (topic: string) =>
    requests.flat().filter((t) => t.topic === topic).flatMap((t) => t.messages);
  assert.deepEqual(sent("raw"), big);
  assert.deepEqual(sent("alerts"), big.slice(0, 7));
});

Deno.test("RetryStablePartitioner: records kafkajs's choice for keyed messages, a stable one for keyless", () => {
  const ledger = new PartitionLedger();
  const place = RetryStablePartitioner(ledger);
  for (const message of readings) {
    const p = place({ topic: "raw", partitionMetadata: metadata, message });
    assert.equal(p, kafkajsPartition("raw", message), `${message.key}: kafkajs's own partition`);
    assert.equal(ledger.partitionOf(message, "raw"), p);
    assert.equal(ledger.partitionOf(message, "other"), undefined, "recorded per topic");
  }
  const explicit = { partition: 4, key: "station-1", value: "x" };
  assert.equal(place({ topic: "raw", partitionMetadata: metadata, message: explicit }), 4);
  assert.equal(ledger.partitionOf(explicit, "raw"), 4);

  // keyless: kafkajs's round-robin moves on every call; the first choice is kept
  const keyless = Array.from({ length: 12 }, (_, i) => ({ key: null, value: `keyless ${i}` }));
  const first = keyless.map((message) =>
    place({ topic: "raw", partitionMetadata: metadata, message })
  );
  assert.ok(new Set(first).size > 1, "keyless messages still spread over partitions");
  for (let attempt = 0; attempt < 5; attempt++) {
    keyless.forEach((message, i) => {
      assert.equal(place({ topic: "raw", partitionMetadata: metadata, message }), first[i]);
      assert.equal(ledger.partitionOf(message, "raw"), first[i]);
    });
  }
});
