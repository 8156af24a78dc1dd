import assert from "node:assert/strict";
import { type AlertsConfig, PollutionAlerter, Z90 } from "../../lib/alerts/mod.ts";
import type { Alert, ForecastRecord } from "../../lib/records/mod.ts";
import { brief, checked, CONFIG, forecast, NOW, reading, tsAt } from "./_helpers.ts";

const pure = { permissions: "none" } as const;

// Standard normal CDF values from a printed table (e.g. Abramowitz & Stegun 26.1).
const PHI_05 = 0.6914624612740131;
const PHI_1 = 0.8413447460685429;

const close = (actual: number, expected: number, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} is not ${expected}`);

/** An alerter that has seen NO2 = 150 for hours 0..`last`. */
function no2Alerter(config: AlertsConfig = CONFIG, last = 3): PollutionAlerter {
  const alerter = new PollutionAlerter(config);
  for (let h = 0; h <= last; h++) alerter.observe(reading(h, { no2_ug_m3: 150 }), NOW);
  return alerter;
}

Deno.test(
  "forecasts() warns when P(NO2 > 200) reaches 0.5, from the interval as a normal",
  pure,
  () => {
    const alerter = no2Alerter();
    // 210 with σ = 20: P(X > 200) = Φ((210 − 200) / 20) = Φ(0.5)
    const alerts = checked(alerter.forecasts([forecast(3, 6, "no2_ug_m3", 210, 20)], NOW));
    assert.deepEqual(brief(alerts), [`early_warning firing warning no2_ug_m3 ${tsAt(3)}`]);
    const [warning] = alerts as [Alert];
    close(warning.evidence.value, PHI_05);
    assert.equal(warning.evidence.threshold, 0.5);
    assert.equal(warning.evidence.unit, "probability");
    assert.deepEqual(warning.evidence.window, {
      start: tsAt(3),
      end: tsAt(9),
      size: 6,
      size_unit: "hours",
    });
    assert.match(
      warning.reason,
      /forecast at 210 µg\/m³ for .*, 6 h ahead \(90 % interval 177–243 µg\/m³\)/,
    );
    assert.match(warning.reason, /a 69 % chance of exceeding the EU 1-hour limit value for NO2/);
    // 195 with σ = 20: P = Φ(−0.25) = 0.40, below 0.5 but not below 0.3: the episode holds.
    assert.deepEqual(alerter.forecasts([forecast(4, 6, "no2_ug_m3", 195, 20)], NOW), []);
    assert.equal(alerter.firingCount, 1);
  },
);

Deno.test("forecasts() reads a clipped interval as a split normal", pure, () => {
  const alerter = no2Alerter();
  // lower clipped at 0 (the forecaster never goes negative); the upper half gives σ = 25.
  const f = forecast(3, 1, "no2_ug_m3", 250, { lower: 0, upper: 250 + 25 * Z90 });
  const [warning] = checked(alerter.forecasts([f], NOW)) as [Alert];
  // 200 lies below the forecast: the lower half gives σ = (250 − 0) / Z90, so
  // P = Φ((250 − 200) / σ) = Φ(0.2 · Z90) = Φ(0.328971) = 0.628911 (jstat: 0.6289110923176469).
  close(warning.evidence.value, 0.6289110923176469);
  const up = no2Alerter().forecasts([
    forecast(3, 1, "no2_ug_m3", 150, { lower: 0, upper: 150 + 50 * Z90 }),
  ], NOW);
  assert.deepEqual(up, [], "P = 1 − Φ(1) = 0.159 from the upper half");
});

Deno.test("forecasts() takes the most alarming horizon of the call", pure, () => {
  const alerter = no2Alerter();
  const [warning] = checked(alerter.forecasts([
    forecast(3, 1, "no2_ug_m3", 160, 20),
    forecast(3, 6, "no2_ug_m3", 240, 20), // P = Φ(2)
    forecast(3, 24, "no2_ug_m3", 220, 20), // P = Φ(1)
    forecast(3, 6, "nox_ppb", 900, 20), // no limit on NOx
  ], NOW)) as [Alert];
  assert.equal(warning.evidence.window.size, 6);
  close(warning.evidence.value, 0.9772498680518208);
});

Deno.test("forecasts() ignores baseline forecasts unless the config allows them", pure, () => {
  const baseline: Partial<ForecastRecord> = {
    baseline: true,
    fallback: "persistence",
    fallback_reason: "warming_up",
    model_version: "persistence",
  };
  const f = forecast(3, 1, "no2_ug_m3", 240, 20, baseline);
  assert.deepEqual(no2Alerter().forecasts([f], NOW), []);
  const lenient = structuredClone(CONFIG);
  lenient.earlyWarning.useBaseline = true;
  assert.equal(checked(no2Alerter(lenient).forecasts([f], NOW)).length, 1);
});

Deno.test(
  "forecasts() skips records without value, without interval, or already observed",
  pure,
  () => {
    const alerter = no2Alerter();
    assert.deepEqual(
      alerter.forecasts([
        forecast(3, 1, "no2_ug_m3", 240, 20, { value: null, interval: null }),
        forecast(3, 1, "no2_ug_m3", 240, 20, { interval: null }),
        forecast(1, 1, "no2_ug_m3", 240, 20), // target h2 is already measured
      ], NOW),
      [],
    );
  },
);

Deno.test("forecasts() resolves an early warning below 0.3 and applies the cool-down", pure, () => {
  const alerter = no2Alerter();
  /** Observes hour `h` (NO2 150), then a 1-hour-ahead forecast of `value` made at `h`. */
  const at = (h: number, value: number) => {
    if (h > 3) alerter.observe(reading(h, { no2_ug_m3: 150 }), NOW);
    return brief(checked(alerter.forecasts([forecast(h, 1, "no2_ug_m3", value, 20)], NOW)));
  };
  assert.deepEqual(at(3, 210), [`early_warning firing warning no2_ug_m3 ${tsAt(3)}`]);
  assert.deepEqual(at(4, 195), [], "P = Φ(−0.25) = 0.40: inside the band, holds");
  assert.deepEqual(at(5, 180), [`early_warning resolved info no2_ug_m3 ${tsAt(5)}`]);
  assert.deepEqual(at(6, 230), [], "cool-down: 1 h after the resolution");
  assert.deepEqual(at(7, 230), [], "cool-down: 2 h");
  assert.deepEqual(at(8, 230), [`early_warning firing warning no2_ug_m3 ${tsAt(8)}`]);
});

Deno.test("an early warning holds until its hour is observed or re-forecast low", pure, () => {
  const alerter = no2Alerter();
  const six = checked(alerter.forecasts([forecast(3, 6, "no2_ug_m3", 230, 20)], NOW));
  assert.equal(six.length, 1, "warned about h9");
  for (let h = 4; h <= 7; h++) {
    alerter.observe(reading(h, { no2_ug_m3: 150 }), NOW);
    // these 1-hour forecasts (targets h5..h8) are low, but h9 is still ahead: holds
    assert.deepEqual(alerter.forecasts([forecast(h, 1, "no2_ug_m3", 150, 20)], NOW), [], `h${h}`);
  }
  alerter.observe(reading(8, { no2_ug_m3: 150 }), NOW);
  const [resolved] = checked(alerter.forecasts([forecast(8, 1, "no2_ug_m3", 150, 20)], NOW));
  assert.equal(resolved?.state, "resolved", "h9 re-forecast low");
  assert.equal(resolved?.alert_id, six[0]!.alert_id);
  // without a re-forecast, observing the warned hour releases the warning
  const other = no2Alerter();
  other.forecasts([forecast(3, 6, "no2_ug_m3", 230, 20)], NOW);
  for (let h = 4; h <= 9; h++) other.observe(reading(h, { no2_ug_m3: 150 }), NOW);
  assert.equal(other.forecasts([forecast(9, 24, "no2_ug_m3", 100, 20)], NOW)[0]?.state, "resolved");
});

Deno.test(
  "a measured exceedance supersedes its early warning, which stays quiet meanwhile",
  pure,
  () => {
    const alerter = no2Alerter();
    const [warning] = checked(alerter.forecasts([forecast(3, 1, "no2_ug_m3", 230, 20)], NOW));
    const measured = checked(alerter.observe(reading(4, { no2_ug_m3: 225 }), NOW));
    assert.deepEqual(brief(measured), [
      `exceedance firing critical no2_ug_m3 ${tsAt(4)}`,
      `early_warning resolved info no2_ug_m3 ${tsAt(4)}`,
    ]);
    const [exceedance, superseded] = measured as [Alert, Alert];
    assert.equal(superseded.alert_id, warning!.alert_id);
    assert.notEqual(exceedance.alert_id, warning!.alert_id);
    assert.ok(
      superseded.reason.includes(
        `superseded: the limit is now exceeded (alert ${exceedance.alert_id})`,
      ),
    );
    assert.deepEqual(superseded.evidence.window, warning!.evidence.window);
    assert.deepEqual(alerter.forecasts([forecast(4, 1, "no2_ug_m3", 260, 20)], NOW), []);
  },
);

Deno.test(
  "forecasts() combines observed hours and the forecast for the CO 8-hour mean",
  pure,
  () => {
    const alerter = new PollutionAlerter(CONFIG);
    for (let h = 0; h <= 7; h++) alerter.observe(reading(h, { co_mg_m3: 9 }), NOW);
    // Horizon 1, target h8: window h1..h8 = seven observed 9s and the forecast F.
    // mean = (63 + F) / 8 > 10  ⇔  F > 17; F = 18 with σ = 2: P = Φ(0.5).
    const [one] = checked(alerter.forecasts([forecast(7, 1, "co_mg_m3", 18, 2)], NOW)) as [Alert];
    close(one.evidence.value, PHI_05);
    assert.equal(one.severity, "warning");
    assert.match(one.reason, /8-hour mean of CO .* is expected at 10.1 mg\/m³/); // (63 + 18) / 8 = 10.125
    // Horizon 6, target h13: window h6..h13 = observed h6, h7 (9, 9) and h8..h13 on a line
    // from 9 (h7) to F (h13), weights of F 1/6 … 6/6 (sum 3.5):
    // mean = (18 + 9·(6 − 3.5) + 3.5·F) / 8 = (40.5 + 3.5·F) / 8 > 10  ⇔  F > 39.5 / 3.5 = 11.2857
    // F = 12 with σ = (12 − 11.2857) / 0.5 = 10/7: P = Φ(0.5).
    const other = new PollutionAlerter(CONFIG);
    for (let h = 0; h <= 7; h++) other.observe(reading(h, { co_mg_m3: 9 }), NOW);
    const [six] = checked(other.forecasts([forecast(7, 6, "co_mg_m3", 12, 10 / 7)], NOW)) as [
      Alert,
    ];
    close(six.evidence.value, PHI_05, 1e-9);
    // F = 11.2857 − 10/7 (one σ below the equivalent threshold): P = 1 − Φ(1), no warning.
    const third = new PollutionAlerter(CONFIG);
    for (let h = 0; h <= 7; h++) third.observe(reading(h, { co_mg_m3: 9 }), NOW);
    const below = 39.5 / 3.5 - 10 / 7;
    assert.deepEqual(third.forecasts([forecast(7, 6, "co_mg_m3", below, 10 / 7)], NOW), []);
    close(1 - PHI_1, 0.15865525393145707);
  },
);

Deno.test("forecasts() needs 6 valid hours for the CO 8-hour mean", pure, () => {
  const alerter = new PollutionAlerter(CONFIG);
  // Observed h0..h7 with h2..h5 missing: horizon 1 leaves h1, h6, h7 + forecast = 4 valid hours.
  [9, 9, null, null, null, null, 9, 9].forEach((v, h) =>
    alerter.observe(reading(h, { co_mg_m3: v }), NOW)
  );
  assert.deepEqual(alerter.forecasts([forecast(7, 1, "co_mg_m3", 40, 1)], NOW), []);
  // Horizon 6 (h6, h7 observed + 6 forecast hours = 8): judged, and far above.
  assert.equal(checked(alerter.forecasts([forecast(7, 6, "co_mg_m3", 40, 1)], NOW)).length, 1);
});

Deno.test("forecasts() ids are deterministic and independent of the clock", pure, () => {
  const replay = (nowMs: number) => {
    const alerter = no2Alerter();
    return checked([
      ...alerter.forecasts([forecast(3, 6, "no2_ug_m3", 230, 20)], nowMs),
      ...alerter.observe(reading(4, { no2_ug_m3: 230 }), nowMs),
    ]);
  };
  const a = replay(NOW), b = replay(NOW + 86_400_000);
  assert.equal(a.length, 3);
  assert.deepEqual(a.map((x) => x.alert_id), b.map((x) => x.alert_id));
  assert.ok(a.every((x) => /^[0-9a-f]{16}$/.test(x.alert_id)));
});
