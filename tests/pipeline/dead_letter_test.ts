/**
 * Malformed messages of every kind, interleaved with valid ones, through the
 * real consumer loop on the real broker: each bad one lands in the dead-letter
 * topic with its original bytes, a reason and its source position; each good
 * one is stored; the consumer never stops.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { createKafka, ensureTopics, idempotentProducer, withAdmin } from "../../lib/kafka/mod.ts";
import { runConsumer } from "../../lib/pipeline/consume.ts";
import { Metrics } from "../../lib/metrics/mod.ts";
import { openSqliteStore } from "../../lib/storage/mod.ts";
import { MEASUREMENT_FIELDS } from "../../lib/records/mod.ts";
import { pipelineContext } from "../_pipeline.ts";
import { waitFor } from "../_kafka.ts";

function reading(station: string, hour: number, overrides: Record<string, unknown> = {}) {
  const measurements = Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, 1]));
  return {
    schema_version: 1,
    station_id: station,
    ts: `2004-03-11T${String(hour).padStart(2, "0")}:00:00+01:00`,
    measurements,
    ...overrides,
  };
}

Deno.test("every kind of malformed message goes to the dead-letter topic with a reason; valid ones around them are stored", async () => {
  const ctx = await pipelineContext();
  const kafka = createKafka(ctx.kafka, { clientId: "airq-test-dlq" });
  const store = await openSqliteStore(join(ctx.dir, "airq.db"));
  const bad: { key: string | null; value: Buffer | null; reason: string }[] = [
    { key: "station-x", value: Buffer.from("not json at all"), reason: "invalid_json" },
    { key: "station-x", value: Buffer.from("[1,2,3]"), reason: "schema" },
    {
      key: "station-x",
      value: Buffer.from(
        JSON.stringify(reading("station-x", 1, { measurements: { co_mg_m3: "high" } })),
      ),
      reason: "schema",
    },
    {
      key: "station-x",
      value: Buffer.from(JSON.stringify({ schema_version: 1, station_id: "station-x" })),
      reason: "schema",
    },
    {
      key: "station-x",
      value: Buffer.from(JSON.stringify(reading("station-x", 2, { schema_version: 99 }))),
      reason: "unknown_schema_version",
    },
    {
      key: "someone-else",
      value: Buffer.from(JSON.stringify(reading("station-x", 3))),
      reason: "bad_key",
    },
    { key: null, value: Buffer.from(JSON.stringify(reading("station-x", 4))), reason: "bad_key" },
    {
      key: "station-x",
      value: Buffer.from(JSON.stringify(reading("station-x", 5, { ts: "1900-01-01T00:00:00Z" }))),
      reason: "bad_timestamp",
    },
    {
      key: "station-x",
      value: Buffer.from(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])),
      reason: "invalid_utf8",
    },
    {
      key: "station-x",
      value: Buffer.from(JSON.stringify({ pad: "x".repeat(300_000) })),
      reason: "too_large",
    },
    { key: "station-x", value: null, reason: "empty_value" },
  ];
  // valid ones, one of them absurd (stored, flagged) and one an outage (stored)
  const absurd = reading("station-x", 10, {
    measurements: { ...reading("station-x", 0).measurements, co_mg_m3: 5000 },
  });
  const outage = reading("station-x", 11, {
    measurements: Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, null])),
  });
  const good = [
    reading("station-x", 8),
    reading("station-x", 9),
    absurd,
    outage,
    reading("station-x", 12),
  ];
  const messages = [];
  for (let i = 0; i < Math.max(bad.length, good.length); i++) {
    if (good[i]) messages.push({ key: "station-x", value: Buffer.from(JSON.stringify(good[i])) });
    if (bad[i]) messages.push({ key: bad[i]!.key, value: bad[i]!.value });
  }
  // idempotent, and a retry keeps the keyless message on its partition: a retried send
  // writes nothing twice (the counts below are exact; lib/kafka/idempotent.ts)
  const producer = idempotentProducer(kafka);
  const controller = new AbortController();
  const metrics = new Metrics();
  try {
    await producer.connect();
    await withAdmin(kafka, (admin) => ensureTopics(admin, ctx.topics));
    await producer.send({ topic: ctx.raw, messages });

    const summary = await runConsumer({
      kafka: ctx.kafka,
      config: ctx.consumer,
      groupId: `airq-test-${ctx.prefix}`,
      rawTopic: ctx.raw,
      deadLetterTopic: ctx.deadLetter,
      alertsTopic: ctx.alerts,
      topics: ctx.topics,
      store,
      rules: ctx.rules,
      exitWhenIdleMs: 1500,
      signal: controller.signal,
      metrics,
    });
    assert.equal(summary.outcome, "idle");
    // /metrics counts the same: validation failures by reason, dead letters, readings stored
    const failures = (await metrics.consumer.validationFailures.get()).values;
    const byReason = (reason: string) =>
      failures.find((v) => v.labels["reason"] === reason)?.value ?? 0;
    for (const reason of new Set(bad.map((b) => b.reason))) {
      const expected = bad.filter((b) => b.reason === reason).length;
      assert.ok(byReason(reason) >= expected, `${reason}: ${byReason(reason)} < ${expected}`);
    }
    assert.equal(failures.reduce((a, v) => a + v.value, 0), summary.dead_letters);
    assert.equal((await metrics.consumer.deadLetters.get()).values[0]!.value, summary.dead_letters);
    assert.equal((await metrics.consumer.stored.get()).values[0]!.value, good.length);
    // delivery is at least once (a rebalance may redeliver a batch); storage is exactly once
    assert.ok(summary.consumed >= messages.length, `consumed ${summary.consumed}`);
    assert.equal(summary.stored, good.length);

    const stored = await store.readings({ station_id: "station-x" });
    assert.equal(stored.length, good.length);
    const flaggedCo = stored.find((r) => r.ts.startsWith("2004-03-11T10"))!;
    assert.ok(flaggedCo.flags.co_mg_m3?.includes("implausible"), "absurd value flagged");
    assert.equal(stored.find((r) => r.ts.startsWith("2004-03-11T11"))!.status, "outage");
    assert.equal((await store.summary()).dead_letters, bad.length);

    // the dead-letter topic: original bytes, reason and source position in headers
    const seen: { reason: string; value: Buffer | null; offset: string }[] = [];
    const reader = kafka.consumer({ groupId: `airq-test-dlq-reader-${ctx.prefix}` });
    try {
      await reader.connect();
      await reader.subscribe({ topic: ctx.deadLetter, fromBeginning: true });
      await reader.run({
        eachMessage: ({ message }) => {
          const h = message.headers ?? {};
          assert.equal(String(h["airq.source.topic"]), ctx.raw);
          assert.match(String(h["airq.detail"]), /\S/);
          seen.push({
            reason: String(h["airq.reason"]),
            value: message.value,
            offset: String(h["airq.source.offset"]),
          });
          return Promise.resolve();
        },
      });
      await waitFor(() => seen.length >= bad.length, { what: "dead letters" });
    } finally {
      await reader.disconnect();
    }
    // the topic is at least once: a redelivered bad message is published again with the
    // same source offset, so compare one entry per source position
    const once = [...new Map(seen.map((s) => [s.offset, s])).values()];
    assert.deepEqual(once.map((s) => s.reason).sort(), bad.map((b) => b.reason).sort());
    for (const b of bad) {
      const match = seen.find((s) =>
        s.reason === b.reason && (b.value === null ? s.value === null : s.value?.equals(b.value))
      );
      assert.ok(match, `original bytes of a ${b.reason} message kept`);
    }
  } finally {
    controller.abort();
    await producer.disconnect();
    await store.close();
    await Deno.remove(ctx.dir, { recursive: true });
  }
});
