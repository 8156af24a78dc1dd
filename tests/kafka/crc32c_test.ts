/**
 * airq's CRC-32C (lib/kafka/crc32c.ts), which kafkajs uses for every record
 * batch it writes: the same value as the checksum's bitwise definition, for
 * short and record-sized inputs; installed in kafkajs; and the real broker
 * (which checks every batch's CRC) accepts batches checksummed with it.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { crc32c, crc32cInstalled, createKafka, readAll } from "../../lib/kafka/mod.ts";
import { mulberry32 } from "../../lib/random.ts";
import { createTopic, testKafkaConfig } from "../_kafka.ts";

/** CRC-32C bit by bit, from its definition (reflected polynomial 0x82F63B78). */
function crcBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function randomBytes(n: number, next: () => number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

Deno.test("crc32c equals the bitwise definition at every length up to 70 and at record sizes", () => {
  const next = mulberry32(7);
  for (let n = 0; n <= 70; n++) {
    const bytes = randomBytes(n, next);
    assert.equal(crc32c(bytes), crcBitwise(bytes), `length ${n}`);
  }
  for (const n of [3485, 65_536 + 3]) {
    const bytes = randomBytes(n, next);
    assert.equal(crc32c(bytes), crcBitwise(bytes), `length ${n}`);
  }
  // the same bytes at an odd offset of a larger buffer (kafkajs checksums a slice)
  const big = randomBytes(1000, next);
  const slice = big.subarray(13, 997);
  assert.equal(crc32c(slice), crcBitwise(slice));
});

Deno.test("kafkajs checksums its record batches with airq's crc32c", () => {
  assert.ok(crc32cInstalled(), "installed before kafkajs loaded");
  const fromKafkajs = createRequire(createRequire(import.meta.url).resolve("kafkajs"));
  const kafkajsCrc = fromKafkajs("./src/protocol/recordBatch/crc32C/index.js") as (
    b: Uint8Array,
  ) => number;
  const bytes = new TextEncoder().encode('{"station_id":"station-001","value":1.25}');
  assert.equal(kafkajsCrc(bytes), crcBitwise(bytes));
  assert.equal(fromKafkajs("./src/protocol/recordBatch/crc32C/crc32C.js"), crc32c);
});

Deno.test("the broker accepts record batches checksummed by airq's crc32c", async () => {
  const kafka = createKafka(await testKafkaConfig());
  const topic = `t${crypto.randomUUID().slice(0, 8)}.crc`;
  await createTopic(kafka, topic);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const values = Array.from({ length: 200 }, (_, i) => `{"i":${i},"pad":"${"x".repeat(i * 7)}"}`);
  try {
    // the broker validates every batch's CRC and refuses a wrong one (CORRUPT_MESSAGE)
    await producer.send({ topic, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
  const read = await readAll(kafka, topic, values.length);
  assert.deepEqual(read.map((v) => new TextDecoder().decode(v)), values);
});
