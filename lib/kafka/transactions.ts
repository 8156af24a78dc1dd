/**
 * Exactly-once output per input partition: one transactional producer per
 * partition of the consumed topic, with a transactional id derived from the
 * partition (`<prefix>.<partition>`). Whichever group member owns the
 * partition, after a restart or a rebalance, uses the same id, so its
 * `initTransactions` aborts the previous owner's open transaction and fences
 * that producer, even a zombie that has not noticed the rebalance. kafkajs
 * 2.2.4 sends that (InitProducerId with the transactional id) at a producer's
 * first `transaction()`, not at `connect()`, which asks for an idempotent
 * producer id only. A per-process id would not do this with kafkajs 2.2.4, whose
 * `sendOffsets` sends no group generation (TxnOffsetCommit v0/v1, no KIP-447).
 *
 * {@linkcode TransactionalProducers.commit} runs one transaction: the
 * caller's sends, then `sendOffsets` with the partition's next offset, then
 * the commit. A failure aborts it and closes that partition's producer (a
 * fenced producer cannot be used again); the caller re-reads the partition
 * from its committed offset.
 *
 * {@linkcode TransactionalProducers.committedOffset} is where a partition's
 * work must resume after a join or a failed transaction: the group's
 * committed offset, read only after a fresh `initTransactions` on the
 * partition's id (a new producer's first, empty, transaction). Until a fix in
 * December 2026 the settle only connected a new producer, which kafkajs does
 * without the transactional id: a transaction whose commit was still pending
 * was neither waited for nor fenced, its offset not yet in the group's, and
 * its readings were forecast again (250 twice in a short hung-broker drill of
 * CI). The coordinator answers that call only once no transaction
 * of the id is pending (it completes a commit whose markers are still being
 * written, aborts an open one), so the offset read after it is final. The
 * consumer's own position is not: kafkajs 2.2.4 fetches offsets after a join
 * without KIP-447's `require_stable`, and a transaction that committed while
 * the group moved (its markers held up by a hung broker, or a commit whose
 * answer was lost) is not in it yet. Re-reading from there made the forecaster
 * publish 250 readings' forecasts twice in the hung-broker drill.
 *
 * Each producer places messages with the `RetryStablePartitioner` and its
 * ledger, attached to the producer and to every transaction it opens, so the
 * caller's sends can check that kafkajs wrote every partition
 * (`sendComplete`, lib/kafka/idempotent.ts) before the offsets and the commit.
 *
 * @module
 */
import type { Admin, Kafka, Producer, Transaction } from "./client.ts";
import { attachLedger, ledgerOf, PartitionLedger, RetryStablePartitioner } from "./idempotent.ts";

/** Settings of the per-partition producers. */
export interface TransactionalProducersOptions {
  kafka: Kafka;
  /** Prefix of every transactional id; the partition is appended (`<prefix>.<partition>`). */
  transactionalIdPrefix: string;
  /** The consumer group whose offsets the transactions commit. */
  groupId: string;
  /** The consumed topic whose offsets the transactions commit. */
  topic: string;
  /** Broker-side transaction timeout, ms (default 30,000). */
  transactionTimeoutMs?: number | undefined;
  /**
   * The producers' retries (kafkajs: first wait, doubling, and count; default
   * kafkajs's 300 ms and 5). A transaction that starts right after the
   * previous commit on the same producer is refused with
   * CONCURRENT_TRANSACTIONS until the coordinator has written the commit
   * markers (a few ms), and kafkajs retries it after this wait.
   */
  retry?: { initialRetryTime: number; retries: number } | undefined;
}

/** Fault injection for the drills and tests (lib/realtime/run.ts). */
export interface TransactionFaults {
  /** After the sends and the offsets, before the commit. */
  beforeCommit?: (() => void) | undefined;
  /** After the broker committed: a throw here is an answer lost on the way back. */
  afterCommit?: (() => void) | undefined;
}

/** Timings of one committed transaction, ms. */
export interface TransactionTimes {
  /** From the transaction's start to the end of the caller's work (sends and anything else). */
  work: number;
  offsets: number;
  commit: number;
}

/** One transactional producer per input partition, opened on demand or on assignment. */
export class TransactionalProducers {
  readonly #o: TransactionalProducersOptions;
  readonly #producers = new Map<number, Promise<Producer>>();
  /** Per partition: its committed offset, settled since the last join or failure. */
  readonly #committed = new Map<number, Promise<bigint | null>>();
  /** Per partition: the highest offset a transaction of this process was answered committed. */
  readonly #floor = new Map<number, bigint>();
  #admin: Promise<Admin> | null = null;

  constructor(options: TransactionalProducersOptions) {
    this.#o = options;
  }

  /** The partitions whose producer is open or opening. */
  get partitions(): number[] {
    return [...this.#producers.keys()];
  }

  /** The partition's producer, connected (= initTransactions: fences a previous owner). */
  producer(partition: number): Promise<Producer> {
    let ready = this.#producers.get(partition);
    if (ready === undefined) {
      const ledger = new PartitionLedger();
      const producer = this.#o.kafka.producer({
        transactionalId: `${this.#o.transactionalIdPrefix}.${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: this.#o.transactionTimeoutMs ?? 30_000,
        createPartitioner: () => RetryStablePartitioner(ledger),
        ...(this.#o.retry === undefined ? {} : { retry: this.#o.retry }),
      });
      attachLedger(producer, ledger);
      ready = producer.connect().then(() => producer);
      ready.catch(() => this.#producers.delete(partition));
      this.#producers.set(partition, ready);
    }
    return ready;
  }

  /**
   * After a rebalance: closes the producers of partitions no longer assigned
   * and settles the others now ({@linkcode committedOffset}: a fresh
   * producer, which fences their previous owner at once, then the group's
   * offset).
   */
  assign(partitions: readonly number[]): void {
    const assigned = new Set(partitions);
    for (const p of [...this.partitions, ...this.#committed.keys()]) {
      if (!assigned.has(p)) {
        this.#committed.delete(p);
        void this.close(p);
      }
    }
    for (const p of assigned) {
      this.#committed.delete(p);
      this.committedOffset(p).catch(() => {});
    }
  }

  /**
   * Where the partition's work resumes: the group's committed offset (null:
   * none yet), read after a fresh `initTransactions` on the partition's id, so
   * no transaction of a previous owner, or of this member before a failure,
   * can still move it. Settled once per join and after every failed
   * transaction; a committed transaction sets it to its own offset.
   */
  committedOffset(partition: number): Promise<bigint | null> {
    let settled = this.#committed.get(partition);
    if (settled === undefined) {
      settled = this.#settle(partition);
      const mine = settled;
      settled.catch(() => {
        if (this.#committed.get(partition) === mine) this.#committed.delete(partition);
      });
      this.#committed.set(partition, settled);
    }
    return settled;
  }

  async #settle(partition: number): Promise<bigint | null> {
    await this.close(partition);
    const producer = await this.producer(partition);
    // kafkajs 2.2.4's connect asks for an idempotent producer id only (no transactional id); the
    // transactional InitProducerId, which fences the id's previous producer and waits for its
    // pending transaction to complete (CONCURRENT_TRANSACTIONS until then), comes with the
    // producer's first transaction: begin one and abort it, empty (no request is sent for that)
    await (await producer.transaction()).abort();
    this.#admin ??= this.#connectAdmin();
    const admin = await this.#admin;
    const [group] = await admin.fetchOffsets({ groupId: this.#o.groupId, topics: [this.#o.topic] });
    const offset = group?.partitions.find((p) => p.partition === partition)?.offset;
    const fetched = offset === undefined || BigInt(offset) < 0n ? null : BigInt(offset);
    // what this process was answered committed can only have been moved further since
    const floor = this.#floor.get(partition);
    return floor !== undefined && (fetched === null || fetched < floor) ? floor : fetched;
  }

  #connectAdmin(): Promise<Admin> {
    const admin = this.#o.kafka.admin();
    const ready = admin.connect().then(() => admin);
    ready.catch(() => (this.#admin = null));
    return ready;
  }

  /**
   * One transaction on the partition's producer: `work` sends its records
   * (`ledgerOf(transaction)` is the producer's partition ledger),
   * then the partition's `nextOffset` is committed for the group inside the
   * transaction, then the transaction commits. Fault injection:
   * `beforeCommit` runs between the two, `afterCommit` once the broker
   * committed (a throw there is a lost answer). On any failure the
   * transaction is aborted, the producer closed, the partition's committed
   * offset marked to be settled again, and the error thrown.
   */
  async commit(
    partition: number,
    nextOffset: string,
    work: (transaction: Transaction) => Promise<void>,
    faults: TransactionFaults = {},
  ): Promise<TransactionTimes> {
    let transaction: Transaction | null = null;
    try {
      const producer = await this.producer(partition);
      const t0 = performance.now();
      transaction = await producer.transaction();
      attachLedger(transaction, ledgerOf(producer)); // for sendComplete in `work`
      await work(transaction);
      const t1 = performance.now();
      await transaction.sendOffsets({
        consumerGroupId: this.#o.groupId,
        topics: [{ topic: this.#o.topic, partitions: [{ partition, offset: nextOffset }] }],
      });
      const t2 = performance.now();
      faults.beforeCommit?.();
      await transaction.commit();
      faults.afterCommit?.();
      // the group's offset is now this one: transactions on one id run one after another
      this.#committed.set(partition, Promise.resolve(BigInt(nextOffset)));
      const floor = this.#floor.get(partition);
      if (floor === undefined || BigInt(nextOffset) > floor) {
        this.#floor.set(partition, BigInt(nextOffset));
      }
      return { work: t1 - t0, offsets: t2 - t1, commit: performance.now() - t2 };
    } catch (error) {
      // whether it committed is not known for every failure (a lost answer): settle again
      this.#committed.delete(partition);
      await transaction?.abort().catch(() => {});
      await this.close(partition);
      throw error;
    }
  }

  /** Disconnects the partition's producer (if any). */
  close(partition: number): Promise<void> {
    const ready = this.#producers.get(partition);
    this.#producers.delete(partition);
    return ready === undefined
      ? Promise.resolve()
      : ready.then((p) => p.disconnect()).catch(() => {});
  }

  /** Disconnects every producer and the admin client. */
  async closeAll(): Promise<void> {
    this.#committed.clear();
    const admin = this.#admin;
    this.#admin = null;
    await Promise.all([
      ...this.partitions.map((p) => this.close(p)),
      admin?.then((a) => a.disconnect()).catch(() => {}),
    ]);
  }
}

/**
 * A weighted semaphore: holders take some of a fixed capacity (e.g. readings
 * in flight) and the others wait in order. A request above the capacity is
 * clamped to it, so it runs alone rather than never.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Slots } from "./transactions.ts";
 * const slots = new Slots(500);
 * const a = await slots.acquire(250);
 * const b = await slots.acquire(250);
 * let third = false;
 * const c = slots.acquire(10).then((n) => (third = true, n));
 * await Promise.resolve();
 * assert.equal(third, false);
 * slots.release(a);
 * assert.equal(await c, 10);
 * slots.release(b);
 * slots.release(10);
 * assert.equal(slots.free, 500);
 * ```
 */
export class Slots {
  readonly #capacity: number;
  #free: number;
  readonly #waiting: { weight: number; resolve: (weight: number) => void }[] = [];

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${capacity}`);
    this.#capacity = capacity;
    this.#free = capacity;
  }

  /** What is not held now. */
  get free(): number {
    return this.#free;
  }

  /** Waits for `weight` (default 1) of the capacity; resolves to what was taken (pass it to `release`). */
  acquire(weight = 1): Promise<number> {
    const w = Math.min(this.#capacity, Math.max(1, weight));
    if (this.#waiting.length === 0 && this.#free >= w) {
      this.#free -= w;
      return Promise.resolve(w);
    }
    return new Promise((resolve) => this.#waiting.push({ weight: w, resolve }));
  }

  /** Gives back what `acquire` took, and lets the waiting in, in order. */
  release(taken = 1): void {
    this.#free += taken;
    while (this.#waiting.length > 0 && this.#free >= this.#waiting[0]!.weight) {
      const next = this.#waiting.shift()!;
      this.#free -= next.weight;
      next.resolve(next.weight);
    }
  }
}
