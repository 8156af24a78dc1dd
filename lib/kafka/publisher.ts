/**
 * A batching publisher over the idempotent kafkajs producer: messages are
 * gathered into batches (by count or linger time) and sent one batch at a
 * time, so the idempotent producer's per-partition sequence numbers stay in
 * order (kafkajs assigns them per request; concurrent sends to one partition
 * can break idempotence). The buffer is bounded: `publish` waits while a full
 * batch is queued behind the one in flight, which is the back-pressure.
 *
 * Each batch goes out as one request across its partitions, checked for
 * completeness by `sendComplete` (lib/kafka/idempotent.ts): kafkajs 2.2.4 can
 * resolve a send across partitions with a partition never written after its
 * leader moved (the hung-broker drill lost 600 acknowledged readings that way,
 * docs/cluster.md; upstream tulios/kafkajs#1303, #1798), and the messages of
 * such a partition are sent again before the batch counts as acknowledged.
 * The producer must come from `idempotentProducer`, whose partition ledger
 * the check reads.
 *
 * A send blocked in kafkajs's retries (the broker went away) cannot be
 * cancelled inside kafkajs; `abandon()` stops waiting for it and says how
 * many messages were left unconfirmed and how many were never handed over,
 * so a stopping producer can report them instead of hanging.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Message, Producer } from "./client.ts";
import { CompressionTypes } from "./client.ts";
import { ledgerOf, type PartitionLedger, sendComplete } from "./idempotent.ts";

const log = getLogger(["airq", "kafka", "publisher"]);

/** Options of a `BatchPublisher`. */
export interface PublisherOptions {
  topic: string;
  /** Messages per request (across partitions). */
  batchSize: number;
  /** Longest time a message waits for its batch to fill, ms. */
  lingerMs: number;
  compression: "none" | "gzip";
}

/** Counters of a publisher. */
export interface PublisherStats {
  /** Messages acknowledged by the broker (acks=all). */
  sent: number;
  /** Messages whose send failed after the client's retries. */
  failed: number;
  /** Messages accepted by `publish` and not yet acknowledged or failed. */
  pending: number;
  /** Batches handed to kafkajs (one request each, and a resend per round that finds a partition unwritten). */
  batches: number;
}

/** What `abandon` left behind. */
export interface Abandoned {
  /** Handed to kafkajs, not acknowledged: they may or may not be in the topic. */
  unconfirmed: number;
  /** Queued here, never handed to kafkajs. */
  notSent: number;
}

/** Gathers messages into batches and sends them in order, one request at a time. */
export class BatchPublisher {
  readonly #producer: Producer;
  readonly #ledger: PartitionLedger;
  readonly #options: PublisherOptions;
  #queue: Message[] = [];
  /** When the oldest queued message was queued (performance.now()). */
  #queuedSince = 0;
  #inFlight: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #error: unknown = null;
  #inFlightCount = 0;
  #abandoned = false;
  readonly stats: PublisherStats = { sent: 0, failed: 0, pending: 0, batches: 0 };

  constructor(producer: Producer, options: PublisherOptions) {
    this.#producer = producer;
    this.#ledger = ledgerOf(producer);
    this.#options = options;
  }

  /**
   * Queues one message. Returns a promise only when the buffer is full: await
   * it before publishing more (it resolves once the queue is sent). Throws
   * (rejects, for a full buffer) once a send has failed. No promise when there
   * is room: the producer publishes most readings without one, which at full
   * speed was a promise, a listener and a turn of the microtask queue a reading.
   */
  publish(message: Message): Promise<void> | undefined {
    if (this.#error !== null) throw this.#error;
    if (this.#abandoned) throw new Error(`the publisher to ${this.#options.topic} was abandoned`);
    if (this.#queue.length === 0) this.#queuedSince = performance.now();
    this.#queue.push(message);
    this.stats.pending++;
    if (this.#queue.length >= this.#options.batchSize) return this.#whenFull();
    this.#arm();
    return undefined;
  }

  /** A full queue: waits for the request in flight, then sends it. */
  async #whenFull(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
    if (this.#queue.length >= this.#options.batchSize) this.#sendQueued();
  }

  /**
   * Sends the queue once its oldest message has waited `lingerMs` and nothing
   * is in flight. The wait counts from that message's arrival, not from the
   * end of the request before it: messages that queued behind a request have
   * already waited it out and go as soon as it is acknowledged.
   */
  #arm(): void {
    if (this.#timer !== null) return;
    const wait = this.#options.lingerMs - (performance.now() - this.#queuedSince);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      // in flight: its acknowledgement sends the queue (or arms again)
      if (!this.#inFlight) this.#sendQueued();
    }, Math.max(0, wait));
  }

  /** Sends everything queued and waits for every acknowledgement. */
  async flush(): Promise<void> {
    while (this.#inFlight || (this.#queue.length > 0 && this.#error === null)) {
      if (this.#inFlight) await this.#inFlight;
      else this.#sendQueued();
    }
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#error !== null) throw this.#error;
  }

  /** Messages queued but not sent (for the shutdown report). */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Stops sending: drops the queue, and stops counting on the batch in flight
   * (kafkajs may still be retrying it; disconnecting the producer ends that).
   * Later outcomes of that batch no longer change `stats`.
   */
  abandon(): Abandoned {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const left = {
      unconfirmed: this.#abandoned ? 0 : this.#inFlightCount,
      notSent: this.#queue.length,
    };
    this.#abandoned = true;
    this.#queue = [];
    this.stats.pending = 0;
    return left;
  }

  #sendQueued(): void {
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.stats.batches++;
    this.#inFlightCount = batch.length;
    const compression = this.#options.compression === "gzip"
      ? CompressionTypes.GZIP
      : CompressionTypes.None;
    this.#inFlight = sendComplete(
      this.#producer,
      this.#ledger,
      [{ topic: this.#options.topic, messages: batch }],
      { compression },
    ).then(
      () => {
        if (this.#abandoned) return;
        this.stats.sent += batch.length;
        this.stats.pending -= batch.length;
      },
      (error: unknown) => {
        if (this.#abandoned) return;
        this.stats.failed += batch.length;
        this.stats.pending -= batch.length;
        this.#error ??= error;
        log.error("Sending {n} messages to {topic} failed: {error}", {
          n: batch.length,
          topic: this.#options.topic,
          error: error instanceof Error ? error.message : String(error),
        });
      },
    ).finally(() => {
      this.#inFlight = null;
      this.#inFlightCount = 0;
      if (this.#queue.length === 0 || this.#abandoned) return;
      if (performance.now() - this.#queuedSince >= this.#options.lingerMs) this.#sendQueued();
      else this.#arm();
    });
  }
}
