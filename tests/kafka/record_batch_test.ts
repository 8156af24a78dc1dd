/**
 * airq's record batch encoder (lib/kafka/record_batch.ts), which kafkajs uses
 * for every produce request: byte for byte what kafkajs's own encoders make,
 * for random batches of every kind of field (null, string and Buffer keys and
 * values, multi-byte UTF-8, headers with several values, timestamp deltas
 * beyond 32 bits, transactional and idempotent batches); installed in kafkajs;
 * and a transactional send through the real broker reads back intact.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  createKafka,
  encodeRecordBatch,
  kafkajsEncoders,
  prepareRecord,
  readAll,
  recordBatchInstalled,
} from "../../lib/kafka/mod.ts";
import type { RecordArgs } from "../../lib/kafka/record_batch.ts";
import { mulberry32 } from "../../lib/random.ts";
import { createTopic, testKafkaConfig } from "../_kafka.ts";

const TEXTS = ["", "a", "station-001", "µg/m³ ≥ 200 ✓", "x".repeat(200), '{"v":1.5}'];

function randomField(next: () => number): string | Buffer | null {
  const pick = next();
  if (pick < 0.2) return null;
  if (pick < 0.4) {
    return Buffer.from(Array.from({ length: Math.floor(next() * 300) }, () => 255 * next() | 0));
  }
  if (pick < 0.5) return "y".repeat(Math.floor(next() * 5000)); // a record past 4 KiB
  return TEXTS[Math.floor(next() * TEXTS.length)]!;
}

function randomRecord(next: () => number, i: number): RecordArgs {
  const headers: Record<string, string | Buffer | (string | Buffer)[]> = {};
  const n = Math.floor(next() * 3);
  for (let h = 0; h < n; h++) {
    const v = randomField(next) ?? "";
    headers[`h${h}-${TEXTS[h]}`] = next() < 0.3 ? [v, "second", Buffer.from([1, 2])] : v;
  }
  const big = next() < 0.1;
  const delta = big
    ? (next() < 0.5 ? -1 : 1) * (2 ** 40 + Math.floor(next() * 1e6))
    : Math.floor(next() * 1e6) - 1000;
  return {
    offsetDelta: i,
    timestampDelta: delta,
    key: randomField(next),
    value: randomField(next),
    headers,
  };
}

Deno.test("the record batch is byte for byte kafkajs's, for 300 random batches", async () => {
  const original = kafkajsEncoders();
  assert.ok(original !== null && recordBatchInstalled(), "installed before kafkajs loaded");
  const next = mulberry32(12);
  for (let b = 0; b < 300; b++) {
    const records = Array.from(
      { length: Math.floor(next() * 40) },
      (_, i) => randomRecord(next, i),
    );
    const head = {
      firstTimestamp: b % 3 === 0 ? String(1_700_000_000_000 + b) : 1_080_000_000_000 + b,
      maxTimestamp: 1_700_000_000_500 + b,
      producerId: b % 2 === 0 ? -1 : 4_000_000_000 + b,
      producerEpoch: b % 7,
      firstSequence: b * 11,
      transactional: b % 4 === 1,
      lastOffsetDelta: records.length - 1,
      partitionLeaderEpoch: b % 5,
    };
    const ours = await encodeRecordBatch({
      ...head,
      records: records.map((r) => prepareRecord(r)),
    });
    const theirs: { buf: Buffer; offset: number } = await original.RecordBatch({
      ...head,
      records: records.map((r) => original.Record(r)),
    });
    assert.deepEqual(
      Buffer.from(ours.buf.subarray(0, ours.offset)),
      Buffer.from(theirs.buf.subarray(0, theirs.offset)),
      `batch ${b} (${records.length} records)`,
    );
  }
});

Deno.test("a transactional send with headers reads back intact through the real broker", async () => {
  const kafka = createKafka(await testKafkaConfig());
  const topic = `t${crypto.randomUUID().slice(0, 8)}.batch`;
  await createTopic(kafka, topic, 2);
  const producer = kafka.producer({
    transactionalId: `${topic}.tx`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const values = Array.from(
    { length: 300 },
    (_, i) => `{"i":${i},"text":"${TEXTS[i % TEXTS.length]}"}`,
  );
  try {
    const tx = await producer.transaction();
    await tx.send({
      topic,
      messages: values.map((value, i) => ({
        key: `k${i % 7}`,
        value,
        headers: { "airq.produced_at": String(1_700_000_000_000 + i) },
      })),
    });
    await tx.commit();
  } finally {
    await producer.disconnect();
  }
  const read = await readAll(kafka, topic, values.length);
  assert.deepEqual(read.map((v) => new TextDecoder().decode(v)).sort(), [...values].sort());
});
