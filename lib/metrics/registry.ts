/**
 * Every metric an airq process exports, in Prometheus's text format, on
 * prom-client (the only module that imports it; tests/architecture/_layers.ts).
 *
 * A process owns one {@linkcode Metrics}: a registry plus its readiness. The
 * metric groups (`stream`, `consumer`, `forecaster`, `dashboard`) are
 * registered the first time a process asks for them, so each process exports
 * the groups it uses. Every name, type and label is listed in
 * docs/operations.md (a test holds the two together).
 *
 * Hot path: counters and histograms are bumped once per batch or per message
 * with label values resolved once per batch ({@linkcode StreamMetrics.forTopic}).
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Seconds buckets of the batch-duration histogram (5 ms to 30 s). */
export const BATCH_BUCKETS_S: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/** Seconds buckets of the end-to-end latency histogram (10 ms to 2 min). */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  120,
];

/** The bound children of one topic's stream metrics: no label lookup per message. */
export interface TopicStreamMetrics {
  messages: { inc(n: number): void };
  batches: { inc(): void };
  batchSeconds: { observe(v: number): void };
  latencySeconds: { observe(v: number): void };
  lag(partition: number, value: number): void;
}

/** What the shared stream loop (lib/kafka/stream.ts) records for every process. */
export class StreamMetrics {
  readonly messages: Counter<"topic">;
  readonly batches: Counter<"topic">;
  readonly batchSeconds: Histogram<"topic">;
  readonly latencySeconds: Histogram<"topic">;
  readonly lag: Gauge<"topic" | "partition">;
  readonly joined: Gauge<"stream">;
  readonly restarts: Counter<"stream">;
  readonly rebalances: Counter<"stream">;
  #topics = new Map<string, TopicStreamMetrics>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.messages = new Counter({
      name: "airq_stream_messages_total",
      help: "Messages handled by the stream loop (after the batch handler returned)",
      labelNames: ["topic"],
      registers,
    });
    this.batches = new Counter({
      name: "airq_stream_batches_total",
      help: "Batches (one partition's fetched messages) handled",
      labelNames: ["topic"],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: "airq_stream_batch_duration_seconds",
      help: "Time the batch handler took for one batch",
      labelNames: ["topic"],
      buckets: [...BATCH_BUCKETS_S],
      registers,
    });
    this.latencySeconds = new Histogram({
      name: "airq_stream_end_to_end_latency_seconds",
      help:
        "From a record's production (header airq.produced_at) to the end of the batch that handled it",
      labelNames: ["topic"],
      buckets: [...LATENCY_BUCKETS_S],
      registers,
    });
    this.lag = new Gauge({
      name: "airq_stream_lag_messages",
      help: "Messages behind the partition's high watermark after the last batch handled",
      labelNames: ["topic", "partition"],
      registers,
    });
    this.joined = new Gauge({
      name: "airq_stream_joined",
      help: "1 while the stream's group member has joined its group (readiness), else 0",
      labelNames: ["stream"],
      registers,
    });
    this.restarts = new Counter({
      name: "airq_stream_member_restarts_total",
      help: "Fresh group members started after a crash kafkajs did not retry",
      labelNames: ["stream"],
      registers,
    });
    this.rebalances = new Counter({
      name: "airq_stream_joins_total",
      help: "Group joins (the first and every rebalance)",
      labelNames: ["stream"],
      registers,
    });
  }

  /** The metrics of one topic with their labels bound (cached). */
  forTopic(topic: string): TopicStreamMetrics {
    let bound = this.#topics.get(topic);
    if (bound === undefined) {
      const labels = { topic };
      const lagByPartition = new Map<number, { set(v: number): void }>();
      const lag = this.lag;
      bound = {
        messages: this.messages.labels(labels),
        batches: this.batches.labels(labels),
        batchSeconds: this.batchSeconds.labels(labels),
        latencySeconds: this.latencySeconds.labels(labels),
        lag(partition, value) {
          let child = lagByPartition.get(partition);
          if (child === undefined) {
            child = lag.labels({ topic, partition: String(partition) });
            lagByPartition.set(partition, child);
          }
          child.set(value);
        },
      };
      this.#topics.set(topic, bound);
    }
    return bound;
  }
}

/** The validating consumer's own metrics (lib/pipeline/consume.ts). */
export class ConsumerMetrics {
  readonly stored: Counter;
  readonly duplicates: Counter;
  readonly deadLetters: Counter;
  readonly validationFailures: Counter<"reason">;
  readonly alerts: Counter<"source">;

  constructor(registry: Registry, alerts: Counter<"source">) {
    const registers = [registry];
    this.stored = new Counter({
      name: "airq_consumer_readings_stored_total",
      help: "Valid readings newly written to the store",
      registers,
    });
    this.duplicates = new Counter({
      name: "airq_consumer_duplicates_total",
      help: "Valid readings the store already had (redelivery or a duplicate sent by the producer)",
      registers,
    });
    this.deadLetters = new Counter({
      name: "airq_dead_letters_total",
      help: "Messages published to the dead-letter topic",
      registers,
    });
    this.validationFailures = new Counter({
      name: "airq_validation_failures_total",
      help: "Messages rejected by validation, by reason (each one is also a dead letter)",
      labelNames: ["reason"],
      registers,
    });
    this.alerts = alerts;
  }
}

/** Drift state values of `airq_model_drift_state`. */
export const DRIFT_STATE_VALUES: Readonly<Record<"none" | "warning" | "critical", number>> = {
  none: 0,
  warning: 1,
  critical: 2,
};

/** The forecaster's own metrics (lib/realtime/run.ts and services/forecaster.ts). */
export class ForecasterMetrics {
  readonly readings: Counter;
  readonly forecasts: Counter;
  readonly forecastSets: Counter;
  readonly baselineForecasts: Counter;
  readonly estimates: Counter;
  readonly invalid: Counter;
  readonly transactions: Counter<"outcome">;
  readonly alerts: Counter<"source">;
  readonly driftState: Gauge;
  readonly driftAlertsFiring: Gauge;
  readonly modelInfo: Gauge<"model" | "version">;
  #collect: (() => void) | undefined;

  constructor(registry: Registry, alerts: Counter<"source">) {
    const registers = [registry];
    this.readings = new Counter({
      name: "airq_forecaster_readings_total",
      help: "Valid readings forecast for, in committed transactions",
      registers,
    });
    this.invalid = new Counter({
      name: "airq_forecaster_invalid_total",
      help: "Raw messages the forecaster skipped as invalid (the consumer dead-letters them)",
      registers,
    });
    this.forecastSets = new Counter({
      name: "airq_forecast_sets_written_total",
      help: "Forecast sets (one record per reading) committed to the forecasts topic",
      registers,
    });
    this.forecasts = new Counter({
      name: "airq_forecasts_written_total",
      help: "Forecasts (targets x horizons) inside the committed forecast sets",
      registers,
    });
    this.baselineForecasts = new Counter({
      name: "airq_forecasts_baseline_total",
      help: "Forecasts that fell back to a baseline (no model, warm-up)",
      registers,
    });
    this.estimates = new Counter({
      name: "airq_estimates_written_total",
      help: "Virtual-sensor estimates committed to the estimates topic",
      registers,
    });
    this.transactions = new Counter({
      name: "airq_forecaster_transactions_total",
      help: "Kafka transactions, by outcome (committed or aborted)",
      labelNames: ["outcome"],
      registers,
    });
    // read from the model monitor when scraped, not on the hot path (`onCollect`)
    const collect = () => this.#collect?.();
    this.driftState = new Gauge({
      name: "airq_model_drift_state",
      help: "Worst drift alert firing now over every station: 0 none, 1 warning, 2 critical",
      registers,
      collect,
    });
    this.driftAlertsFiring = new Gauge({
      name: "airq_model_alerts_firing",
      help: "Model-monitoring alerts firing now (live MAE ratio, Page-Hinkley, PSI)",
      registers,
    });
    this.modelInfo = new Gauge({
      name: "airq_model_info",
      help:
        "1 per deployed model (target|horizon), labelled with its version (blend and artifact time); model none = baselines only",
      labelNames: ["model", "version"],
      registers,
    });
    this.alerts = alerts;
  }

  /** Where the drift gauges read from at scrape time (e.g. the model monitor's snapshot). */
  onDrift(read: () => DriftReading): void {
    this.#collect = () => {
      const now = read();
      this.driftState.set(DRIFT_STATE_VALUES[now.drift]);
      this.driftAlertsFiring.set(now.alerts_firing);
    };
  }
}

/** The drift gauges' values, read when Prometheus scrapes. */
export interface DriftReading {
  drift: "none" | "warning" | "critical";
  alerts_firing: number;
}

/** The dashboard's own metrics (lib/dashboard). */
export class DashboardMetrics {
  readonly viewers: Gauge;
  #viewers: (() => number) | undefined;

  constructor(registry: Registry) {
    const read = () => this.#viewers?.();
    this.viewers = new Gauge({
      name: "airq_dashboard_viewers",
      help: "Open Server-Sent Events streams (browser tabs watching the page)",
      registers: [registry],
      collect() {
        const n = read();
        if (n !== undefined) this.set(n);
      },
    });
  }

  /** Where the viewers gauge reads from at scrape time. */
  onViewers(read: () => number): void {
    this.#viewers = read;
  }
}

/** One process's metrics and readiness. */
export class Metrics {
  readonly registry: Registry = new Registry();
  #stream?: StreamMetrics;
  #consumer?: ConsumerMetrics;
  #forecaster?: ForecasterMetrics;
  #dashboard?: DashboardMetrics;
  #alerts?: Counter<"source">;
  #ready = new Map<string, boolean>();

  /** The shared stream loop's metrics. */
  get stream(): StreamMetrics {
    return this.#stream ??= new StreamMetrics(this.registry);
  }

  /** The validating consumer's metrics. */
  get consumer(): ConsumerMetrics {
    return this.#consumer ??= new ConsumerMetrics(this.registry, this.#alertCounter());
  }

  /** The forecaster's metrics. */
  get forecaster(): ForecasterMetrics {
    return this.#forecaster ??= new ForecasterMetrics(this.registry, this.#alertCounter());
  }

  /** The dashboard's metrics. */
  get dashboard(): DashboardMetrics {
    return this.#dashboard ??= new DashboardMetrics(this.registry);
  }

  #alertCounter(): Counter<"source"> {
    return this.#alerts ??= new Counter({
      name: "airq_alerts_total",
      help: "Alerts raised or resolved, by source (quality: the consumer; forecaster)",
      labelNames: ["source"],
      registers: [this.registry],
    });
  }

  /** Sets a component's readiness (e.g. a stream that joined its group). */
  setReady(component: string, ready: boolean): void {
    this.#ready.set(component, ready);
  }

  /** Ready when at least one component reported and every one is ready. */
  ready(): { ready: boolean; components: Record<string, boolean> } {
    const components = Object.fromEntries(this.#ready);
    const values = [...this.#ready.values()];
    return { ready: values.length > 0 && values.every((v) => v), components };
  }

  /** The text exposition of every registered metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The exposition's Content-Type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric name registered so far. */
  names(): string[] {
    return this.registry.getMetricsAsArray().map((m) => m.name).sort();
  }

  /** Registers every group (for the documentation check). */
  registerAll(): this {
    void this.stream, this.consumer, this.forecaster, this.dashboard;
    return this;
  }
}

/** The metrics of this process: what runStream records into and /metrics serves. */
export const processMetrics: Metrics = new Metrics();
