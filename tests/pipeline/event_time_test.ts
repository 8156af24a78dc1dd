/**
 * Event time on raw records (issue 14, part 6), on the real broker: the
 * `produce` task stamps each record with the reading's `ts` (CreateTime), so
 * Kafka's offsets-for-times finds a reading by its own time; the raw topic is
 * kept by size, not time (2004 timestamps under time retention would be
 * deleted once their segment rolls); a raw topic left with time retention by
 * an older airq is given the configured settings.
 */
import assert from "node:assert/strict";
import {
  cappedToBrokers,
  ConfigResourceTypes,
  createKafka,
  ensureTopics,
  withAdmin,
} from "../../lib/kafka/mod.ts";
import { topicByRole } from "../../lib/config/mod.ts";
import { pipelineContext, runTask } from "../_pipeline.ts";
import { UCI_PATH } from "../_data.ts";

Deno.test("produce stamps raw records with the reading's event time; offsets-for-times finds them by it", async () => {
  const ctx = await pipelineContext();
  const kafka = createKafka(ctx.kafka, { clientId: "event-time-test" });
  try {
    // 48 hours of one station: 2004-03-10T18:00+01:00 onwards
    const produced = await runTask(
      "produce",
      ["--input", UCI_PATH, "--speed", "max", "--limit", "48", "--json"],
      ctx.env,
    );
    assert.equal(produced.code, 0, produced.stderr);
    assert.equal(JSON.parse(produced.stdout.trim().split("\n").at(-1)!).sent, 48);

    const records: { ts: number; eventMs: number; offset: string; partition: number }[] = [];
    const consumer = kafka.consumer({ groupId: `event-time-${crypto.randomUUID().slice(0, 8)}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: ctx.raw, fromBeginning: true });
      const all = Promise.withResolvers<void>();
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          const reading = JSON.parse(message.value!.toString());
          records.push({
            ts: Number(message.timestamp),
            eventMs: Date.parse(reading.ts),
            offset: message.offset,
            partition,
          });
          if (records.length === 48) all.resolve();
          await Promise.resolve();
        },
      });
      const timer = setTimeout(() => all.reject(new Error(`read ${records.length} of 48`)), 20_000);
      await all.promise.finally(() => clearTimeout(timer));
    } finally {
      await consumer.disconnect();
    }
    for (const r of records) assert.equal(r.ts, r.eventMs, "record timestamp = reading ts");
    assert.equal(
      new Date(Math.min(...records.map((r) => r.ts))).toISOString(),
      "2004-03-10T17:00:00.000Z",
    );

    // offsets-for-times on event time: the first record at or after 2004-03-11 12:00 (+01:00)
    const at = Date.parse("2004-03-11T12:00:00+01:00");
    const expected = records.filter((r) => r.ts >= at).sort((a, b) => a.ts - b.ts)[0]!;
    const offsets = await withAdmin(
      kafka,
      (admin) => admin.fetchTopicOffsetsByTimestamp(ctx.raw, at),
    );
    const found = offsets.find((o) => o.partition === expected.partition)!;
    assert.equal(found.offset, expected.offset);

    // retention by size, not by time
    const configs = await withAdmin(kafka, (admin) =>
      admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: ctx.raw }],
      }));
    const value = (name: string) =>
      configs.resources[0]!.configEntries.find((e) => e.configName === name)?.configValue;
    assert.equal(value("retention.ms"), "-1");
    assert.equal(value("message.timestamp.type"), "CreateTime");
    assert.equal(value("retention.bytes"), "268435456");
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});

Deno.test("ensureTopics gives an existing raw topic with time retention the configured settings", async () => {
  const ctx = await pipelineContext();
  const kafka = createKafka(ctx.kafka, { clientId: "align-test" });
  const raw = topicByRole(ctx.topics, "raw");
  try {
    await withAdmin(kafka, async (admin) => {
      // what an older airq created: 7 days of time retention
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{
          topic: raw.name,
          numPartitions: raw.partitions,
          replicationFactor: 1,
          configEntries: [{ name: "retention.ms", value: "604800000" }],
        }],
      });
      const created = await ensureTopics(admin, [raw]);
      assert.deepEqual(created, []);
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: raw.name }],
      });
      const entries = configs.resources[0]!.configEntries;
      // what ensureTopics asks for on this one-broker test cluster (min.insync.replicas capped at 1)
      for (const [name, value] of Object.entries(cappedToBrokers(raw, 1).configs)) {
        assert.equal(entries.find((e) => e.configName === name)?.configValue, value, name);
      }
    });
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});
