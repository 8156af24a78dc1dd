import assert from "node:assert/strict";
import { CONFIG_DIR, ConfigError, loadConfig, parseConfig } from "../../lib/config/mod.ts";
import {
  QUALITY_CONFIG_FILE,
  type QualityConfig,
  QualityConfigSchema,
  QualityRulesSchema,
} from "../../lib/quality/mod.ts";
import { MEASUREMENT_FIELDS } from "../../lib/records/mod.ts";
import { RULES } from "./_helpers.ts";

const pure = { permissions: "none" } as const;
const SHIPPED: QualityConfig = RULES.config;

function expectConfigError(config: unknown, ...patterns: RegExp[]): void {
  assert.throws(
    () => parseConfig(JSON.stringify(config), QualityRulesSchema, "config/quality.json"),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.path, "config/quality.json");
      assert.match(e.message, /Cannot load config from "config\/quality\.json"/);
      for (const p of patterns) assert.match(e.message, p);
      return true;
    },
  );
}

Deno.test("config/quality.json loads, covers all 13 fields and justifies every threshold", async () => {
  const rules = await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema);
  assert.equal(rules.maxMessageBytes, 16384);
  assert.equal(rules.sentinel, -200);
  assert.equal(rules.earliestMs, Date.UTC(1990, 0, 1));
  assert.deepEqual(Object.keys(rules.config.fields).filter((k) => k !== "$comment"), [
    ...MEASUREMENT_FIELDS,
  ]);
  for (const f of MEASUREMENT_FIELDS) {
    assert.ok(rules.config.fields[f].physical.why.length > 20, f);
    assert.ok(rules.config.fields[f].typical.why.length > 20, f);
  }
});

Deno.test("a bad quality config gets a ConfigError naming the key and the problem", pure, () => {
  expectConfigError({ ...SHIPPED, extra: 1 }, /Unrecognized key: "extra"/);
  const { why: _, ...noWhy } = SHIPPED.message;
  expectConfigError({ ...SHIPPED, message: noWhy }, /at message\.why/);
  expectConfigError(
    {
      ...SHIPPED,
      fields: {
        ...SHIPPED.fields,
        t_c: { ...SHIPPED.fields.t_c, physical: { ...SHIPPED.fields.t_c.physical, min: 70 } },
      },
    },
    /min must not exceed max/,
    /at fields\.t_c\.physical\.max/,
  );
  expectConfigError(
    {
      ...SHIPPED,
      fields: {
        ...SHIPPED.fields,
        rh_pct: {
          ...SHIPPED.fields.rh_pct,
          typical: { min: 10, max: 120, why: "too wide a range" },
        },
      },
    },
    /typical range must lie inside the physical range/,
    /at fields\.rh_pct\.typical/,
  );
  const { ah: _ah, ...missingField } = SHIPPED.fields;
  expectConfigError({ ...SHIPPED, fields: missingField }, /at fields\.ah/);
  expectConfigError(
    {
      ...SHIPPED,
      fields: {
        ...SHIPPED.fields,
        co_mg_m3: {
          ...SHIPPED.fields.co_mg_m3,
          physical: { ...SHIPPED.fields.co_mg_m3.physical, action: "drop" },
        },
      },
    },
    /at fields\.co_mg_m3\.physical\.action/,
  );
  expectConfigError(
    {
      ...SHIPPED,
      thresholds: {
        ...SHIPPED.thresholds,
        missingRate: { ...SHIPPED.thresholds.missingRate, warning: 0.9, critical: 0.5 },
      },
    },
    /critical must not be below warning/,
  );
  expectConfigError(
    {
      ...SHIPPED,
      thresholds: {
        ...SHIPPED.thresholds,
        missingRate: {
          ...SHIPPED.thresholds.missingRate,
          perField: { co: { warning: 0.1, critical: 0.2, why: "not a field name" } },
        },
      },
    },
    /thresholds\.missingRate\.perField/,
  );
  expectConfigError(
    { ...SHIPPED, timestamp: { ...SHIPPED.timestamp, earliest: "1990-01-01" } },
    /ISO 8601/,
    /at timestamp\.earliest/,
  );
  assert.throws(
    () => parseConfig('{"message":', QualityConfigSchema, "config/quality.json"),
    /"config\/quality\.json" is not valid JSON/,
  );
});

Deno.test("a disabled cross-field check compiles to null", pure, () => {
  const config = structuredClone(SHIPPED);
  config.crossField.no2VsNox.enabled = false;
  assert.equal(QualityRulesSchema.parse(config).no2VsNox, null);
});
