import assert from "node:assert/strict";
import { type MonitorThresholds, QualityMonitor, validateMessage } from "../../lib/quality/mod.ts";
import {
  type Alert,
  AlertSchema,
  type CleanReading,
  MEASUREMENT_FIELDS,
  type Measurements,
} from "../../lib/records/mod.ts";
import { UCI_FIRST_ROW } from "../_uci_rows.ts";
import { context, encode, makeReading, RULES } from "./_helpers.ts";

const pure = { permissions: "none" } as const;
const HOUR_MS = 3_600_000;
const T0 = Date.UTC(2004, 2, 10, 0);
const THRESHOLDS: MonitorThresholds = RULES.config.thresholds;

/** A clean reading of `station` at hour `h` after T0: the first UCI row, varied by hour so nothing repeats. */
function at(h: number, over: Partial<Measurements> = {}, station = "station-001"): CleanReading {
  const varied = Object.fromEntries(
    MEASUREMENT_FIELDS.map((
      f,
    ) => [f, Math.round(UCI_FIRST_ROW[f]! * (1 + 0.01 * (h % 7)) * 1e4) / 1e4]),
  );
  const ts = new Date(T0 + h * HOUR_MS).toISOString().replace(".000Z", "Z");
  const reading = makeReading({ ...varied, ...over }, { station_id: station, ts });
  const result = validateMessage(encode(reading), context({ key: station }), RULES);
  if (!result.ok) throw new Error(result.deadLetter.detail);
  return result.reading;
}

/** Feeds hours `from..to` (inclusive) and evaluates after each, on the event-time clock. */
function feed(
  m: QualityMonitor,
  from: number,
  to: number,
  over: (h: number) => Partial<Measurements> = () => ({}),
): Alert[] {
  const alerts: Alert[] = [];
  for (let h = from; h <= to; h++) {
    m.observe(at(h, over(h)));
    alerts.push(...m.evaluate(T0 + h * HOUR_MS));
  }
  return alerts;
}

function only(alerts: Alert[], kind: Alert["kind"]): Alert[] {
  for (const a of alerts) AlertSchema.parse(a);
  return alerts.filter((a) => a.kind === kind);
}

Deno.test("QualityMonitor raises nothing on normal hourly readings", pure, () => {
  const m = new QualityMonitor(THRESHOLDS);
  assert.deepEqual(feed(m, 0, 100), []);
  const s = m.snapshot().stations["station-001"]!;
  assert.equal(s.readings_in_window, 24);
  assert.equal(s.gap_hours_in_window, 0);
  assert.equal(s.missing_rate.co_mg_m3, 0);
});

Deno.test(
  "QualityMonitor detects a flat-lined sensor at N hours and resolves when it moves",
  pure,
  () => {
    const m = new QualityMonitor(THRESHOLDS);
    const n = THRESHOLDS.stuck.hours.pt08_s1_co;
    const before = feed(m, 0, 9 + n - 1, (h) => (h >= 10 ? { pt08_s1_co: 1000 } : {}));
    assert.deepEqual(
      only(before, "data_quality.stuck_sensor"),
      [],
      `${n - 1} equal hours are not stuck`,
    );
    const fired = only(
      feed(m, 9 + n, 9 + n, () => ({ pt08_s1_co: 1000 })),
      "data_quality.stuck_sensor",
    );
    assert.equal(fired.length, 1);
    const [alert] = fired as [Alert];
    assert.equal(alert.state, "firing");
    assert.equal(alert.field, "pt08_s1_co");
    assert.equal(alert.station_id, "station-001");
    assert.equal(alert.evidence.value, n);
    assert.equal(alert.evidence.threshold, n);
    assert.equal(alert.evidence.window.start, new Date(T0 + 10 * HOUR_MS).toISOString());
    assert.match(alert.reason, /repeated the same value for 6 consecutive hours/);
    assert.deepEqual(
      only(feed(m, 10 + n, 20, () => ({ pt08_s1_co: 1000 })), "data_quality.stuck_sensor"),
      [],
    );
    const resolved = only(feed(m, 21, 21), "data_quality.stuck_sensor");
    assert.equal(resolved.length, 1);
    assert.equal(resolved[0]!.state, "resolved");
    assert.equal(resolved[0]!.alert_id, alert.alert_id, "one id per episode");
  },
);

Deno.test(
  "QualityMonitor does not count a missing hour or a null as part of a flat line",
  pure,
  () => {
    const m = new QualityMonitor(THRESHOLDS);
    const flat = { pt08_s1_co: 1000 };
    const alerts = [
      ...feed(m, 0, 4, () => flat),
      ...feed(m, 5, 5, () => ({ pt08_s1_co: null })),
      ...feed(m, 6, 10, () => flat),
      ...feed(m, 12, 16, () => flat), // hour 11 never arrives
    ];
    assert.deepEqual(only(alerts, "data_quality.stuck_sensor"), []);
  },
);

Deno.test(
  "QualityMonitor reports a jump in event time once, even when late readings fill it",
  pure,
  () => {
    const m = new QualityMonitor(THRESHOLDS);
    feed(m, 0, 11);
    const gap = only(feed(m, 15, 15), "data_quality.gap");
    assert.equal(gap.length, 1);
    assert.equal(gap[0]!.severity, "warning");
    assert.equal(gap[0]!.evidence.value, 3);
    assert.match(gap[0]!.reason, /no reading for 3 of its last 16 h/);
    // Late readings for 12..14, then a redelivery of 15: no new gap, the old one resolves.
    const late = [...feed(m, 12, 13), ...feed(m, 14, 14), ...feed(m, 15, 15)];
    const events = only(late, "data_quality.gap");
    assert.equal(events.length, 1);
    assert.equal(events[0]!.state, "resolved");
    const s = m.snapshot().stations["station-001"]!;
    assert.equal(s.gaps_total, 1);
    assert.equal(s.gap_hours_total, 3);
    assert.equal(s.out_of_order_total, 3);
    assert.equal(s.duplicates_total, 1);
    assert.equal(s.readings_in_window, 16, "a redelivered hour is held once");
    assert.equal(s.gap_hours_in_window, 0);
  },
);

Deno.test(
  "QualityMonitor makes a long silence critical and drops readings older than the window",
  pure,
  () => {
    const m = new QualityMonitor(THRESHOLDS);
    feed(m, 0, 30);
    const gap = only(feed(m, 80, 80), "data_quality.gap");
    assert.equal(gap[0]?.severity, "critical");
    assert.equal(gap[0]?.evidence.value, 23, "23 of the window's 24 hours are empty");
    feed(m, 40, 40); // older than the window ending at hour 80
    const s = m.snapshot().stations["station-001"]!;
    assert.equal(s.too_late_total, 1);
    assert.equal(s.gaps_total, 1);
    assert.equal(s.gap_hours_total, 49);
  },
);

Deno.test(
  "QualityMonitor judges missing rates only on enough readings, with per-field levels",
  pure,
  () => {
    const m = new QualityMonitor(THRESHOLDS);
    const none = { co_mg_m3: null, nmhc_ug_m3: null };
    const early = feed(m, 0, THRESHOLDS.window.minReadings - 2, () => none);
    assert.deepEqual(only(early, "data_quality.missing_rate"), [], "too few readings to judge");
    const alerts = only(
      feed(m, THRESHOLDS.window.minReadings - 1, 30, () => none),
      "data_quality.missing_rate",
    );
    assert.deepEqual(alerts.map((a) => [a.field, a.severity]), [
      ["co_mg_m3", "critical"],
      ["nmhc_ug_m3", "critical"], // its per-field levels are both 100 %
    ]);
    const back = only(feed(m, 31, 60), "data_quality.missing_rate");
    assert.deepEqual(back.map((a) => [a.field, a.state]), [
      ["nmhc_ug_m3", "resolved"], // one present value is enough for NMHC
      ["co_mg_m3", "resolved"], // below 50 % after 12 good hours of 24
    ]);
    assert.match(back[1]!.reason, /back to 50 %|back to 4\d %/);
  },
);

Deno.test("QualityMonitor escalates a firing alert once and never repeats it", pure, () => {
  const m = new QualityMonitor(THRESHOLDS);
  feed(m, 0, 23);
  const alerts = only(feed(m, 24, 60, () => ({ co_mg_m3: null })), "data_quality.missing_rate");
  assert.deepEqual(alerts.map((a) => a.severity), ["warning", "critical"]);
  assert.equal(alerts[0]!.alert_id, alerts[1]!.alert_id);
  assert.equal(alerts[0]!.evidence.threshold, 0.5);
  assert.equal(alerts[1]!.evidence.threshold, 0.9);
});

Deno.test("QualityMonitor flags a sensor whose values are out of range too often", pure, () => {
  const m = new QualityMonitor(THRESHOLDS);
  const alerts = only(
    feed(m, 0, 30, (h) => (h % 3 === 0 ? { pt08_s5_o3: 2600 } : {})),
    "data_quality.out_of_range",
  );
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.field, "pt08_s5_o3");
  assert.match(alerts[0]!.reason, /implausible or atypical/);
});

Deno.test("QualityMonitor applies the cool-down per key and resolves when back under", pure, () => {
  const m = new QualityMonitor(THRESHOLDS);
  const t = Date.UTC(2025, 0, 1);
  const lag = (n: number, dt: number) => {
    m.observeLag(n);
    return only(m.evaluate(t + dt), "data_quality.consumer_lag");
  };
  const [fired] = lag(60_000, 0);
  assert.equal(fired?.state, "firing");
  assert.equal(fired?.station_id, null);
  assert.equal(fired?.evidence.window.size_unit, "instant");
  assert.deepEqual(lag(70_000, 1000), [], "de-duplicated while firing");
  const [escalated] = lag(600_000, 2000);
  assert.equal(escalated?.severity, "critical");
  assert.equal(escalated?.alert_id, fired?.alert_id);
  const [resolved] = lag(10, 3000);
  assert.equal(resolved?.state, "resolved");
  assert.equal(resolved?.severity, "info");
  assert.deepEqual(lag(60_000, 10 * 60_000), [], "inside the cool-down");
  assert.deepEqual(lag(10, 11 * 60_000), [], "nothing was firing, nothing resolves");
  const [again] = lag(60_000, THRESHOLDS.cooldown.ms);
  assert.equal(again?.state, "firing");
  assert.notEqual(again?.alert_id, fired?.alert_id, "a new episode gets a new id");
});

Deno.test("QualityMonitor alerts on the dead-letter rate over the last messages", pure, () => {
  const m = new QualityMonitor(THRESHOLDS);
  for (let h = 0; h < 1000; h++) m.observe(at(h % 50));
  assert.deepEqual(only(m.evaluate(0), "data_quality.dead_letter_rate"), []);
  m.observeDeadLetter("invalid_json", 2);
  const [warn] = only(m.evaluate(1), "data_quality.dead_letter_rate");
  assert.equal(warn?.severity, "warning");
  assert.match(warn?.reason ?? "", /2 of the last 1002 messages/);
  m.observeDeadLetter("schema", 20);
  assert.equal(only(m.evaluate(2), "data_quality.dead_letter_rate")[0]?.severity, "critical");
  const p = m.snapshot().pipeline;
  assert.deepEqual(p.dead_letters_by_reason, { invalid_json: 2, schema: 20 });
  assert.equal(p.dead_letter_total, 22);
  assert.equal(p.valid_total, 1000);
  for (let i = 0; i < THRESHOLDS.deadLetterRate.windowMessages; i++) m.observe(at(i % 50));
  assert.equal(only(m.evaluate(3), "data_quality.dead_letter_rate")[0]?.state, "resolved");
  assert.equal(m.snapshot().pipeline.dead_letter_rate, 0);
});

Deno.test("QualityMonitor alert ids are deterministic and stations are independent", pure, () => {
  const run = () => {
    const m = new QualityMonitor(THRESHOLDS);
    const out: Alert[] = [];
    for (let h = 0; h < 40; h++) {
      if (h !== 20) m.observe(at(h, {}, "a"));
      m.observe(at(h, h > 25 ? { co_mg_m3: null } : {}, "b"));
      out.push(...m.evaluate(T0 + h * HOUR_MS));
    }
    return out;
  };
  const first = run(), second = run();
  assert.deepEqual(first, second);
  assert.deepEqual(first.map((a) => [a.station_id, a.kind, a.field, a.state]), [
    ["a", "data_quality.gap", null, "firing"],
    ["b", "data_quality.missing_rate", "co_mg_m3", "firing"],
  ]);
});

Deno.test("QualityMonitor.snapshot() is plain JSON", pure, () => {
  const m = new QualityMonitor(THRESHOLDS);
  feed(m, 0, 30, (h) => (h % 2 ? { co_mg_m3: null } : {}));
  m.observeDeadLetter("bad_key");
  m.observeLag(42);
  const s = m.snapshot();
  assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  assert.equal(s.stations["station-001"]!.missing_rate.co_mg_m3, 0.5);
  assert.equal(s.pipeline.consumer_lag, 42);
  assert.equal(s.alerts_firing, 1);
});
