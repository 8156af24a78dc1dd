import assert from "node:assert/strict";
import { AlertsConfigSchema } from "../../lib/alerts/mod.ts";
import { CONFIG } from "./_helpers.ts";

const pure = { permissions: "none" } as const;

Deno.test(
  "config/alerts.json carries the EU limit values and WHO 2021 guideline levels",
  pure,
  () => {
    const limits = Object.fromEntries(
      CONFIG.limits.map((l) => [l.id, [l.field, l.averaging, l.threshold, l.unit, l.severity]]),
    );
    assert.deepEqual(limits, {
      eu_no2_1h: ["no2_ug_m3", "1h", 200, "µg/m³", "critical"],
      eu_co_8h: ["co_mg_m3", "8h_running_max_daily", 10, "mg/m³", "critical"],
      who_no2_24h: ["no2_ug_m3", "24h", 25, "µg/m³", "info"],
      who_co_24h: ["co_mg_m3", "24h", 4, "mg/m³", "info"],
      who_co_1h: ["co_mg_m3", "1h", 35, "mg/m³", "info"],
    });
    for (const l of CONFIG.limits) {
      assert.match(l.source, l.id.startsWith("eu_") ? /2008\/50\/EC/ : /WHO .*2021/);
    }
    assert.deepEqual(CONFIG.minValidHours, { "8h": 6, "24h": 18, why: CONFIG.minValidHours.why });
    assert.equal(CONFIG.cooldown.hours, 3);
    assert.equal(CONFIG.earlyWarning.probability, 0.5);
    assert.equal(CONFIG.earlyWarning.useBaseline, false);
  },
);

Deno.test(
  "AlertsConfigSchema rejects unknown keys, wrong units, duplicate ids and 24-h early warnings",
  pure,
  () => {
    const bad = (edit: (c: Record<string, unknown> & typeof CONFIG) => void) => {
      const c = structuredClone(CONFIG) as Record<string, unknown> & typeof CONFIG;
      edit(c);
      const result = AlertsConfigSchema.safeParse(c);
      assert.equal(result.success, false);
      return result.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    };
    assert.match(bad((c) => c.extra = 1), /Unrecognized key/);
    assert.match(
      bad((c) => c.limits[0]!.unit = "ppb"),
      /limits\.0\.unit: must be the field's unit/,
    );
    assert.match(bad((c) => c.limits[1]!.id = c.limits[0]!.id), /limit ids must be unique/);
    assert.match(bad((c) => c.limits[2]!.earlyWarning = true), /limits\.2\.earlyWarning/);
    assert.match(bad((c) => c.earlyWarning.clearProbability = 0.9), /clearProbability/);
    assert.match(bad((c) => c.minValidHours["8h"] = 9), /minValidHours\.8h/);
  },
);
