/**
 * Reads a topic from the beginning in a fresh consumer group until it is
 * caught up with the end offsets that existed at the start, and counts the
 * messages per key. The demo uses it to show that what was sent arrived.
 *
 * @module
 */
import type { Kafka } from "./client.ts";

/** What a read-back saw. */
export interface ReadBack {
  messages: number;
  keys: number;
  partitions: number;
  seconds: number;
}

/** Consumes `topic` from the start to its current end in group `groupId`, committing as it goes. */
export async function readBack(kafka: Kafka, topic: string, groupId: string): Promise<ReadBack> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const target = new Map(ends.map((o) => [o.partition, BigInt(o.high)]));
  const remaining = new Set(
    ends.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => o.partition),
  );
  const keys = new Set<string>();
  const seen = new Set<string>();
  let messages = 0;
  const t0 = performance.now();
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000 });
  await consumer.connect();
  try {
    if (remaining.size > 0) {
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch, heartbeat }) => {
          for (const m of batch.messages) {
            // a rejoin delivers again what was not committed: each record counts once
            const at = `${batch.partition}:${m.offset}`;
            if (seen.has(at)) continue;
            seen.add(at);
            messages++;
            if (m.key) keys.add(m.key.toString());
          }
          const last = batch.lastOffset();
          if (BigInt(last) + 1n >= (target.get(batch.partition) ?? 0n)) {
            remaining.delete(batch.partition);
          }
          await heartbeat();
          if (remaining.size === 0) done();
        },
      });
      await finished;
    }
  } finally {
    await consumer.disconnect();
  }
  return {
    messages,
    keys: keys.size,
    partitions: ends.length,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

/** Options of {@linkcode readAll} and {@linkcode readAllRecords}. */
export interface ReadAllOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Read aborted and open transactions' records too (default: read_committed). */
  readUncommitted?: boolean;
  /** The reading group (default: a new one, `airq-read-<random>`); it never commits offsets. */
  groupId?: string;
  /** Called with the count of distinct records read so far, after each new one. */
  onRead?: (records: number) => void;
}

/** One record of a topic, where it is and its value. */
export interface TopicRecord {
  partition: number;
  offset: string;
  value: Uint8Array;
}

/**
 * Every record of `topic` from the beginning, in a fresh group, until
 * `expected` were read and a second more passed (so duplicates would show),
 * or `timeoutMs`. Reads only committed transactional records unless
 * `readUncommitted`. For tests, drills and benchmarks that check what a
 * process published.
 *
 * Each record (partition and offset) counts once, in the order first seen: a
 * kafkajs consumer starts again from its group's committed offsets when it
 * rejoins the group or restarts after errors (a broker or coordinator that
 * moved, as in a rolling restart), and the reading group commits none, so a
 * rejoin delivers the partition again from its start. A record read twice is
 * not a record written twice; `redelivered` counts those repeated deliveries.
 */
export async function readAllRecords(
  kafka: Kafka,
  topic: string,
  expected: number,
  { timeoutMs = 10_000, readUncommitted = false, groupId, onRead }: ReadAllOptions = {},
): Promise<{ records: TopicRecord[]; redelivered: number }> {
  const consumer = kafka.consumer({
    groupId: groupId ?? `airq-read-${crypto.randomUUID().slice(0, 8)}`,
    readUncommitted,
    maxWaitTimeInMs: 100,
  });
  const records: TopicRecord[] = [];
  const seen = new Set<string>();
  let redelivered = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const timer = setTimeout(() => done(), timeoutMs);
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        const at = `${partition}:${message.offset}`;
        if (seen.has(at)) {
          redelivered++;
          return Promise.resolve();
        }
        seen.add(at);
        if (message.value !== null) {
          records.push({ partition, offset: message.offset, value: message.value });
          onRead?.(records.length);
        }
        // keep reading a little past the expected count: duplicates would show
        if (records.length >= expected) setTimeout(() => done(), 1000);
        return Promise.resolve();
      },
    });
    await finished;
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return { records, redelivered };
}

/** The values of {@linkcode readAllRecords}: each record of the topic once. */
export async function readAll(
  kafka: Kafka,
  topic: string,
  expected: number,
  options: ReadAllOptions = {},
): Promise<Uint8Array[]> {
  return (await readAllRecords(kafka, topic, expected, options)).records.map((r) => r.value);
}
