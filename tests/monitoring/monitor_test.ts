/**
 * ModelMonitor: scoring forecasts against the readings at their target time
 * (hand-computed MAE, missing actuals skipped, baselines apart), arrival in
 * any order, redeliveries, the snapshot, and drift alerts that fire once,
 * escalate once and resolve once.
 */
import assert from "node:assert/strict";
import {
  loadExpectedErrors,
  ModelMonitor,
  MonitorSnapshotSchema,
} from "../../lib/monitoring/mod.ts";
import { inputReference } from "../../lib/monitoring/mod.ts";
import { emptySeries } from "../../lib/features/mod.ts";
import { type Alert, AlertSchema, type ForecastTarget } from "../../lib/records/mod.ts";
import { mulberry32 } from "../../lib/random.ts";
import { CONFIG, configWith, forecast, HOUR_MS, reading, STATION, T0 } from "./_helpers.ts";

const pure = { permissions: "none" } as const;
const near = (a: number | null | undefined, b: number, tol = 1e-12) =>
  assert.ok(typeof a === "number" && Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

/** Model error of the CO forecast for target hour T: +0.1 T when T is odd, -0.2 T when even. */
const d = (T: number) => (T % 2 === 1 ? 0.1 * T : -0.2 * T);
/** CO at hour t is t + 1, missing at hours 5 and 9. */
const co = (t: number) => (t === 5 || t === 9 ? null : t + 1);

/** Feeds hours 0..last: each reading first, then the forecasts made at it. */
function feedHandSequence(m: ModelMonitor, last: number): void {
  for (let t = 0; t <= last; t++) {
    m.observe(reading(t, { co_mg_m3: co(t), nox_ppb: null }), T0 + t * HOUR_MS);
    const T = t + 1;
    m.forecasts([
      // hours 0-2 warm up on persistence: baseline forecasts, kept apart
      forecast(t, "CO(GT)", 1, T + 1 + d(T), { baseline: t < 3 }),
      forecast(t, "CO(GT)", 6, null), // no value: nothing to score
      forecast(t, "NOx(GT)", 1, 100), // NOx is never measured: never scored
    ]);
  }
}

Deno.test(
  "ModelMonitor: live MAE equals a hand computation; missing actuals skipped, baselines apart",
  pure,
  () => {
    const m = new ModelMonitor(configWith({ errors: { windowForecasts: 10 } }));
    feedHandSequence(m, 15);
    // model targets T = 4..16 except 5 and 9 (CO missing); hour 16 not read yet
    // |d(T)| for T = 4, 6, 7, 8, 10, 11, 12, 13, 14, 15:
    const first10 = [0.8, 1.2, 0.7, 1.6, 2.0, 1.1, 2.4, 1.3, 2.8, 1.5]; // sum 15.4
    let row = m.snapshot().stations[STATION]!.forecasts[0]!;
    assert.equal(row.target, "CO(GT)");
    assert.equal(row.horizon_h, 1);
    assert.equal(row.n_scored, 10);
    near(row.mae_all, 15.4 / 10);
    near(row.live_mae, 15.4 / 10);
    assert.equal(row.window_full, true);
    // baseline forecasts for T = 1, 2, 3: |d| = 0.1, 0.4, 0.3
    assert.equal(row.baseline_n_scored, 3);
    near(row.baseline_live_mae, 0.8 / 3);
    near(row.baseline_mae_all, 0.8 / 3);
    assert.equal(row.expected_mae, null);
    assert.equal(row.ratio, null);
    // two more hours: T = 16 (|d| 3.2) and 17 (1.7); the window drops T = 4 and 6
    m.observe(reading(16, { co_mg_m3: 17, nox_ppb: null }), 0);
    m.forecasts([forecast(16, "CO(GT)", 1, 18 + d(17))]);
    m.observe(reading(17, { co_mg_m3: 18, nox_ppb: null }), 0);
    row = m.snapshot().stations[STATION]!.forecasts[0]!;
    assert.equal(first10.length + 2, row.n_scored);
    near(row.mae_all, (15.4 + 3.2 + 1.7) / 12, 1e-9);
    near(row.live_mae, (15.4 - 0.8 - 1.2 + 3.2 + 1.7) / 10, 1e-9);
    assert.equal(row.live_n, 10);
    const c = m.snapshot().counts;
    assert.equal(c.readings, 18);
    assert.equal(c.forecasts, 3 * 16 + 1);
    assert.equal(c.forecasts_without_value, 16);
    assert.equal(c.scored_model, 12);
    assert.equal(c.scored_baseline, 3);
    // CO missing at T = 5 and 9, NOx missing at T = 1..16
    assert.equal(c.unscored_missing_actual, 2 + 16);
  },
);

Deno.test(
  "ModelMonitor scores a forecast that arrives after its reading, and each one only once",
  pure,
  () => {
    const m = new ModelMonitor(CONFIG);
    m.observe(reading(0, { co_mg_m3: 1 }), 0);
    m.observe(reading(1, { co_mg_m3: 2 }), 0);
    m.observe(reading(1, { co_mg_m3: 2 }), 0); // redelivered
    const late = forecast(0, "CO(GT)", 1, 2.5);
    m.forecasts([late]);
    m.forecasts([late]); // redelivered
    const early = forecast(1, "CO(GT)", 6, 4);
    m.forecasts([early, early]);
    m.observe(reading(7, { co_mg_m3: 3 }), 0);
    m.observe(reading(7, { co_mg_m3: 3 }), 0);
    const s = m.snapshot();
    const rows = s.stations[STATION]!.forecasts;
    assert.equal(rows[0]!.n_scored, 1);
    near(rows[0]!.mae_all, 0.5);
    assert.equal(rows[1]!.horizon_h, 6);
    assert.equal(rows[1]!.n_scored, 1);
    near(rows[1]!.mae_all, 1);
    assert.equal(s.counts.forecasts_duplicate, 2);
    assert.deepEqual(s.event_range, { from: reading(0).ts, to: reading(7).ts });
  },
);

Deno.test("ModelMonitor counts forecasts whose reading never came, and stale ones", pure, () => {
  const m = new ModelMonitor(CONFIG); // bufferHours 48: a ring of 64 hours
  m.forecasts([forecast(0, "CO(GT)", 24, 1)]); // target hour 24, never read
  m.forecasts([forecast(64, "CO(GT)", 24, 1)]); // target hour 88 takes the same slot
  m.forecasts([forecast(0, "NO2(GT)", 24, 1)]); // hour 24 again: older than the slot now holds
  const c = m.snapshot().counts;
  assert.equal(c.forecasts_expired, 1);
  assert.equal(c.forecasts_stale, 1);
  const other = { ...forecast(0, "CO(GT)", 1, 1), horizon_h: 3 };
  m.forecasts([other, { ...forecast(0, "CO(GT)", 1, 1), target: "NMHC(GT)" as ForecastTarget }]);
  assert.equal(m.snapshot().counts.forecasts_ignored, 2);
});

/** The offline MAE of every model and baseline row is 1. */
const UNIT_EXPECTED = loadExpectedErrors({
  results: ["CO(GT)", "NOx(GT)", "NO2(GT)", "C6H6(GT)"].flatMap((target) =>
    [1, 6, 24].flatMap((horizon_h) => [
      { target, horizon_h, model: "best", mae: 1, n: 100 },
      { target, horizon_h, model: "persistence", mae: 1, n: 100 },
    ])
  ),
});

/**
 * Hour by hour: a reading with CO = 10, then CO forecasts at 1 h and 6 h whose
 * absolute error is `error(t + h)`. Returns every alert, each checked against AlertSchema.
 */
function runErrors(
  m: ModelMonitor,
  from: number,
  to: number,
  error: (targetHour: number, h: number) => number,
  nowMs: (t: number) => number = (t) => T0 + t * HOUR_MS,
): Alert[] {
  const alerts: Alert[] = [];
  for (let t = from; t <= to; t++) {
    for (const a of m.observe(reading(t, { co_mg_m3: 10 }), nowMs(t))) {
      alerts.push(AlertSchema.parse(a));
    }
    m.forecasts([1, 6].map((h) => forecast(t, "CO(GT)", h, 10 + error(t + h, h))));
  }
  return alerts;
}

Deno.test(
  "MAE-ratio alert: fires once, escalates once, resolves once, per horizon with its own id",
  pure,
  () => {
    const config = configWith({
      errors: { windowForecasts: 20 },
      pageHinkley: { lambda: 1e9 }, // this test is about the ratio
    });
    const m = new ModelMonitor(config, { expected: UNIT_EXPECTED });
    const ratio = (a: Alert[]) => a.filter((x) => x.evidence.unit === "ratio");
    assert.deepEqual(runErrors(m, 0, 40, () => 1), [], "on a par with offline");
    // errors of 3 (3x offline): the ratio passes 1.5 after 5 such forecasts of 20, 2 after 10
    const worse = ratio(runErrors(m, 41, 80, () => 3));
    const h1 = worse.filter((a) => a.evidence.window.size === 20 && a.reason.includes(" 1 h "));
    const h6 = worse.filter((a) => a.reason.includes(" 6 h "));
    assert.deepEqual(h1.map((a) => [a.state, a.severity]), [["firing", "warning"], [
      "firing",
      "critical",
    ]]);
    assert.deepEqual(h6.map((a) => [a.state, a.severity]), [["firing", "warning"], [
      "firing",
      "critical",
    ]]);
    assert.equal(h1[0]!.alert_id, h1[1]!.alert_id, "escalation keeps the episode's id");
    assert.notEqual(h1[0]!.alert_id, h6[0]!.alert_id, "horizons are separate episodes");
    assert.equal(h1[0]!.kind, "drift");
    assert.equal(h1[0]!.field, "co_mg_m3");
    assert.equal(h1[0]!.evidence.threshold, 1.5);
    assert.ok(h1[0]!.evidence.value >= 1.5 && h1[0]!.evidence.value < 2);
    assert.equal(h1[1]!.evidence.threshold, 2);
    let s = m.snapshot();
    assert.equal(s.drift, "critical");
    assert.equal(s.stations[STATION]!.forecasts[0]!.state, "critical");
    near(s.stations[STATION]!.forecasts[0]!.ratio, 3);
    // back to normal: resolves once the ratio is below 1.25, then stays quiet
    const better = ratio(runErrors(m, 81, 140, () => 1));
    assert.deepEqual(better.map((a) => [a.state, a.severity]), [["resolved", "info"], [
      "resolved",
      "info",
    ]]);
    assert.equal(better.find((a) => a.reason.includes(" 1 h "))!.alert_id, h1[0]!.alert_id);
    assert.ok(better[0]!.evidence.value < 1.25);
    s = m.snapshot();
    assert.equal(s.drift, "none");
    assert.equal(s.alerts_firing, 0);
  },
);

Deno.test(
  "MAE-ratio alert: the cool-down after a resolution holds back a new episode",
  pure,
  () => {
    const config = configWith({
      errors: { windowForecasts: 20 },
      pageHinkley: { lambda: 1e9 },
      cooldown: { ms: 100 * HOUR_MS },
    });
    const m = new ModelMonitor(config, { expected: UNIT_EXPECTED });
    const h1 = (a: Alert[]) =>
      a.filter((x) => x.evidence.unit === "ratio" && x.reason.includes(" 1 h "));
    runErrors(m, 0, 30, () => 1);
    assert.equal(h1(runErrors(m, 31, 60, () => 3)).length, 2);
    assert.equal(h1(runErrors(m, 61, 100, () => 1))[0]!.state, "resolved");
    assert.deepEqual(h1(runErrors(m, 101, 140, () => 3)), [], "inside the cool-down");
    runErrors(m, 141, 180, () => 1);
    const again = h1(runErrors(m, 181, 260, () => 3));
    assert.equal(again[0]!.state, "firing", "after the cool-down a new episode fires");
  },
);

Deno.test(
  "Page-Hinkley alert: fires once when errors jump, resolves after a quiet stretch",
  pure,
  () => {
    const config = configWith({ pageHinkley: { resolveAfterScored: 48 } });
    const m = new ModelMonitor(config, { expected: UNIT_EXPECTED });
    const random = mulberry32(3);
    const noise = (level: number) => level * 2 * random(); // uniform, mean `level`
    const ph = (a: Alert[]) => a.filter((x) => x.evidence.unit === "page_hinkley_statistic");
    assert.deepEqual(ph(runErrors(m, 0, 500, () => noise(1))), []);
    const jump = ph(runErrors(m, 501, 700, (T) => noise(T > 505 ? 2.5 : 1)));
    const fired = jump.filter((a) => a.state === "firing");
    assert.equal(fired.length, 2, "one per horizon");
    for (const a of fired) {
      assert.equal(a.severity, "warning");
      assert.ok(a.evidence.value > config.pageHinkley.lambda);
      assert.ok(Date.parse(a.event_ts) - (T0 + 505 * HOUR_MS) <= 120 * HOUR_MS, a.event_ts);
    }
    assert.notEqual(fired[0]!.alert_id, fired[1]!.alert_id);
    const resolved = jump.filter((a) => a.state === "resolved");
    assert.deepEqual(resolved.map((a) => a.alert_id).sort(), fired.map((a) => a.alert_id).sort());
    const row = m.snapshot().stations[STATION]!.forecasts[0]!;
    assert.equal(row.page_hinkley.detections, 1);
    assert.equal(row.page_hinkley.drift, false);
    assert.equal(typeof row.page_hinkley.last_detection_ts, "string");
  },
);

Deno.test(
  "PSI alert: fires once when an input leaves its training range, resolves when it returns",
  pure,
  () => {
    const s = emptySeries(T0 - 1000 * HOUR_MS, 1000);
    for (let i = 0; i < 1000; i++) s.columns.t_c[i] = i % 100;
    const reference = inputReference(s, { from: 0, to: 1000, createdAt: "2004-03-10T00:00:00Z" });
    const config = configWith({ psi: { windowH: 48, minValues: 24 }, cooldown: { ms: 0 } });
    const m = new ModelMonitor(config, { reference });
    const alerts: Alert[] = [];
    const feed = (from: number, to: number, t_c: (h: number) => number) => {
      for (let h = from; h <= to; h++) {
        for (const a of m.observe(reading(h, { t_c: t_c(h) }), T0 + h * HOUR_MS)) {
          alerts.push(AlertSchema.parse(a));
        }
      }
    };
    const usual = (h: number) => (h * 37) % 100; // spread over the training range
    feed(0, 99, usual);
    assert.deepEqual(alerts.map((a) => a.state), []);
    const psi0 = m.snapshot().stations[STATION]!.inputs.t_c.psi!;
    assert.ok(psi0 < 0.1, `PSI ${psi0} on the training distribution`);
    feed(100, 159, (h) => 60 + (h % 40)); // only the upper 40 % of the range
    assert.deepEqual(alerts.map((a) => [a.state, a.severity, a.field]), [[
      "firing",
      "warning",
      "t_c",
    ]]);
    assert.equal(alerts[0]!.evidence.unit, "psi");
    assert.equal(alerts[0]!.evidence.window.size_unit, "hours");
    assert.equal(m.snapshot().stations[STATION]!.inputs.t_c.state, "warning");
    feed(160, 260, usual);
    assert.deepEqual(alerts.map((a) => a.state), ["firing", "resolved"]);
    assert.equal(alerts[1]!.alert_id, alerts[0]!.alert_id);
    assert.ok(alerts[1]!.evidence.value < 0.2);
  },
);

Deno.test("ModelMonitor.snapshot() survives JSON and its schema unchanged", pure, () => {
  const empty = new ModelMonitor(CONFIG).snapshot();
  assert.deepEqual(MonitorSnapshotSchema.parse(JSON.parse(JSON.stringify(empty))), empty);
  assert.deepEqual(empty.stations, {});
  assert.equal(empty.drift, "none");
  const s = emptySeries(T0 - 500 * HOUR_MS, 500);
  for (let i = 0; i < 500; i++) s.columns.t_c[i] = i % 20;
  const reference = inputReference(s, { from: 0, to: 500, createdAt: "2004-03-10T00:00:00Z" });
  const config = configWith({ errors: { windowForecasts: 10 }, psi: { minValues: 24 } });
  const m = new ModelMonitor(config, { expected: UNIT_EXPECTED, reference });
  feedHandSequence(m, 30);
  m.observe(reading(3, { t_c: null }, "station-002"), 0);
  const snap = m.snapshot();
  const text = JSON.stringify(snap);
  assert.ok(!text.includes("NaN") && !text.includes("Infinity"));
  assert.deepEqual(JSON.parse(text), snap);
  assert.deepEqual(MonitorSnapshotSchema.parse(JSON.parse(text)), snap);
  assert.deepEqual(Object.keys(snap.stations), [STATION, "station-002"]);
  assert.equal(snap.stations[STATION]!.forecasts.length, 12);
  // t_c stays at 13.6 while the reference spreads over 0..19: one bin holds everything
  assert.equal(snap.stations[STATION]!.inputs.t_c.state, "warning");
  assert.ok(snap.stations[STATION]!.inputs.t_c.psi! > 1);
  assert.equal(snap.stations["station-002"]!.inputs.t_c.state, "insufficient_data");
  assert.equal(snap.settings.reference_window!.to, reference.trainingWindow.to);
});

Deno.test("ModelMonitor.reset() forgets stations, scores, episodes and counts", pure, () => {
  const m = new ModelMonitor(configWith({ errors: { windowForecasts: 10 } }), {
    expected: UNIT_EXPECTED,
  });
  runErrors(m, 0, 40, () => 5);
  assert.ok(m.firingCount > 0);
  m.reset();
  assert.equal(m.stations, 0);
  assert.equal(m.firingCount, 0);
  const snap = m.snapshot();
  assert.deepEqual(snap.stations, {});
  assert.ok(Object.values(snap.counts).every((n) => n === 0));
  // and it works again from scratch
  feedHandSequence(m, 15);
  near(m.snapshot().stations[STATION]!.forecasts[0]!.live_mae, 1.54);
});
