/**
 * The shared stream loop (lib/kafka/stream.ts) on the real broker: a batch
 * handled chunk by chunk for longer than `exitWhenIdleMs` is not idleness
 * (the forecaster once stopped after 1,000 of 2,247 readings when it was),
 * and the idle exit still comes once nothing is being handled.
 */
import assert from "node:assert/strict";
import type { TopicConfig } from "../../lib/config/mod.ts";
import {
  createKafka,
  ensureTopics,
  idempotentProducer,
  runStream,
  withAdmin,
} from "../../lib/kafka/mod.ts";
import { testKafkaConfig, unique } from "../_kafka.ts";

const config = await testKafkaConfig();

Deno.test("runStream: a long batch handled chunk by chunk is not idle; the run ends idle after it", async () => {
  const kafka = createKafka(config, { clientId: "airq-test-stream" });
  const topic: TopicConfig = {
    name: unique("airq-test-stream"),
    role: "raw",
    partitions: 1,
    replicationFactor: 1,
    configs: {},
    why: "test",
  };
  await withAdmin(kafka, (admin) => ensureTopics(admin, [topic]));
  const producer = idempotentProducer(kafka);
  await producer.connect();
  try {
    await producer.send({
      topic: topic.name,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: "s", value: String(i) })),
    });
  } finally {
    await producer.disconnect();
  }
  const CHUNK_MS = 150;
  let handled = 0;
  let stoppedEarly = false;
  const controller = new AbortController();
  const guard = setTimeout(() => controller.abort(), 30_000);
  const t0 = performance.now();
  const run = await runStream({
    kafka,
    name: "test",
    topic: topic.name,
    group: {
      groupId: unique("airq-test-stream-group"),
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
      maxBytesPerPartition: 1_048_576,
      maxWaitTimeMs: 50,
    },
    // every message is its own chunk of 150 ms: the batch lasts 1.5 s, the idle limit is 0.4 s
    eachBatch: async (payload) => {
      for (const m of payload.batch.messages) {
        if (!payload.isRunning() || payload.isStale()) {
          stoppedEarly = true;
          return;
        }
        await new Promise((r) => setTimeout(r, CHUNK_MS));
        handled++;
        payload.resolveOffset(m.offset);
        await payload.heartbeat();
      }
    },
    exitWhenIdleMs: 400,
    signal: controller.signal,
  });
  clearTimeout(guard);
  assert.equal(run.outcome, "idle");
  assert.equal(stoppedEarly, false, `the run stopped mid-batch after ${handled} of 10`);
  assert.equal(handled, 10);
  assert.ok(performance.now() - t0 >= 10 * CHUNK_MS + 400);
});
