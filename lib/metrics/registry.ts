/**
 * Every metric an airq process exports, in Prometheus's text format, on
 * prom-client (the only module that imports it; tests/architecture/_layers.ts).
 *
 * A process owns one {@linkcode Metrics}: a registry plus its readiness. The
 * metric groups (`stream`, `consumer`, `forecaster`, `dashboard`) are declared
 * as tables (one metric a row: type, name, labels, help, buckets) and
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

/** Seconds buckets of the forecaster's chunk stages (1 ms to 2 min): most stages take a few ms. */
export const STAGE_BUCKETS_S: readonly number[] = [0.001, 0.0025, 0.005, ...LATENCY_BUCKETS_S];

type Kind = "counter" | "gauge" | "histogram";

/** One metric's declaration: its type, name, labels, help text and (histograms) buckets. */
interface Spec<K extends Kind = Kind, L extends string = string> {
  readonly kind: K;
  readonly name: string;
  readonly labels: readonly L[];
  readonly help: string;
  readonly buckets?: readonly number[];
}

function spec<K extends Kind, L extends string = never>(
  kind: K,
  name: string,
  labels: readonly L[],
  help: string,
  buckets?: readonly number[],
): Spec<K, L> {
  return buckets === undefined
    ? { kind, name, labels, help }
    : { kind, name, labels, help, buckets };
}

/** An unlabelled metric keeps prom-client's default label type, as `new Counter({...})` gives. */
type LabelsOf<L extends string> = [L] extends [never] ? string : L;

/** The prom-client metric a {@linkcode Spec} declares. */
type Built<S> = S extends Spec<"counter", infer L> ? Counter<LabelsOf<L>>
  : S extends Spec<"gauge", infer L> ? Gauge<LabelsOf<L>>
  : S extends Spec<"histogram", infer L> ? Histogram<LabelsOf<L>>
  : never;

/** The metrics of one group, by the keys of its declaration table. */
type Group<T> = { readonly [K in keyof T]: Built<T[K]> };

/**
 * Registers every metric of `specs` on `registry`, in the table's order; `collect` gives a
 * metric a function prom-client calls when Prometheus scrapes.
 */
function register<T extends Record<string, Spec>>(
  registry: Registry,
  specs: T,
  collect: { [K in keyof T]?: () => void } = {},
): Group<T> {
  const out: Record<string, Counter | Gauge | Histogram> = {};
  for (const [key, s] of Object.entries(specs)) {
    const onScrape = collect[key as keyof T];
    const options = {
      name: s.name,
      help: s.help,
      registers: [registry],
      ...(s.labels.length === 0 ? {} : { labelNames: [...s.labels] }),
      ...(onScrape === undefined ? {} : { collect: onScrape }),
    };
    out[key] = s.kind === "counter"
      ? new Counter(options)
      : s.kind === "gauge"
      ? new Gauge(options)
      : new Histogram({ ...options, buckets: [...(s.buckets ?? [])] });
  }
  return out as Group<T>;
}

// The declaration tables, one metric a line (kept unwrapped so that each reads as a table row).

// deno-fmt-ignore
const STREAM = {
  messages: spec("counter", "airq_stream_messages_total", ["topic"], "Messages handled by the stream loop (after the batch handler returned)"),
  batches: spec("counter", "airq_stream_batches_total", ["topic"], "Batches (one partition's fetched messages) handled"),
  batchSeconds: spec("histogram", "airq_stream_batch_duration_seconds", ["topic"], "Time the batch handler took for one batch", BATCH_BUCKETS_S),
  latencySeconds: spec("histogram", "airq_stream_end_to_end_latency_seconds", ["topic"], "From a record's production (header airq.produced_at) to the end of the batch that handled it", LATENCY_BUCKETS_S),
  lag: spec("gauge", "airq_stream_lag_messages", ["topic", "partition"], "Messages behind the partition's high watermark after the last batch handled"),
  joined: spec("gauge", "airq_stream_joined", ["stream"], "1 while the stream's group member has joined its group (readiness), else 0"),
  restarts: spec("counter", "airq_stream_member_restarts_total", ["stream"], "Fresh group members started after a crash kafkajs did not retry"),
  rebalances: spec("counter", "airq_stream_joins_total", ["stream"], "Group joins (the first and every rebalance)"),
};

// deno-fmt-ignore
const ALERTS = {
  alerts: spec("counter", "airq_alerts_total", ["source"], "Alerts raised or resolved, by source (quality: the consumer; forecaster)"),
};

// deno-fmt-ignore
const CONSUMER = {
  stored: spec("counter", "airq_consumer_readings_stored_total", [], "Valid readings newly written to the store"),
  duplicates: spec("counter", "airq_consumer_duplicates_total", [], "Valid readings the store already had (redelivery or a duplicate sent by the producer)"),
  deadLetters: spec("counter", "airq_dead_letters_total", [], "Messages published to the dead-letter topic"),
  validationFailures: spec("counter", "airq_validation_failures_total", ["reason"], "Messages rejected by validation, by reason (each one is also a dead letter)"),
};

// deno-fmt-ignore
const FORECASTER = {
  readings: spec("counter", "airq_forecaster_readings_total", [], "Valid readings forecast for, in committed transactions"),
  invalid: spec("counter", "airq_forecaster_invalid_total", [], "Raw messages the forecaster skipped as invalid (the consumer dead-letters them)"),
  forecastSets: spec("counter", "airq_forecast_sets_written_total", [], "Forecast sets (one record per reading) committed to the forecasts topic"),
  forecasts: spec("counter", "airq_forecasts_written_total", [], "Forecasts (targets x horizons) inside the committed forecast sets"),
  baselineForecasts: spec("counter", "airq_forecasts_baseline_total", [], "Forecasts that fell back to a baseline (no model, warm-up)"),
  estimates: spec("counter", "airq_estimates_written_total", [], "Virtual-sensor estimates committed to the estimates topic"),
  transactions: spec("counter", "airq_forecaster_transactions_total", ["outcome"], "Kafka transactions, by outcome (committed or aborted)"),
  chunkStageSeconds: spec("histogram", "airq_forecaster_chunk_stage_seconds", ["stage"], "Each committed chunk's stages (fetch, queue, process, store, send, offsets, commit, total; the summary's chunk_ms, docs/realtime.md)", STAGE_BUCKETS_S),
  driftState: spec("gauge", "airq_model_drift_state", [], "Worst drift alert firing now over every station: 0 none, 1 warning, 2 critical"),
  driftAlertsFiring: spec("gauge", "airq_model_alerts_firing", [], "Model-monitoring alerts firing now (live MAE ratio, Page-Hinkley, PSI)"),
  modelInfo: spec("gauge", "airq_model_info", ["model", "version"], "1 per deployed model (target|horizon), labelled with its version (blend and artifact time); model none = baselines only"),
};

// deno-fmt-ignore
const DASHBOARD = {
  viewers: spec("gauge", "airq_dashboard_viewers", [], "Open Server-Sent Events streams (browser tabs watching the page)"),
};

/** The bound children of one topic's stream metrics: no label lookup per message. */
export interface TopicStreamMetrics {
  messages: { inc(n: number): void };
  batches: { inc(): void };
  batchSeconds: { observe(v: number): void };
  latencySeconds: { observe(v: number): void };
  lag(partition: number, value: number): void;
}

/** What the shared stream loop (lib/kafka/stream.ts) records for every process. */
export type StreamMetrics = Group<typeof STREAM> & {
  /** The metrics of one topic with their labels bound (cached). */
  forTopic(topic: string): TopicStreamMetrics;
};

function streamMetrics(registry: Registry): StreamMetrics {
  const m = register(registry, STREAM);
  const topics = new Map<string, TopicStreamMetrics>();
  const forTopic = (topic: string): TopicStreamMetrics => {
    let bound = topics.get(topic);
    if (bound === undefined) {
      const labels = { topic };
      const lagByPartition = new Map<number, { set(v: number): void }>();
      bound = {
        messages: m.messages.labels(labels),
        batches: m.batches.labels(labels),
        batchSeconds: m.batchSeconds.labels(labels),
        latencySeconds: m.latencySeconds.labels(labels),
        lag(partition, value) {
          let child = lagByPartition.get(partition);
          if (child === undefined) {
            child = m.lag.labels({ topic, partition: String(partition) });
            lagByPartition.set(partition, child);
          }
          child.set(value);
        },
      };
      topics.set(topic, bound);
    }
    return bound;
  };
  return { ...m, forTopic };
}

/** The validating consumer's own metrics (lib/pipeline/consume.ts). */
export type ConsumerMetrics = Group<typeof CONSUMER> & Group<typeof ALERTS>;

/** Drift state values of `airq_model_drift_state`. */
export const DRIFT_STATE_VALUES: Readonly<Record<"none" | "warning" | "critical", number>> = {
  none: 0,
  warning: 1,
  critical: 2,
};

/** The forecaster's own metrics (lib/realtime/run.ts and services/forecaster.ts). */
export type ForecasterMetrics = Group<typeof FORECASTER> & Group<typeof ALERTS> & {
  /** Where the drift gauges read from at scrape time (e.g. the model monitor's snapshot). */
  onDrift(read: () => DriftReading): void;
};

function forecasterMetrics(registry: Registry, alerts: Group<typeof ALERTS>): ForecasterMetrics {
  let read: (() => DriftReading) | undefined;
  // read from the model monitor when scraped, not on the hot path (`onDrift`)
  const m = register(registry, FORECASTER, {
    driftState() {
      if (read === undefined) return;
      const now = read();
      m.driftState.set(DRIFT_STATE_VALUES[now.drift]);
      m.driftAlertsFiring.set(now.alerts_firing);
    },
  });
  return { ...m, ...alerts, onDrift: (r) => void (read = r) };
}

/** The drift gauges' values, read when Prometheus scrapes. */
export interface DriftReading {
  drift: "none" | "warning" | "critical";
  alerts_firing: number;
}

/** The dashboard's own metrics (lib/dashboard). */
export type DashboardMetrics = Group<typeof DASHBOARD> & {
  /** Where the viewers gauge reads from at scrape time. */
  onViewers(read: () => number): void;
};

function dashboardMetrics(registry: Registry): DashboardMetrics {
  let read: (() => number) | undefined;
  const m = register(registry, DASHBOARD, {
    viewers() {
      const n = read?.();
      if (n !== undefined) m.viewers.set(n);
    },
  });
  return { ...m, onViewers: (r) => void (read = r) };
}

/** One process's metrics and readiness. */
export class Metrics {
  readonly registry: Registry = new Registry();
  #stream?: StreamMetrics;
  #consumer?: ConsumerMetrics;
  #forecaster?: ForecasterMetrics;
  #dashboard?: DashboardMetrics;
  #alerts?: Group<typeof ALERTS>;
  #ready = new Map<string, boolean>();

  /** The shared stream loop's metrics. */
  get stream(): StreamMetrics {
    return this.#stream ??= streamMetrics(this.registry);
  }

  /** The validating consumer's metrics. */
  get consumer(): ConsumerMetrics {
    if (this.#consumer === undefined) {
      const alerts = this.#alertCounter(); // registered first, as the forecaster's group has it
      this.#consumer = { ...register(this.registry, CONSUMER), ...alerts };
    }
    return this.#consumer;
  }

  /** The forecaster's metrics. */
  get forecaster(): ForecasterMetrics {
    return this.#forecaster ??= forecasterMetrics(this.registry, this.#alertCounter());
  }

  /** The dashboard's metrics. */
  get dashboard(): DashboardMetrics {
    return this.#dashboard ??= dashboardMetrics(this.registry);
  }

  /** The alerts counter, shared by the consumer's and the forecaster's groups. */
  #alertCounter(): Group<typeof ALERTS> {
    return this.#alerts ??= register(this.registry, ALERTS);
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
