/**
 * Data quality: the validation rule set of `config/quality.json`, the
 * validation and cleaning of raw messages into clean readings (or dead
 * letters with a reason), and the incremental data-quality monitor that
 * raises alerts.
 *
 * Pure: no `Deno.*`, no Kafka, no storage. Load the rules with `loadConfig()`
 * from `lib/config`:
 *
 * ```ts ignore
 * import { CONFIG_DIR, loadConfig } from "../config/mod.ts";
 * import { QualityMonitor, QualityRulesSchema, validateMessage } from "./mod.ts";
 * const rules = await loadConfig(new URL("quality.json", CONFIG_DIR), QualityRulesSchema);
 * const monitor = new QualityMonitor(rules.config.thresholds);
 * const result = validateMessage(message.value, { source, key, now: Date.now() }, rules);
 * if (result.ok) monitor.observe(result.reading);
 * else monitor.observeDeadLetter(result.deadLetter.reason);
 * ```
 *
 * @module
 */
export {
  compileRules,
  FieldRuleSchema,
  LevelsSchema,
  type MonitorThresholds,
  MonitorThresholdsSchema,
  PhysicalRuleSchema,
  QUALITY_CONFIG_FILE,
  type QualityConfig,
  QualityConfigSchema,
  type QualityRules,
  QualityRulesSchema,
  TypicalRuleSchema,
} from "./rules.ts";
export {
  cleanReading,
  DEAD_LETTER_REASONS,
  type DeadLetterDraft,
  type DeadLetterReason,
  describeIssues,
  type ParsedTimestamp,
  parseTimestamp,
  type ValidateContext,
  validateMessage,
  type ValidationResult,
} from "./validate.ts";
export { QualityMonitor, type QualitySnapshot, type StationSnapshot } from "./data_monitor.ts";
