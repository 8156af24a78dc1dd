/**
 * `config/alerts.json`: the pollution limits the alerter judges (EU limit
 * values, WHO guideline levels), the early-warning probability, hysteresis,
 * cool-down and the minimum number of valid hours behind a mean. Strict:
 * unknown keys are errors, and every setting says why.
 *
 * Pure: no `Deno.*`. Read the file with `loadConfig()` from `lib/config`:
 *
 * ```ts ignore
 * import { CONFIG_DIR, loadConfig } from "../config/mod.ts";
 * const config = await loadConfig(new URL(ALERTS_CONFIG_FILE, CONFIG_DIR), AlertsConfigSchema);
 * ```
 *
 * @module
 */
import { z } from "zod";
import { ALERT_SEVERITIES } from "../records/alert.ts";
import { COLUMNS, MEASUREMENT_FIELDS } from "../records/reading.ts";

/** File name of the alerter's configuration under `config/`. */
export const ALERTS_CONFIG_FILE = "alerts.json";

/**
 * How a limit averages the hourly values:
 * - `1h`: the hourly value itself;
 * - `8h_running_max_daily`: the maximum daily 8-hour mean (EU CO limit), judged
 *   on every 8-hour running mean as it is updated each hour;
 * - `24h`: the running 24-hour mean.
 */
export const AVERAGINGS = ["1h", "8h_running_max_daily", "24h"] as const;

/** One averaging. */
export type Averaging = typeof AVERAGINGS[number];

/** Hours behind each averaging. */
export const AVERAGING_HOURS: Readonly<Record<Averaging, number>> = {
  "1h": 1,
  "8h_running_max_daily": 8,
  "24h": 24,
};

const why = z.string().min(10, "must explain the setting in a short sentence");
const UNITS = new Map(COLUMNS.map((c) => [c.field, c.unit]));

/** One limit: a field, an averaging, a threshold, where it comes from and how urgent it is. */
export const LimitSchema = z.strictObject({
  /** Stable id, part of every alert id of this limit (e.g. `eu_no2_1h`). */
  id: z.string().regex(/^[a-z0-9_]{1,40}$/, "must be 1-40 lowercase letters, digits or '_'"),
  field: z.enum(MEASUREMENT_FIELDS),
  averaging: z.enum(AVERAGINGS),
  /** Exceeded when the averaged value is strictly above it. */
  threshold: z.number().finite().positive(),
  /** Unit of `threshold`: the field's unit (`COLUMNS`). */
  unit: z.string().min(1),
  /** Short name used in sentences, e.g. `EU 1-hour limit value`. */
  label: z.string().min(3),
  /** Where the value comes from, e.g. `EU Directive 2008/50/EC, Annex XI`. */
  source: z.string().min(3),
  /** Severity of a measured exceedance; its early warning is one level lower. */
  severity: z.enum(ALERT_SEVERITIES),
  /** Whether forecasts may raise early warnings for this limit (not for 24-h means). */
  earlyWarning: z.boolean(),
  /** What a person should do when it is exceeded: the end of the alert's sentence. */
  advice: z.string().min(10),
  why,
}).refine((l) => l.unit === UNITS.get(l.field), {
  message: "must be the field's unit (see COLUMNS in lib/records/reading.ts)",
  path: ["unit"],
}).refine((l) => !(l.earlyWarning && l.averaging === "24h"), {
  message: "early warnings are only computed for 1h and 8h_running_max_daily limits",
  path: ["earlyWarning"],
});

/** One limit as written. */
export type Limit = z.infer<typeof LimitSchema>;

const probability = z.number().gt(0).lt(1);

/** `config/alerts.json` as written. */
export const AlertsConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  limits: z.array(LimitSchema).min(1).max(64).refine(
    (ls) => new Set(ls.map((l) => l.id)).size === ls.length,
    { message: "limit ids must be unique" },
  ),
  /** A firing exceedance resolves below `threshold × (1 − fraction)`. */
  hysteresis: z.strictObject({ fraction: z.number().min(0).max(0.5), why }),
  /** After an episode resolves, the same (station, limit, kind) stays quiet this long (event time). */
  cooldown: z.strictObject({ hours: z.number().min(0).max(24 * 7), why }),
  /** Valid hourly values a mean needs; fewer and the limit is not judged (the episode holds). */
  minValidHours: z.strictObject({
    "8h": z.number().int().min(1).max(8),
    "24h": z.number().int().min(1).max(24),
    why,
  }),
  earlyWarning: z.strictObject({
    /** Fire when P(exceedance) is at least this. */
    probability,
    /** Resolve when P(exceedance) falls below this (hysteresis). */
    clearProbability: probability,
    /** Whether persistence stand-ins (`baseline: true`) may raise early warnings. */
    useBaseline: z.boolean(),
    why,
  }).refine((e) => e.clearProbability <= e.probability, {
    message: "clearProbability must not exceed probability",
    path: ["clearProbability"],
  }),
});

/** `config/alerts.json` after validation. */
export type AlertsConfig = z.infer<typeof AlertsConfigSchema>;
