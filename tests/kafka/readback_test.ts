/**
 * The read-back the drills and tests count with (`readAllRecords`): a kafkajs
 * consumer that rejoins its group starts again from the group's committed
 * offsets, and the reading group commits none, so a rejoin mid-read delivers
 * every record again. Each record (partition and offset) must still count once,
 * the repeats reported as `redelivered`: the short rolling-restart drill once
 * counted 2,250 forecast sets for 2,000 readings, one 250-record batch more.
 *
 * The second member comes from a client of its own, as a second process would:
 * kafkajs keeps one committed-offsets cache per group for all the consumers of
 * one client (shared with its transactional producers' `sendOffsets`), and a
 * member's join clears that cache to its own assignment. With both members in
 * one client, the second's empty assignment wiped the reader's topic from it,
 * and the reader crashed on its next fetch (`TypeError: Cannot read properties
 * of undefined (reading '0')` in kafkajs's `resolveOffsets`, a crash kafkajs
 * does not restart): about one run in five here, and once in CI.
 */
import assert from "node:assert/strict";
import { createKafka, readAllRecords } from "../../lib/kafka/mod.ts";
import { createTopic, testKafkaConfig } from "../_kafka.ts";

Deno.test("readAllRecords counts each record once when a rejoin delivers them again", async () => {
  const kafka = createKafka(await testKafkaConfig());
  const topic = `t${crypto.randomUUID().slice(0, 8)}.reread`;
  await createTopic(kafka, topic);
  const producer = kafka.producer();
  await producer.connect();
  const n = 40;
  try {
    await producer.send({
      topic,
      messages: Array.from({ length: n }, (_, i) => ({ value: `v${i}` })),
    });
  } finally {
    await producer.disconnect();
  }
  const groupId = `airq-read-test-${crypto.randomUUID().slice(0, 8)}`;
  // once the reader has read everything (however long its join took on a loaded machine), a
  // second member joins and leaves: two rebalances, after which the reader owns the partition
  // again from the group's offsets (none: the start)
  let readAllOnce!: () => void;
  const allRead = new Promise<void>((r) => (readAllOnce = r));
  // one more than the topic holds: the reader keeps reading until it has seen the topic again
  // (or its timeout, generous: two rebalances on a loaded machine can take tens of seconds)
  const seenAgain = new AbortController();
  // the reader's group events, in the failure message: a run without a repeat must say why
  const t0 = Date.now();
  const events: string[] = [];
  const reading = readAllRecords(kafka, topic, n + 1, {
    timeoutMs: 90_000,
    groupId,
    signal: seenAgain.signal,
    onGroupEvent: ({ type, atMs, payload }) =>
      events.push(`+${atMs - t0} ms ${type} ${JSON.stringify(payload)}${crashCause(payload)}`),
    onRead: (count, again) => {
      if (count === n && again === 0) events.push(`+${Date.now() - t0} ms read all ${n}`);
      if (count === n) readAllOnce();
      if (again >= n) seenAgain.abort();
    },
  });
  await Promise.race([allRead, reading]); // the reader's timeout ends the wait too
  const other = createKafka(await testKafkaConfig()).consumer({ groupId, sessionTimeout: 10_000 });
  await other.connect();
  try {
    await other.subscribe({ topic, fromBeginning: true });
    let joined!: () => void;
    const hasJoined = new Promise<void>((r) => (joined = r));
    other.on(other.events.GROUP_JOIN, (e) => {
      events.push(`+${Date.now() - t0} ms second member joined ${JSON.stringify(e.payload)}`);
      joined();
    });
    await other.run({ autoCommit: false, eachMessage: () => Promise.resolve() });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      hasJoined,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("the second member never joined")), 45_000);
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await other.disconnect();
    events.push(`+${Date.now() - t0} ms second member left`);
  }
  const { records, redelivered } = await reading;
  const values = records.map((r) => new TextDecoder().decode(r.value));
  assert.equal(records.length, n, "each record once");
  assert.deepEqual([...values].sort(), Array.from({ length: n }, (_, i) => `v${i}`).sort());
  assert.equal(new Set(records.map((r) => `${r.partition}:${r.offset}`)).size, n);
  assert.ok(
    redelivered >= n,
    `the rejoin delivered the topic again (${redelivered} repeats); events:\n${events.join("\n")}`,
  );
});

/** A crash event's error with its cause and stack (JSON drops an Error's message). */
function crashCause(payload: unknown): string {
  const error = (payload as { error?: unknown } | undefined)?.error;
  if (!(error instanceof Error)) return "";
  const cause = (error as { cause?: unknown }).cause;
  return `\n  ${error.name}: ${error.message}` +
    (cause instanceof Error ? `\n  caused by ${cause.stack}` : "");
}
