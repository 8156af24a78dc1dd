/**
 * loadExpectedErrors(): the offline MAE per target and horizon from
 * `var/evaluation.json`, read tolerantly; and config/monitoring.json.
 */
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../lib/config/mod.ts";
import {
  keyOf,
  loadExpectedErrors,
  MONITORED_HORIZONS,
  MONITORED_TARGETS,
  MonitoringConfigSchema,
} from "../../lib/monitoring/mod.ts";
import { REALTIME_HORIZONS, REALTIME_TARGETS } from "../../lib/realtime/models.ts";
import { CONFIG } from "./_helpers.ts";

const pure = { permissions: "none" } as const;

Deno.test(
  "loadExpectedErrors() takes best and persistence rows and lists what it skipped",
  pure,
  () => {
    const e = loadExpectedErrors({
      test_window: { from: "2005-01-01T00:00:00+01:00" },
      results: [
        { target: "CO(GT)", horizon_h: 1, model: "best", mae: 0.39, rmse: 0.6, n: 2148 },
        { target: "CO(GT)", horizon_h: 1, model: "persistence", mae: 0.51, n: 2148 },
        { target: "CO(GT)", horizon_h: 1, model: "gbt", mae: 0.1, n: 2148 },
        { target: "NO2(GT)", horizon_h: 24, model: "best", mae: 28.6 },
        { target: "NO2(GT)", horizon_h: 24, model: "best", mae: 99 }, // repeated: first kept
        { target: "NOx(GT)", horizon_h: 6, model: "best", mae: null },
        { target: "NOx(GT)", horizon_h: 6, model: "persistence", mae: -1 },
        { target: "NMHC(GT)", horizon_h: 1, model: "best", mae: 5 }, // not monitored
        { target: "CO(GT)", horizon_h: 12, model: "best", mae: 5 }, // not monitored
        "nonsense",
      ],
    });
    assert.equal(e.entries.length, 12);
    assert.deepEqual(e.entries[keyOf("CO(GT)", 1)], {
      target: "CO(GT)",
      horizon_h: 1,
      model_mae: 0.39,
      model_n: 2148,
      baseline_mae: 0.51,
      baseline_n: 2148,
    });
    assert.equal(e.entries[keyOf("NO2(GT)", 24)]!.model_mae, 28.6);
    assert.equal(e.entries[keyOf("NO2(GT)", 24)]!.model_n, null);
    assert.equal(e.entries[keyOf("NOx(GT)", 6)]!.model_mae, null);
    assert.equal(e.entries[keyOf("NOx(GT)", 6)]!.baseline_mae, null);
    assert.equal(e.problems.length, 4, e.problems.join("\n"));
    assert.match(e.problems.join("\n"), /repeats NO2\(GT\) h=24 best/);
    assert.match(e.problems.join("\n"), /results\[9\] is not an object/);
  },
);

Deno.test("loadExpectedErrors() of anything else knows nothing and says why", pure, () => {
  for (const input of [null, 42, "x", [], {}, { results: "no" }]) {
    const e = loadExpectedErrors(input);
    assert.ok(e.entries.every((x) => x.model_mae === null && x.baseline_mae === null));
    assert.equal(e.problems.length, 1);
  }
  const gbt = loadExpectedErrors(
    { results: [{ target: "CO(GT)", horizon_h: 6, model: "gbt", mae: 0.7 }] },
    { model: "gbt" },
  );
  assert.equal(gbt.model, "gbt");
  assert.equal(gbt.entries[keyOf("CO(GT)", 6)]!.model_mae, 0.7);
});

Deno.test("loadExpectedErrors() reads var/evaluation.json completely when it exists", async () => {
  let text: string;
  try {
    text = await Deno.readTextFile("var/evaluation.json");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    // deno-lint-ignore no-console
    console.warn("no var/evaluation.json: run `deno task evaluate`; real-file check skipped");
    return;
  }
  const e = loadExpectedErrors(JSON.parse(text));
  assert.deepEqual(e.problems, []);
  for (const entry of e.entries) {
    assert.ok(entry.model_mae! > 0 && entry.baseline_mae! > 0, JSON.stringify(entry));
    assert.ok(entry.model_mae! < entry.baseline_mae!, `${entry.target} h=${entry.horizon_h}`);
  }
});

Deno.test("the monitored targets and horizons are the real-time forecaster's", pure, () => {
  assert.deepEqual(MONITORED_TARGETS, REALTIME_TARGETS);
  assert.deepEqual(MONITORED_HORIZONS, REALTIME_HORIZONS);
  assert.equal(keyOf("C6H6(GT)", 24), 11);
  assert.equal(keyOf("CO(GT)", 2), -1);
});

Deno.test(
  "config/monitoring.json is valid; unknown keys and crossed levels are errors",
  pure,
  () => {
    assert.equal(CONFIG.errors.windowForecasts, 168);
    assert.equal(CONFIG.psi.warning, 0.25);
    const text = JSON.stringify({ ...CONFIG, extra: 1 });
    assert.throws(
      () => parseConfig(text, MonitoringConfigSchema, "config/monitoring.json"),
      (e: unknown) => e instanceof ConfigError && /Unrecognized key: "extra"/.test(e.message),
    );
    const crossed = JSON.stringify({ ...CONFIG, maeRatio: { ...CONFIG.maeRatio, resolve: 1.6 } });
    assert.throws(
      () => parseConfig(crossed, MonitoringConfigSchema, "config/monitoring.json"),
      /resolve <= warning <= critical/,
    );
    const short = JSON.stringify({ ...CONFIG, errors: { ...CONFIG.errors, bufferHours: 24 } });
    assert.throws(() => parseConfig(short, MonitoringConfigSchema, "m.json"), /bufferHours/);
  },
);
