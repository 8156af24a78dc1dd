/**
 * The forecaster's transactional sends (lib/realtime/commit.ts `sendAll`):
 * one request across the forecasts, estimates and alerts topics and their
 * partitions, split by size, each message placed on its key's partition as
 * kafkajs's own partitioner places it; and a partition that kafkajs 2.2.4
 * acknowledged without writing (a leader that moved mid-retry, the lost
 * readings of the hung-broker drill) is written before `sendAll` resolves,
 * i.e. before the transaction's offsets and commit.
 */
import assert from "node:assert/strict";
import {
  attachLedger,
  type Message,
  Partitioners,
  PartitionLedger,
  type RecordMetadata,
  RetryStablePartitioner,
  type Transaction,
} from "../../lib/kafka/mod.ts";
import { sendAll } from "../../lib/realtime/commit.ts";

const COUNTS: Record<string, number> = { forecasts: 6, estimates: 6, alerts: 3 };
const metadataOf = (topic: string) =>
  Array.from({ length: COUNTS[topic]! }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));

/**
 * A stand-in transaction placing messages as kafkajs does (with the
 * producer's partitioner and ledger); its first answer leaves out `omit`
 * ("topic/partition").
 */
function standIn(omit: string | null) {
  const ledger = new PartitionLedger();
  const place = RetryStablePartitioner(ledger);
  const requests: { topic: string; messages: Message[] }[][] = [];
  const landed: { topic: string; partition: number; message: Message }[] = [];
  const transaction = {
    send: () => Promise.reject(new Error("sendAll uses sendBatch")),
    sendBatch: ({ topicMessages }: { topicMessages: { topic: string; messages: Message[] }[] }) => {
      const first = requests.length === 0;
      requests.push(topicMessages);
      const written = new Map<string, RecordMetadata>();
      for (const { topic, messages } of topicMessages) {
        for (const message of messages) {
          const partition = place({ topic, partitionMetadata: metadataOf(topic), message });
          if (first && omit === `${topic}/${partition}`) continue;
          landed.push({ topic, partition, message });
          written.set(`${topic}/${partition}`, { topicName: topic, partition, errorCode: 0 });
        }
      }
      return Promise.resolve([...written.values()]);
    },
  } as unknown as Transaction;
  attachLedger(transaction, ledger);
  return { transaction, requests, landed };
}

const stations = Array.from({ length: 40 }, (_, i) => `station-${i}`);
const forecasts = stations.flatMap((key) =>
  [0, 1, 2].map((n) => ({ key, value: `${key}|${n}|${"x".repeat(300)}` }))
);
const alerts = stations.slice(0, 7).map((key) => ({ key, value: `${key}|alert` }));
const output = [
  { topic: "forecasts", messages: forecasts },
  { topic: "estimates", messages: [] },
  { topic: "alerts", messages: alerts },
];
/** kafkajs's own partition for a key. */
const partitionOf = (topic: string, key: string) =>
  Partitioners.DefaultPartitioner()({
    topic,
    partitionMetadata: metadataOf(topic),
    message: { key, value: "" },
  });

Deno.test("sendAll: requests across topics and partitions, split by size, each record on its key's partition, in order", async () => {
  const { transaction, requests, landed } = standIn(null);
  const count = await sendAll(transaction, output, 2_000);
  assert.equal(count, requests.length);
  assert.ok(requests.length > 6, `${requests.length} requests: the size limit split them`);
  assert.ok(
    requests.some((r) => new Set(r.map((t) => t.topic)).size === 2),
    "a request across the forecasts and alerts topics",
  );
  for (const r of requests) {
    const messages = r.flatMap((t) => t.messages);
    const bytes = messages.reduce((s, m) => s + 64 + String(m.value).length, 0);
    assert.ok(messages.length === 1 || bytes <= 2_000, `a request of ${bytes} bytes`);
    assert.ok(!r.some((t) => t.topic === "estimates"), "no messages for an empty topic");
    const partitions = new Set(r.flatMap((t) => t.messages.map((m) => `${t.topic}/${m.key}`)));
    assert.ok(partitions.size > 1, "one request spans several keys");
  }
  for (const [topic, sent] of [["forecasts", forecasts], ["alerts", alerts]] as const) {
    const got = landed.filter((l) => l.topic === topic);
    assert.equal(got.length, sent.length, `${topic}: every message once`);
    for (const { partition, message } of got) {
      assert.equal(partition, partitionOf(topic, String(message.key)), `${topic}: ${message.key}`);
    }
    for (const key of stations) {
      assert.deepEqual(
        got.filter((l) => l.message.key === key).map((l) => l.message.value),
        sent.filter((m) => m.key === key).map((m) => m.value),
        `${topic}: ${key}'s messages in order`,
      );
    }
  }
});

Deno.test("sendAll: a partition left unwritten is written before it resolves", async () => {
  const missing = partitionOf("alerts", "station-2");
  const { transaction, requests, landed } = standIn(`alerts/${missing}`);
  await sendAll(transaction, output, 1_000_000);
  assert.equal(requests.length, 2, "one request, then the missing partition's");
  assert.deepEqual(requests[1], [{
    topic: "alerts",
    messages: alerts.filter((m) => partitionOf("alerts", m.key) === missing),
  }]);
  const gotAlerts = landed.filter((l) => l.topic === "alerts").map((l) => l.message);
  assert.equal(gotAlerts.length, alerts.length, "every alert written once");
  assert.equal(landed.filter((l) => l.topic === "forecasts").length, forecasts.length);
});
