/**
 * The dashboard in one call: the state, its Kafka feed (and the store, when
 * given), the event hub and the web server. `stop()` takes them down in
 * reverse order.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { KafkaConfig, TopicConfig } from "../config/mod.ts";
import type { QualityRules } from "../quality/mod.ts";
import type { ReadingStore } from "../storage/mod.ts";
import type { ExpectedMae } from "../records/mod.ts";
import { loadAssets } from "./assets.ts";
import type { DashboardConfig } from "./dashboard_config.ts";
import { DashboardFeed } from "./feed.ts";
import { EventHub } from "./hub.ts";
import { createHandler, withRoutes } from "./server.ts";
import { type Metrics, metricsRoutes, processMetrics } from "../metrics/mod.ts";
import { DashboardState } from "./state.ts";
import { CleanupStack } from "../stop.ts";

const log = getLogger(["airq", "dashboard"]);

/** Options of `startDashboard`. */
export interface DashboardOptions {
  kafka: KafkaConfig;
  topics: readonly TopicConfig[];
  prefix: string;
  config: DashboardConfig;
  rules: QualityRules;
  store?: ReadingStore | undefined;
  /** Port (0 = any free one); default from config. */
  port?: number | undefined;
  /** Host to bind; default from config (127.0.0.1). */
  hostname?: string | undefined;
  watchGroup?: string | undefined;
  /** Served on /metrics, /healthz, /readyz of the page's server (default: this process's). */
  metrics?: Metrics | undefined;
  /** The trained models' offline MAE (`<modelDir>/expected.json`), shown beside the live MAE. */
  expected?: ExpectedMae | null | undefined;
}

/** A running dashboard. */
export interface Dashboard {
  /** The page, e.g. http://127.0.0.1:8788/. */
  url: string;
  state: DashboardState;
  feed: DashboardFeed;
  stop(): Promise<void>;
}

/** Starts the dashboard; on a start-up failure, stops whatever it had started. */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { config } = options;
  const hostname = options.hostname ?? config.server.hostname;
  const cleanups = new CleanupStack(log);
  const cleanup = () => cleanups.run();
  try {
    const state = new DashboardState(config);
    if (options.expected) state.setExpected(options.expected);
    const feed = new DashboardFeed({
      kafka: options.kafka,
      topics: options.topics,
      prefix: options.prefix,
      config,
      state,
      rules: options.rules,
      store: options.store,
      watchGroup: options.watchGroup,
    });
    cleanups.push(() => feed.stop());
    await feed.start();
    const hub = new EventHub(state, config.server);
    hub.start();
    cleanups.push(() => hub.close());
    const hostnames = [hostname, ...config.server.allowedHosts];
    const handler = createHandler({
      assets: await loadAssets(),
      events: () => (hub.hasRoom ? hub.stream() : null),
      hostnames,
    });
    // /metrics, /healthz, /readyz on the page's own server (same Host check as the page)
    const metrics = options.metrics ?? processMetrics;
    metrics.dashboard.onViewers(() => hub.clients);
    const server = Deno.serve({
      hostname,
      port: options.port ?? config.server.port,
      onListen: () => {},
    }, withRoutes(handler, metricsRoutes(metrics), hostnames));
    cleanups.push(() => server.shutdown());
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    const url = `http://${host}:${server.addr.port}/`;
    log.info("Dashboard on {url}, following {topics}", {
      url,
      topics: Object.values(feed.names).join(", "),
    });
    return { url, state, feed, stop: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
