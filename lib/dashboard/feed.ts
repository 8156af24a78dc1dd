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
import { findTopicByRole, type KafkaConfig, type TopicConfig } from "../config/mod.ts";
import {
  type Admin,
  type Consumer,
  createKafka,
  deadLetterReason,
  type EachBatchPayload,
  runStream,
} from "../kafka/mod.ts";
import { type QualityRules, validateMessage } from "../quality/mod.ts";
import { AlertSchema } from "../records/mod.ts";
import type { ReadingStore } from "../storage/mod.ts";
import type { DashboardConfig } from "./dashboard_config.ts";
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
  const byRole = (role: FollowedRole) => findTopicByRole(topics, role)?.name;
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
  /** One stream per followed topic, stopped through its controller. */
  readonly #follows = new Map<FollowedRole, { stop: AbortController; run: Promise<unknown> }>();
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
    return [...this.#follows.keys()];
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
    const follows = [...this.#follows.values()];
    this.#follows.clear();
    for (const f of follows) f.stop.abort();
    await Promise.all(follows.map((f) => f.run.catch(() => {})));
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
        if (exists[role] && !this.#follows.has(role) && !this.#stopped) await this.#follow(role);
      }
      this.#o.state.setFeedError(null);
    } catch (error) {
      log.warn("Checking topics failed: {error}", { error: message(error) });
      this.#o.state.setFeedError(`Kafka: ${message(error)}`);
    } finally {
      this.#checking = false;
    }
  }

  /**
   * Follows one topic on the shared stream loop, in a group of its own, from
   * the recent end of each partition; resolves once the member runs, throws
   * when it could not start (e.g. NOT_LEADER right after the topic was
   * created: the next check tries again).
   */
  async #follow(role: FollowedRole): Promise<void> {
    const topic = this.#names[role];
    const stop = new AbortController();
    let running!: () => void;
    const started = new Promise<void>((resolve) => (running = resolve));
    const run = runStream({
      kafka: this.#kafka,
      name: `dashboard ${role} feed`,
      topic,
      fromBeginning: false,
      group: {
        groupId: `airq-dashboard-${this.#id}-${role}`,
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 1000,
        maxBytesPerPartition: 1_048_576,
        maxWaitTimeMs: 250,
      },
      // nothing to commit: a restarted dashboard starts from the recent window again
      eachBatch: async (payload) => {
        for (const m of payload.batch.messages) this.#handle(role, payload.batch, m);
        const last = payload.batch.messages.at(-1);
        if (last !== undefined) payload.resolveOffset(last.offset);
        await payload.heartbeat();
      },
      onRunning: async (member) => {
        await this.#seekRecent(topic, role, member);
        running();
      },
      onCrash: (error) =>
        this.#o.state.setFeedError(`the ${role} consumer stopped: ${String(error)}`),
      signal: stop.signal,
    });
    this.#follows.set(role, { stop, run });
    run.catch(() => {}).finally(() => {
      if (this.#follows.get(role)?.run === run) this.#follows.delete(role);
    });
    await Promise.race([started, run.then(() => {})]);
  }

  /** Starts each partition from a recent window, not from the whole log. */
  async #seekRecent(topic: string, role: FollowedRole, member: Consumer): Promise<void> {
    const offsets = await this.#admin!.fetchTopicOffsets(topic);
    const per = Math.ceil(this.#o.config.feed.recentMessages / Math.max(1, offsets.length));
    for (const o of offsets) {
      const from = Math.max(Number(o.low), Number(o.high) - per);
      member.seek({ topic, partition: o.partition, offset: String(from) });
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
      state.observeDeadLetter(deadLetterReason(m.headers));
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
    if (admin === null || this.#stopped || !this.#follows.has("raw")) return;
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
