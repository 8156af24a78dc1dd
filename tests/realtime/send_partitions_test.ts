/**
 * The forecaster's transactional sends (lib/realtime/commit.ts `sendAll`)
 * never put two partitions in one request: kafkajs 2.2.4 could resolve such a
 * send without writing a partition whose leader moved mid-retry (the lost
 * acknowledged readings of the hung-broker drill), and inside a transaction
 * that would commit the offsets of readings whose forecasts were never
 * written. Each partition's messages keep their order, split by size.
 */
import assert from "node:assert/strict";
import { byPartition, type Message, type Transaction } from "../../lib/kafka/mod.ts";
import { sendAll } from "../../lib/realtime/commit.ts";

Deno.test("sendAll: one partition per request, every message once, in order, split by size", async () => {
  const requests: { topic: string; messages: Message[] }[] = [];
  const transaction = {
    send: ({ topic, messages }: { topic: string; messages: Message[] }) => {
      requests.push({ topic, messages });
      return Promise.resolve([]);
    },
    sendBatch: () => Promise.reject(new Error("sendBatch spans partitions")),
  } as unknown as Transaction;
  const stations = Array.from({ length: 40 }, (_, i) => `station-${i}`);
  const forecasts = stations.flatMap((key) =>
    [0, 1, 2].map((n) => ({ key, value: `${key}|${n}|${"x".repeat(300)}` }))
  );
  const alerts = stations.slice(0, 7).map((key) => ({ key, value: `${key}|alert` }));
  await sendAll(
    transaction,
    [
      { topic: "forecasts", messages: forecasts },
      { topic: "estimates", messages: [] },
      { topic: "alerts", messages: alerts },
    ],
    (topic) => (topic === "alerts" ? 3 : 6),
    2_000,
  );

  // byPartition's groups of all stations: one group per partition, so membership names it
  const groups = (n: number) => byPartition(stations.map((key) => ({ key, value: "" })), n);
  const partitionsOf = { forecasts: groups(6), alerts: groups(3) } as Record<string, Message[][]>;
  const partitionOf = (topic: string, key: string) =>
    partitionsOf[topic]!.findIndex((g) => g.some((m) => m.key === key));
  for (const r of requests) {
    const parts = new Set(r.messages.map((m) => partitionOf(r.topic, String(m.key))));
    assert.equal(parts.size, 1, `a request to ${r.topic} spans partitions ${[...parts]}`);
    const bytes = r.messages.reduce((s, m) => s + 64 + String(m.value).length, 0);
    assert.ok(r.messages.length === 1 || bytes <= 2_000, `a request of ${bytes} bytes`);
  }
  assert.ok(!requests.some((r) => r.topic === "estimates"), "no request for an empty topic");
  for (const [topic, sent] of [["forecasts", forecasts], ["alerts", alerts]] as const) {
    const got = requests.filter((r) => r.topic === topic).flatMap((r) => r.messages);
    assert.equal(got.length, sent.length, `${topic}: every message once`);
    for (const key of stations) {
      assert.deepEqual(
        got.filter((m) => m.key === key).map((m) => m.value),
        sent.filter((m) => m.key === key).map((m) => m.value),
        `${topic}: ${key}'s messages in order`,
      );
    }
  }
  assert.ok(requests.length > 6, `${requests.length} requests: the size limit split partitions`);
});
