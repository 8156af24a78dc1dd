/**
 * The dashboard's Kafka side: one consumer per topic it follows (raw readings,
 * dead letters, alerts, and the forecasts and estimates topics once they
 * exist), each in a group of its own with no committed offsets, starting from
 * a recent window rather than the whole log; a periodic check for topics that
 * appeared; the pipeline consumer group's lag; and, with a store, at most one
 * store query per interval. Everything goes into a {@linkcode DashboardState}.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { KafkaConfig, TopicConfig } from "../config/mod.ts";
import { type Admin, type Consumer, createKafka, type EachBatchPayload } from "../kafka/mod.ts";
import { type QualityRules, validateMessage } from "../quality/mod.ts";
import { AlertSchema } from "../records/mod.ts";
import type { ReadingStore } from "../storage/mod.ts";
import type { DashboardConfig } from "./config.ts";
import { parseEstimate, parseForecastSet } from "./records.ts";
import type { DashboardState } from "./state.ts";

const log = getLogger(["airq", "dashboard", "feed"]);

/** The roles the dashboard follows. */
export const FOLLOWED_ROLES = ["raw", "dead_letter", "alerts", "forecasts", "estimates"] as const;

/** One followed role. */
export type FollowedRole = typeof FOLLOWED_ROLES[number];

/** What the feed needs. */
export interface FeedOptions {
  kafka: KafkaConfig;
  /** config/topics.json with the prefix applied. */
  topics: readonly TopicConfig[];
  /** AIRQ_TOPIC_PREFIX, applied to the names of topics config/topics.json does not define. */
  prefix: string;
  config: DashboardConfig;
  state: DashboardState;
  rules: QualityRules;
  store?: ReadingStore | undefined;
  /** The consumer group whose lag is shown (default from config). */
  watchGroup?: string | undefined;
}

/** Resolves the topic name of each followed role. */
export function topicNames(
  topics: readonly TopicConfig[],
  config: DashboardConfig,
  prefix: string,
): Record<FollowedRole, string> {
  const byRole = (role: FollowedRole) => topics.find((t) => t.role === role)?.name;
  const pending = config.feed.pendingTopics;
  return {
    raw: byRole("raw") ?? `${prefix}airq.readings.raw`,
    dead_letter: byRole("dead_letter") ?? `${prefix}airq.readings.dlq`,
    alerts: byRole("alerts") ?? `${prefix}airq.alerts`,
    forecasts: byRole("forecasts") ?? prefix + pending.forecasts,
    estimates: byRole("estimates") ?? prefix + pending.estimates,
  };
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Follows the topics into the state until `stop()`. */
export class DashboardFeed {
  readonly #o: FeedOptions;
  readonly #names: Record<FollowedRole, string>;
  readonly #kafka;
  readonly #id = crypto.randomUUID().slice(0, 8);
  readonly #consumers = new Map<FollowedRole, Consumer>();
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  readonly #decoder = new TextDecoder();
  #admin: Admin | null = null;
  #checking = false;
  #storeBusy = false;
  #stopped = false;

  constructor(options: FeedOptions) {
    this.#o = options;
    this.#names = topicNames(options.topics, options.config, options.prefix);
    this.#kafka = createKafka(options.kafka, { clientId: `${options.kafka.clientId}-dashboard` });
  }

  /** Topic name per role. */
  get names(): Record<FollowedRole, string> {
    return { ...this.#names };
  }

  /** Roles whose consumer is running. */
  get following(): FollowedRole[] {
    return [...this.#consumers.keys()];
  }

  /** Connects, follows the topics that exist, and starts the periodic checks. */
  async start(): Promise<void> {
    const { feed } = this.#o.config;
    this.#admin = this.#kafka.admin();
    await this.#admin.connect();
    await this.#checkTopics();
    this.#timers.push(setInterval(() => void this.#checkTopics(), feed.topicCheckIntervalMs));
    this.#timers.push(setInterval(() => void this.#checkLag(), feed.lagIntervalMs));
    void this.#checkLag();
    if (this.#o.store !== undefined) {
      this.#timers.push(setInterval(() => void this.#checkStore(), feed.storeIntervalMs));
      void this.#checkStore();
    }
  }

  /** Stops every consumer and timer. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.splice(0)) clearInterval(t);
    await Promise.all(
      [...this.#consumers.values()].map((c) => c.disconnect().catch(() => {})),
    );
    this.#consumers.clear();
    await this.#admin?.disconnect().catch(() => {});
    this.#admin = null;
  }

  async #checkTopics(): Promise<void> {
    if (this.#checking || this.#stopped || this.#admin === null) return;
    this.#checking = true;
    try {
      const existing = new Set(await this.#admin.listTopics());
      const exists = Object.fromEntries(
        FOLLOWED_ROLES.map((r) => [r, existing.has(this.#names[r])]),
      ) as Record<FollowedRole, boolean>;
      this.#o.state.setTopics(exists, {
        forecasts: this.#names.forecasts,
        estimates: this.#names.estimates,
      });
      for (const role of FOLLOWED_ROLES) {
        if (exists[role] && !this.#consumers.has(role) && !this.#stopped) await this.#follow(role);
      }
      this.#o.state.setFeedError(null);
    } catch (error) {
      log.warn("Checking topics failed: {error}", { error: message(error) });
      this.#o.state.setFeedError(`Kafka: ${message(error)}`);
    } finally {
      this.#checking = false;
    }
  }

  async #follow(role: FollowedRole): Promise<void> {
    const topic = this.#names[role];
    const consumer = this.#kafka.consumer({
      groupId: `airq-dashboard-${this.#id}-${role}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 250,
    });
    this.#consumers.set(role, consumer);
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) {
        this.#o.state.setFeedError(`the ${role} consumer stopped: ${String(e.payload.error)}`);
      }
    });
    try {
      await this.#run(role, topic, consumer);
    } catch (error) {
      // e.g. NOT_LEADER right after the topic was created: the next check tries again
      this.#consumers.delete(role);
      await consumer.disconnect().catch(() => {});
      throw error;
    }
  }

  async #run(role: FollowedRole, topic: string, consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async (payload: EachBatchPayload) => {
        for (const m of payload.batch.messages) this.#handle(role, payload.batch, m);
        await payload.heartbeat();
      },
    });
    // start from a recent window of each partition, not from the whole log
    const offsets = await this.#admin!.fetchTopicOffsets(topic);
    const per = Math.ceil(this.#o.config.feed.recentMessages / Math.max(1, offsets.length));
    for (const o of offsets) {
      const from = Math.max(Number(o.low), Number(o.high) - per);
      consumer.seek({ topic, partition: o.partition, offset: String(from) });
    }
    log.info("Following {topic} ({role}) from the last {per} messages per partition", {
      topic,
      role,
      per,
    });
  }

  #handle(
    role: FollowedRole,
    batch: EachBatchPayload["batch"],
    m: EachBatchPayload["batch"]["messages"][number],
  ): void {
    const state = this.#o.state;
    if (role === "raw") {
      const result = validateMessage(m.value, {
        source: { topic: batch.topic, partition: batch.partition, offset: m.offset },
        key: m.key === null ? null : m.key.toString(),
        now: Date.now(),
      }, this.#o.rules);
      if (result.ok) state.observeReading(result.reading);
      else state.observeUnreadable("raw");
      return;
    }
    if (role === "dead_letter") {
      const reason = m.headers?.["airq.reason"];
      state.observeDeadLetter(reason === undefined ? "unknown" : String(reason));
      return;
    }
    let value: unknown;
    try {
      value = m.value === null ? null : JSON.parse(this.#decoder.decode(m.value));
    } catch {
      state.observeUnreadable(role);
      return;
    }
    if (role === "alerts") {
      const alert = AlertSchema.safeParse(value);
      if (alert.success) state.observeAlert(alert.data);
      else state.observeUnreadable(role);
    } else if (role === "forecasts") {
      const set = parseForecastSet(value);
      if (set !== null) { for (const f of set) state.observeForecast(f); }
      else state.observeUnreadable(role);
    } else {
      const e = parseEstimate(value);
      if (e !== null) state.observeEstimate(e);
      else state.observeUnreadable(role);
    }
  }

  async #checkLag(): Promise<void> {
    const admin = this.#admin;
    if (admin === null || this.#stopped || !this.#consumers.has("raw")) return;
    const group = this.#o.watchGroup ?? this.#o.config.feed.watchGroup;
    const topic = this.#names.raw;
    try {
      const [committed, ends] = await Promise.all([
        admin.fetchOffsets({ groupId: group, topics: [topic] }),
        admin.fetchTopicOffsets(topic),
      ]);
      const parts = committed.find((c) => c.topic === topic)?.partitions ?? [];
      let lag: number | null = null;
      for (const end of ends) {
        const c = Number(parts.find((p) => p.partition === end.partition)?.offset ?? -1);
        if (c < 0) continue;
        lag = (lag ?? 0) + Math.max(0, Number(end.high) - c);
      }
      this.#o.state.setLag({ group, lag, checked_at_ms: Date.now() });
    } catch (error) {
      log.debug("Reading the lag of {group} failed: {error}", { group, error: message(error) });
    }
  }

  async #checkStore(): Promise<void> {
    const store = this.#o.store;
    if (store === undefined || this.#stopped || this.#storeBusy) return;
    this.#storeBusy = true; // at most one store query at a time, one per interval
    try {
      const s = await store.summary();
      this.#o.state.setStore({
        stored_readings: s.stored_readings,
        stations: s.stations,
        dead_letters: s.dead_letters,
        checked_at_ms: Date.now(),
      });
    } catch (error) {
      log.warn("Reading the store failed: {error}", { error: message(error) });
    } finally {
      this.#storeBusy = false;
    }
  }
}
