/**
 * Metrics and health of an airq process: Prometheus text format on loopback
 * (docs/operations.md lists every metric and endpoint).
 *
 * @module
 */
export {
  BATCH_BUCKETS_S,
  type ConsumerMetrics,
  type DashboardMetrics,
  DRIFT_STATE_VALUES,
  type ForecasterMetrics,
  LATENCY_BUCKETS_S,
  Metrics,
  processMetrics,
  STAGE_BUCKETS_S,
  type StreamMetrics,
  type TopicStreamMetrics,
} from "./registry.ts";
export { METRICS_PATHS, metricsRoutes, type MetricsServer, serveMetrics } from "./http.ts";
