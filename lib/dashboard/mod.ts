/**
 * The live dashboard: a read-only `Deno.serve` page fed from Kafka (raw
 * readings, dead letters, alerts, and forecasts and estimates once their
 * topics exist) and, optionally, the store; updates pushed over Server-Sent
 * Events. See docs/dashboard.md.
 *
 * ```ts ignore
 * import { loadDashboardConfig, startDashboard } from "./lib/dashboard/mod.ts";
 * const dashboard = await startDashboard({ kafka, topics, prefix: "", config, rules });
 * console.log(dashboard.url);
 * await dashboard.stop();
 * ```
 *
 * @module
 */
export { type Dashboard, type DashboardOptions, startDashboard } from "./app.ts";
export { loadAssets, uplotDir, WEB_DIR } from "./assets.ts";
export {
  DASHBOARD_CONFIG_FILE,
  type DashboardConfig,
  DashboardConfigSchema,
  type Limit,
  LimitSchema,
  loadDashboardConfig,
  type PollutantConfig,
} from "./dashboard_config.ts";
export {
  DashboardFeed,
  type FeedOptions,
  FOLLOWED_ROLES,
  type FollowedRole,
  topicNames,
} from "./feed.ts";
export { EventHub, type EventHubOptions } from "./hub.ts";
export { type Estimate, type Forecast, parseEstimate, parseForecastSet } from "./records.ts";
export {
  type Asset,
  CONTENT_SECURITY_POLICY,
  createHandler,
  type HandlerDeps,
  hostCheck,
  SECURITY_HEADERS,
  withRoutes,
} from "./server.ts";
export {
  type AlertView,
  type DashboardSnapshot,
  DashboardState,
  type ForecastPoint,
  type ForecastSeries,
  type LiveError,
  type PollutantNow,
  type StationNow,
} from "./state.ts";
