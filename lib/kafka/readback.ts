/**
 * Reads a topic back from the beginning in a throwaway consumer group, each
 * record once: what tests, drills and benchmarks count to check what a
 * process published.
 *
 * @module
 */
import type { Kafka } from "./client.ts";

/** Options of {@linkcode readAll} and {@linkcode readAllRecords}. */
export interface ReadAllOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Read aborted and open transactions' records too (default: read_committed). */
  readUncommitted?: boolean;
  /**
   * The reading group (default: a new one, `airq-read-<random>`); it never commits offsets.
   * Another member of it must come from another client: kafkajs shares one committed-offsets
   * cache per group among a client's consumers, and a member's join resets it to that member's
   * assignment, so the other member's next fetch can crash (tests/kafka/readback_test.ts).
   */
  groupId?: string;
  /**
   * Called after each delivery, a new record or a repeat, with the distinct
   * records read so far and the repeated deliveries so far.
   */
  onRead?: (records: number, redelivered: number) => void;
  /** Ends the read early (it resolves with what was read by then). */
  signal?: AbortSignal;
  /**
   * Called with each of the reading consumer's group events (joins with their assignment,
   * rebalances, crashes, stops), for a caller that must tell what happened to the group.
   */
  onGroupEvent?: (event: { type: string; atMs: number; payload: unknown }) => void;
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
  { timeoutMs = 10_000, readUncommitted = false, groupId, onRead, signal, onGroupEvent }:
    ReadAllOptions = {},
): Promise<{ records: TopicRecord[]; redelivered: number }> {
  const consumer = kafka.consumer({
    groupId: groupId ?? `airq-read-${crypto.randomUUID().slice(0, 8)}`,
    readUncommitted,
    maxWaitTimeInMs: 100,
  });
  const records: TopicRecord[] = [];
  const seen = new Set<string>();
  let redelivered = 0;
  if (onGroupEvent !== undefined) {
    const e = consumer.events;
    for (const type of [e.GROUP_JOIN, e.REBALANCING, e.CRASH, e.STOP, e.DISCONNECT]) {
      consumer.on(type, (event) => {
        onGroupEvent({ type, atMs: Date.now(), payload: event.payload });
      });
    }
  }
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const timer = setTimeout(() => done(), timeoutMs);
    const onAbort = () => done();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) done();
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        const at = `${partition}:${message.offset}`;
        if (seen.has(at)) {
          redelivered++;
          onRead?.(records.length, redelivered);
          return Promise.resolve();
        }
        seen.add(at);
        if (message.value !== null) {
          records.push({ partition, offset: message.offset, value: message.value });
        }
        onRead?.(records.length, redelivered);
        // keep reading a little past the expected count: duplicates would show
        if (records.length >= expected) setTimeout(() => done(), 1000);
        return Promise.resolve();
      },
    });
    await finished;
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
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
