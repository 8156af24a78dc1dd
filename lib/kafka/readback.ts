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

/**
 * Every record value of `topic` from the beginning, in a fresh group, until
 * `expected` were read and a second more passed (so duplicates would show),
 * or `timeoutMs` (default 10 s). Reads only committed transactional records
 * unless `readUncommitted`. For tests and benchmarks that check what a
 * process published.
 */
export async function readAll(
  kafka: Kafka,
  topic: string,
  expected: number,
  { timeoutMs = 10_000, readUncommitted = false }: {
    timeoutMs?: number;
    readUncommitted?: boolean;
  } = {},
): Promise<Uint8Array[]> {
  const consumer = kafka.consumer({
    groupId: `airq-read-${crypto.randomUUID().slice(0, 8)}`,
    readUncommitted,
    maxWaitTimeInMs: 100,
  });
  const out: Uint8Array[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const timer = setTimeout(() => done(), timeoutMs);
    await consumer.run({
      eachMessage: ({ message }) => {
        if (message.value !== null) out.push(message.value);
        // keep reading a little past the expected count: duplicates would show
        if (out.length >= expected) setTimeout(() => done(), 1000);
        return Promise.resolve();
      },
    });
    await finished;
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return out;
}
