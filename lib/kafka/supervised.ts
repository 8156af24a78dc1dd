/**
 * A consumer-group member that does not give up. kafkajs restarts a crashed
 * consumer only for errors it deems retriable; after any other crash (a broker
 * gone longer than its retries, for one) this starts a fresh member after a
 * backoff (1 s doubling to 30 s). Uncommitted batches are then redelivered,
 * which the callers' idempotent writes or transactions absorb.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Consumer, ConsumerConfig, ConsumerRunConfig, Kafka } from "./client.ts";

const log = getLogger(["airq", "kafka", "member"]);

/** Options of a `SupervisedMember`. */
export interface SupervisedMemberOptions {
  kafka: Kafka;
  /** Group and fetch settings; a retry policy that rides out a broker restart is added. */
  consumer: Omit<ConsumerConfig, "retry">;
  /** The topic to subscribe to. */
  topic: string;
  /** Where a new group starts: the earliest retained message (default) or the end. */
  fromBeginning?: boolean | undefined;
  /** What `run` gets: eachBatch, autoCommit, concurrency. */
  run: ConsumerRunConfig;
  /** Names the member in logs, e.g. "consumer", "forecaster". */
  name: string;
  /** Called each time a member joins the group. */
  onJoin?: (payload: { groupId: string; memberId: string; memberAssignment: unknown }) => void;
  /** Called before a fresh member starts after a crash (e.g. to drop in-memory state). */
  onRestart?: () => void;
  /** Called once each member runs (the first and every fresh one), e.g. to seek. */
  onRunning?: (consumer: Consumer) => Promise<void> | void;
  /** Called when a member crashed and kafkajs will not restart it (a fresh one follows). */
  onCrash?: (error: unknown) => void;
}

/** One group member at a time, replaced after a crash kafkajs does not retry. */
export class SupervisedMember {
  readonly #options: SupervisedMemberOptions;
  #consumer: Consumer;
  #crashed = false;
  #stopping = false;
  #backoff = 1000;
  #supervisor: ReturnType<typeof setInterval> | null = null;
  #restartTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: SupervisedMemberOptions) {
    this.#options = options;
    this.#consumer = this.#newConsumer();
  }

  /** The current member (for commits); it changes after a restart. */
  get consumer(): Consumer {
    return this.#consumer;
  }

  /** Connects, subscribes and runs the first member, then watches for crashes. */
  async start(): Promise<void> {
    await this.#startMember();
    this.#supervisor = setInterval(() => this.#check(), 250);
  }

  /** Stops supervising and disconnects the current member. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#supervisor !== null) clearInterval(this.#supervisor);
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    await this.#consumer.disconnect().catch(() => {});
  }

  #newConsumer(): Consumer {
    const { kafka, consumer, name } = this.#options;
    const c = kafka.consumer({
      ...consumer,
      // About 18 s of retries (0.3 s doubling to 2 s, ten times) before kafkajs gives up and
      // starts the member afresh. kafkajs retries with the group coordinator it found at the
      // last join: after that node died, every retry of a heartbeat went to it again, and with
      // the former minute of retries (10 s each) the consumer sat out a coordinator's kill -9
      // for 33 s and more. A fresh member (kafkajs's restart, or ours after a crash it does
      // not restart) looks the coordinator up again; a broker restart is ridden out by
      // restarts (lib/kafka/commit.ts, docs/cluster.md).
      retry: { initialRetryTime: 300, maxRetryTime: 2000, retries: 10 },
    });
    c.on(c.events.GROUP_JOIN, (e) => this.#options.onJoin?.(e.payload));
    c.on(c.events.CRASH, (e) => {
      log.error("The {name} crashed: {error} (kafkajs restarts it: {restart})", {
        name,
        error: String(e.payload.error),
        restart: e.payload.restart,
      });
      if (!e.payload.restart && !this.#stopping) {
        this.#crashed = true;
        this.#options.onCrash?.(e.payload.error);
      }
    });
    return c;
  }

  async #startMember(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({
      topic: this.#options.topic,
      fromBeginning: this.#options.fromBeginning ?? true,
    });
    await this.#consumer.run(this.#options.run);
    await this.#options.onRunning?.(this.#consumer);
  }

  #check(): void {
    if (!this.#crashed || this.#stopping) return;
    this.#crashed = false;
    const old = this.#consumer;
    log.warn("Starting a new {name} group member in {backoff} ms after a crash", {
      name: this.#options.name,
      backoff: this.#backoff,
    });
    this.#restartTimer = setTimeout(async () => {
      this.#restartTimer = null;
      if (this.#stopping) return;
      await old.disconnect().catch(() => {});
      this.#options.onRestart?.();
      this.#consumer = this.#newConsumer();
      try {
        await this.#startMember();
        this.#backoff = 1000;
      } catch (error) {
        log.error("Restarting the {name} failed: {error}", {
          name: this.#options.name,
          error: String(error),
        });
        this.#backoff = Math.min(30_000, this.#backoff * 2);
        this.#crashed = true;
      }
    }, this.#backoff);
  }
}
