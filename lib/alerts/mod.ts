/**
 * Alerts: the episode book every alerter shares (deterministic ids,
 * de-duplication, escalation, cool-down, resolution) and the pollution
 * alerter, which raises measured exceedances of EU limit values and WHO
 * guideline levels and early warnings from forecast intervals
 * (docs/alerts.md).
 *
 * Pure: no `Deno.*`, no Kafka, no storage. Load the limits with
 * `loadConfig()` from `lib/config`:
 *
 * ```ts ignore
 * import { CONFIG_DIR, loadConfig } from "../config/mod.ts";
 * import { ALERTS_CONFIG_FILE, AlertsConfigSchema, PollutionAlerter } from "./mod.ts";
 * const config = await loadConfig(new URL(ALERTS_CONFIG_FILE, CONFIG_DIR), AlertsConfigSchema);
 * const alerter = new PollutionAlerter(config);
 * for (const alert of alerter.observe(reading, Date.now())) publish(alert);
 * for (const alert of alerter.forecasts(forecasts, Date.now())) publish(alert);
 * ```
 *
 * @module
 */
export {
  AlertBook,
  type AlertBookOptions,
  alertId,
  type Details,
  type Episode,
  fnv1a64,
  type Scope,
  type Transition,
} from "./book.ts";
export {
  ALERTS_CONFIG_FILE,
  type AlertsConfig,
  AlertsConfigSchema,
  type Averaging,
  AVERAGING_HOURS,
  AVERAGINGS,
  type Limit,
  LimitSchema,
} from "./alerts_config.ts";
export { exceedanceProbability, normalCdf, Z90 } from "./probability.ts";
export { PollutionAlerter } from "./pollution.ts";
export {
  type EvaluatedLead,
  type ServedJudgement,
  type ServedWarningRule,
  servedWarningRule,
  ServedWarnings,
} from "./served_warning.ts";
