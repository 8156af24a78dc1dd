/**
 * One Kafka transaction per chunk of the forecaster: the chunk's records sent
 * in requests under the broker's message size, the store write while the first
 * request is on the wire, and the partition's next offset, committed together
 * on the producer of the chunk's partition (lib/kafka/transactions.ts); and the
 * store side, one write at a time with the monitors' snapshots.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  ledgerOf,
  type Message,
  sendComplete,
  type Transaction,
  type TransactionalProducers,
  type TransactionFaults,
} from "../kafka/mod.ts";
import type { ForecasterMetrics } from "../metrics/mod.ts";
import type { ReadingStore, Snapshot } from "../storage/mod.ts";
import type { ChunkOutput, ChunkProcessor, ForecastObserver } from "./chunk.ts";
import type { ChunkStages, ForecasterSummary, Stats } from "./run_stats.ts";

const log = getLogger(["airq", "forecaster"]);

/** What {@linkcode commitChunk} works with: one per forecaster run. */
export interface Committer {
  producers: TransactionalProducers;
  writer: StoreWriter;
  forecastsTopic: string;
  estimatesTopic: string;
  /** null: no alerts published. */
  alertsTopic: string | null;
  maxBytesPerSend: number;
  /** Fault injection (crash before the commit, lost answer after it). */
  faults: TransactionFaults;
  chunks: ChunkProcessor;
  stats: Stats;
  timeMs: ForecasterSummary["time_ms"];
  /** Per-chunk stage durations (the summary's `chunk_ms`). */
  stages: ChunkStages;
  counters: ForecasterMetrics;
}

/** One committed chunk's transaction steps, ms (the rows of `time_ms` it adds to). */
export interface ChunkCommitTimes {
  store: number;
  send: number;
  offsets: number;
  commit: number;
}

/**
 * One transaction per chunk, on the producer of the chunk's partition: the
 * records, the store write (while the first request is on the wire; both
 * are done before the commit, and a crash in between re-makes and replaces
 * the same stored ids) and the partition's next offset. A failure aborts
 * it, drops that producer, resets the state and fails the batch: its offset
 * was never resolved, so kafkajs (or a fresh member) reads it again.
 */
export async function commitChunk(
  c: Committer,
  partition: number,
  next: string,
  out: ChunkOutput,
): Promise<ChunkCommitTimes> {
  const time_ms = c.timeMs;
  const mine = { store: 0, send: 0, offsets: 0, commit: 0 };
  const sendAndStore = async (transaction: Transaction) => {
    const t0 = performance.now();
    const sending = sendAll(
      transaction,
      [
        { topic: c.forecastsTopic, messages: out.forecasts },
        { topic: c.estimatesTopic, messages: out.estimates },
        ...(c.alertsTopic === null ? [] : [{ topic: c.alertsTopic, messages: out.alerts }]),
      ],
      c.maxBytesPerSend,
    );
    sending.catch(() => {}); // awaited below; a store failure must not leave it unobserved
    const t1 = performance.now();
    await c.writer.write(out.stored);
    const t2 = performance.now();
    await sending;
    mine.send = (t1 - t0) + (performance.now() - t2);
    mine.store = t2 - t1;
  };
  try {
    const times = await c.producers.commit(partition, next, sendAndStore, c.faults);
    mine.offsets = times.offsets;
    mine.commit = times.commit;
    time_ms.send += mine.send;
    time_ms.store += mine.store;
    time_ms.offsets += mine.offsets;
    time_ms.commit += mine.commit;
    c.stats.transactions++;
    c.counters.transactions.inc({ outcome: "committed" });
    return mine;
  } catch (error) {
    c.stats.aborted_transactions++;
    c.counters.transactions.inc({ outcome: "aborted" });
    // every uncommitted batch will be read again: forget the history they fed in
    c.chunks.reset();
    throw error;
  }
}

/**
 * Sends every topic's messages in one request across the topics and their
 * partitions, in consecutive requests of at most `maxBytes` bytes of values
 * (each partition's messages in order), and makes sure kafkajs wrote every
 * partition it placed messages on (`sendComplete`, lib/kafka/idempotent.ts):
 * kafkajs 2.2.4 can resolve a send across partitions with a partition whose
 * leader moved never written, and inside a transaction that would commit the
 * offsets of readings whose forecasts were never written. The missing
 * partitions' messages are sent again before this resolves, so before the
 * offsets and the commit. Resolves to the number of requests.
 */
export function sendAll(
  transaction: Transaction,
  byTopic: readonly { topic: string; messages: readonly Message[] }[],
  maxBytes: number,
): Promise<number> {
  return sendComplete(
    transaction,
    ledgerOf(transaction),
    byTopic.filter((t) => t.messages.length > 0),
    { maxBytes },
  );
}

/**
 * The store side of the forecaster: one write at a time (the partitions'
 * transactions run concurrently), each with the observers' snapshots at most
 * every `snapshotEveryMs`; and the last snapshot at the end of the run.
 */
export class StoreWriter {
  readonly #store: ReadingStore | null;
  readonly #observers: readonly ForecastObserver[];
  readonly #everyMs: number;
  #queue: Promise<unknown> = Promise.resolve();
  #lastSnapshotMs = 0;

  constructor(store: ReadingStore | null, observers: readonly ForecastObserver[], everyMs: number) {
    this.#store = store;
    this.#observers = observers;
    this.#everyMs = everyMs;
  }

  write(stored: ChunkOutput["stored"]): Promise<void> {
    const next = this.#queue.then(() => this.#writeNow(stored));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #writeNow(stored: ChunkOutput["stored"]): Promise<void> {
    if (this.#store === null) return;
    const nowMs = Date.now();
    let snapshots: Snapshot[] = [];
    if (nowMs - this.#lastSnapshotMs >= this.#everyMs) {
      this.#lastSnapshotMs = nowMs;
      snapshots = this.#snapshots(nowMs);
    }
    await this.#store.writeBatch({ readings: [], deadLetters: [], ...stored, snapshots });
  }

  /** The last word of the monitors (the periodic snapshot may be up to a second old). */
  async lastSnapshot(): Promise<void> {
    const snapshots = this.#snapshots(Date.now());
    if (this.#store === null || snapshots.length === 0) return;
    await this.#store.writeBatch({ readings: [], deadLetters: [], snapshots }).catch((error) =>
      log.error("Storing the last monitoring snapshot failed: {error}", { error: String(error) })
    );
  }

  #snapshots(nowMs: number): Snapshot[] {
    return this.#observers.flatMap((o) =>
      o.snapshot && o.snapshotName
        ? [{ name: o.snapshotName, value: o.snapshot(), updated_at_ms: nowMs }]
        : []
    );
  }
}
