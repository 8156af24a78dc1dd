/**
 * The leaderboard's Kafka edges: its topics, and the vote publisher used by
 * `vote.ts`, the simulated voters and the page's form.
 *
 * @module
 */
import type { KafkaConfig } from "../../../lib/config/mod.ts";
import {
  type Admin,
  createKafka,
  ensureTopics,
  idempotentProducer,
  type Kafka,
  ledgerOf,
  sendComplete,
  withAdmin,
} from "../../../lib/kafka/mod.ts";
import type { LeaderboardTopic } from "./leaderboard_config.ts";
import { encodeVote, type VoteEvent } from "./event.ts";

/** Creates the leaderboard topics that do not exist yet; returns the names it created. */
export function ensureLeaderboardTopics(
  admin: Admin,
  topics: readonly LeaderboardTopic[],
): Promise<string[]> {
  return ensureTopics(admin, topics);
}

/**
 * Publishes votes (acks=all, idempotent producer, key = skin id), one request
 * across partitions checked for every partition it placed votes on
 * (`sendComplete`): kafkajs 2.2.4 can resolve a send across partitions with
 * some of them never written when a leader moves during its retries
 * (lib/kafka/idempotent.ts).
 */
export class VotePublisher {
  readonly #kafka: Kafka;
  readonly #topic: string;
  readonly #producer;
  #connected = false;
  #tail: Promise<unknown> = Promise.resolve();

  /** `topic`: the votes topic. */
  constructor(
    kafka: KafkaConfig,
    topic: { name: string },
    options: { clientId?: string } = {},
  ) {
    this.#kafka = createKafka(kafka, { clientId: options.clientId ?? `${kafka.clientId}-votes` });
    this.#topic = topic.name;
    this.#producer = idempotentProducer(this.#kafka);
  }

  /** The topic votes go to. */
  get topic(): string {
    return this.#topic;
  }

  /** Creates the topics if missing (needs the admin API) and connects the producer. */
  async connect(topics: readonly LeaderboardTopic[] = []): Promise<void> {
    if (topics.length > 0) {
      await withAdmin(this.#kafka, (admin) => ensureLeaderboardTopics(admin, topics));
    }
    await this.#producer.connect();
    this.#connected = true;
  }

  /**
   * Sends votes and waits for the broker's acknowledgement. Sends are
   * serialised (one request at a time) so the idempotent producer keeps order.
   */
  send(events: readonly VoteEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const next = this.#tail.catch(() => {}).then(() =>
      sendComplete(this.#producer, ledgerOf(this.#producer), [
        { topic: this.#topic, messages: events.map(encodeVote) },
      ])
    );
    this.#tail = next;
    return next.then(() => {});
  }

  /** Waits for sends in flight and disconnects. */
  async disconnect(): Promise<void> {
    await this.#tail.catch(() => {});
    if (this.#connected) await this.#producer.disconnect();
    this.#connected = false;
  }
}
