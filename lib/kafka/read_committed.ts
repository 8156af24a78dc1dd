/**
 * read_committed that skips every aborted transaction, installed into kafkajs
 * before it loads (lib/kafka/client.ts imports this module first).
 *
 * A fetch response lists the partition's aborted transactions (producer id and
 * first offset) in the order they **ended**: the broker reads them from its
 * transaction index. kafkajs 2.2.4 (`src/consumer/filterAbortedMessages.js`)
 * assumes they come by first offset and looks only at the head of the list:
 * when a transaction that began later aborted first, the records of the one
 * that began earlier are handed to the application until the offset reaches
 * the later one's start. With two forecaster partitions aborting at once, a
 * whole chunk of aborted forecast sets reached read_committed readers (the
 * short leader-kill drill counted 2,200 sets for 2,000 readings;
 * tests/kafka/read_committed_test.ts shows it with three producers). The
 * Java client sorts the list by first offset, and so does
 * {@linkcode withoutAborted}.
 *
 * kafkajs's batch module takes the filter with `require` when it loads, so
 * the fix replaces the filter module's exports in the CommonJS module cache
 * before the first `import "kafkajs"`; {@linkcode readCommittedFixInstalled}
 * says whether that happened.
 *
 * @module
 */
import { kafkajsModules } from "./_kafkajs_modules.ts";

/** One aborted transaction of a fetch response, as kafkajs decodes it. */
export interface AbortedTransaction {
  producerId: string | number | bigint;
  firstOffset: string | number | bigint;
}

/** The parts of a fetched record the filter reads (kafkajs's message shape). */
export interface FetchedRecord {
  offset: string;
  key?: Uint8Array | null | undefined;
  isControlRecord?: boolean | undefined;
  batchContext: { producerId: string | number | bigint; inTransaction: boolean };
}

/** Control record key of an abort marker: version 0, type 0. */
const ABORT_KEY = [0, 0, 0, 0];

function isAbortMarker(m: FetchedRecord): boolean {
  const key = m.key;
  return m.isControlRecord === true && key !== null && key !== undefined &&
    key.length === ABORT_KEY.length && ABORT_KEY.every((b, i) => key[i] === b);
}

/**
 * The records of `messages` (in offset order, control records included) that
 * are not part of an aborted transaction: a transactional record of producer
 * P is dropped once the offset has reached the first offset of one of P's
 * aborted transactions, until P's abort marker. `aborted` may come in any
 * order. Control records are kept (kafkajs drops them next). Without aborted
 * transactions the same array is returned.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutAborted } from "./read_committed.ts";
 * const abort = new Uint8Array([0, 0, 0, 0]);
 * const rec = (offset: number, pid: string, control = false) => ({
 *   offset: String(offset),
 *   key: control ? abort : null,
 *   isControlRecord: control,
 *   batchContext: { producerId: pid, inTransaction: true },
 * });
 * // A began first (0-1), B second (2-3); B's abort (4) came before A's (5); C committed (6-7)
 * const log = [rec(0, "A"), rec(1, "A"), rec(2, "B"), rec(3, "B"), rec(4, "B", true),
 *   rec(5, "A", true), rec(6, "C"), { ...rec(7, "C", true), key: new Uint8Array([0, 0, 0, 1]) }];
 * const aborted = [{ producerId: "B", firstOffset: "2" }, { producerId: "A", firstOffset: "0" }];
 * const kept = withoutAborted(log, aborted).filter((m) => !m.isControlRecord);
 * assert.deepEqual(kept.map((m) => m.offset), ["6"]);
 * ```
 */
export function withoutAborted<M extends FetchedRecord>(
  messages: M[],
  aborted: readonly AbortedTransaction[] | null | undefined,
): M[] {
  // no aborted transaction in the fetch (the usual case): the batch as it came, not a copy
  if (aborted === null || aborted === undefined || aborted.length === 0) return messages;
  const queue = aborted
    .map((t) => ({ pid: String(t.producerId), first: BigInt(t.firstOffset) }))
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const abortedPids = new Set<string>();
  let next = 0;
  return messages.filter((m) => {
    const offset = BigInt(m.offset);
    while (next < queue.length && queue[next]!.first <= offset) abortedPids.add(queue[next++]!.pid);
    const pid = String(m.batchContext.producerId);
    if (isAbortMarker(m)) {
      abortedPids.delete(pid);
      return true;
    }
    return m.isControlRecord === true || !(m.batchContext.inTransaction && abortedPids.has(pid));
  });
}

let installed = false;

/** Whether kafkajs uses {@linkcode withoutAborted} (false: kafkajs had loaded before this module). */
export function readCommittedFixInstalled(): boolean {
  return installed;
}

function install(): void {
  const kafkajs = kafkajsModules();
  // the batch module takes the filter when it loads
  installed = kafkajs.replaceBefore(
    "./src/consumer/batch.js",
    "./src/consumer/filterAbortedMessages.js",
    (
      { messages, abortedTransactions }: {
        messages: FetchedRecord[];
        abortedTransactions?: AbortedTransaction[] | null;
      },
    ) => withoutAborted(messages, abortedTransactions),
  );
}

install();
