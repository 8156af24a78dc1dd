/**
 * `config/dashboard.json`: the dashboard's web server, its Kafka feed, what it
 * shows, and the limit values it draws. Unknown keys are errors.
 *
 * @module
 */
import { z } from "zod";
import { CONFIG_DIR, loadConfig } from "../config/mod.ts";
import { MEASUREMENT_FIELDS } from "../records/mod.ts";

/** The dashboard's file in `config/`. */
export const DASHBOARD_CONFIG_FILE = "dashboard.json";

const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "must be a Kafka topic name");

/** A limit or guideline value drawn as a band. */
export const LimitSchema = z.strictObject({
  /** `limit`: legally binding (EU); `guideline`: advisory (WHO 2021). */
  kind: z.enum(["limit", "guideline"]),
  value: z.number().positive(),
  /** The averaging period the value applies to. */
  averaging: z.enum(["1h", "8h", "24h", "year"]),
  source: z.string().min(1),
});

/** A limit or guideline value. */
export type Limit = z.infer<typeof LimitSchema>;

/** `config/dashboard.json`. */
export const DashboardConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  server: z.strictObject({
    /** Loopback by default; anything else exposes the page to the network. */
    hostname: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    /** Host names accepted in the Host header besides loopback and `hostname`. */
    allowedHosts: z.array(z.string().min(1)),
    /** At most one push per interval to each page. */
    pushIntervalMs: z.number().int().min(100),
    /** A comment line on idle streams, so proxies keep them open. */
    heartbeatMs: z.number().int().min(1000),
    maxClients: z.number().int().min(1).max(10_000),
  }),
  feed: z.strictObject({
    /** How many recent messages per topic the dashboard reads back when it starts. */
    recentMessages: z.number().int().min(0),
    /** How often to look for topics that did not exist yet (forecasts, estimates). */
    topicCheckIntervalMs: z.number().int().min(500),
    /** How often to read the pipeline consumer group's lag. */
    lagIntervalMs: z.number().int().min(500),
    /** At most one store query per interval (only with --db). */
    storeIntervalMs: z.number().int().min(500),
    /** The consumer group whose lag is shown. */
    watchGroup: z.string().min(1),
    /** Names for roles config/topics.json does not define yet (prefix applied too). */
    pendingTopics: z.strictObject({ forecasts: topicName, estimates: topicName }),
  }),
  display: z.strictObject({
    /** The stations' fixed offset from UTC: every time on the page is shown in it. */
    utcOffset: z.string().regex(/^[+-]\d{2}:\d{2}$/),
    historyHours: z.number().int().min(1).max(24 * 14),
    alerts: z.number().int().min(1).max(500),
    /** The station whose forecasts and charts are shown first. */
    focusStation: z.string().min(1),
    maxStations: z.number().int().min(1).max(200),
  }),
  pollutants: z.array(z.strictObject({
    field: z.enum(MEASUREMENT_FIELDS),
    label: z.string().min(1),
    unit: z.string().min(1),
    limits: z.array(LimitSchema),
  })).min(1),
});

/** `config/dashboard.json`. */
export type DashboardConfig = z.infer<typeof DashboardConfigSchema>;

/** One pollutant panel's settings. */
export type PollutantConfig = DashboardConfig["pollutants"][number];

/** Loads and validates `config/dashboard.json`. */
export async function loadDashboardConfig(
  path: string | URL = new URL(DASHBOARD_CONFIG_FILE, CONFIG_DIR),
): Promise<DashboardConfig> {
  return await loadConfig(path, DashboardConfigSchema);
}
