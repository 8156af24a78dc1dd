import assert from "node:assert/strict";
import { PollutionAlerter } from "../../lib/alerts/mod.ts";
import type { Alert, CleanReading, Measurements } from "../../lib/records/mod.ts";
import { brief, checked, CONFIG, HOUR_MS, NOW, reading, T0, tsAt } from "./_helpers.ts";

const pure = { permissions: "none" } as const;

/** Observes `values[h]` (skipping `undefined`: no reading that hour) and collects every alert. */
function run(
  alerter: PollutionAlerter,
  field: keyof Measurements,
  values: readonly (number | null | undefined)[],
  from = 0,
): Alert[] {
  const out: Alert[] = [];
  values.forEach((v, i) => {
    if (v !== undefined) out.push(...alerter.observe(reading(from + i, { [field]: v }), NOW));
  });
  return checked(out);
}

Deno.test(
  "PollutionAlerter fires one critical NO2 exceedance per episode, with hysteresis and cool-down",
  pure,
  () => {
    const alerter = new PollutionAlerter(CONFIG);
    //            h: 0    1    2    3    4    5    6    7    8
    const alerts = run(alerter, "no2_ug_m3", [150, 210, 250, 190, 170, 220, 230, 240, 100]);
    assert.deepEqual(brief(alerts), [
      `exceedance firing critical no2_ug_m3 ${tsAt(1)}`, // 210 > 200
      // 250: still the same episode; 190: inside the band (180-200), holds
      `exceedance resolved info no2_ug_m3 ${tsAt(4)}`, // 170 < 180
      // 220 at h5 and 230 at h6: cool-down (3 h of event time after h4)
      `exceedance firing critical no2_ug_m3 ${tsAt(7)}`,
      `exceedance resolved info no2_ug_m3 ${tsAt(8)}`,
    ]);
    const [first, resolved, again] = alerts as [Alert, Alert, Alert];
    assert.equal(resolved.alert_id, first.alert_id, "one id per episode");
    assert.notEqual(again.alert_id, first.alert_id, "a new episode gets a new id");
    assert.deepEqual(first.evidence, {
      value: 210,
      threshold: 200,
      unit: "µg/m³",
      window: { start: tsAt(1), end: tsAt(1), size: 1, size_unit: "hours" },
    });
    assert.equal(resolved.evidence.threshold, 180, "resolved below 90 % of the limit");
    assert.equal(first.raised_at, new Date(NOW).toISOString());
    assert.match(first.reason, /NO2 at station-001 was 210 µg\/m³ .*EU 1-hour limit value/);
    assert.match(first.reason, /Inform the public/);
    assert.equal(alerter.firingCount, 0);
  },
);

Deno.test("PollutionAlerter re-fires when a value stays high through the cool-down", pure, () => {
  const alerter = new PollutionAlerter(CONFIG);
  const alerts = run(alerter, "no2_ug_m3", [210, 100, 220, 230, 240, 250]);
  assert.deepEqual(brief(alerts), [
    `exceedance firing critical no2_ug_m3 ${tsAt(0)}`,
    `exceedance resolved info no2_ug_m3 ${tsAt(1)}`,
    `exceedance firing critical no2_ug_m3 ${tsAt(4)}`, // h1 + 3 h
  ]);
});

Deno.test(
  "PollutionAlerter computes the CO 8-hour mean exactly, with the 6-of-8 rule",
  pure,
  () => {
    const alerter = new PollutionAlerter(CONFIG);
    //             h: 0  1   2 (no reading)  3   4  5   6    7   8     9     10 11
    const values = [8, 12, undefined, 11, 9, 10, 9.5, 13, null, null, 2, 1];
    const alerts = run(alerter, "co_mg_m3", values);
    // h5: 5 valid hours (8, 12, 11, 9, 10): not judged although the mean is 10.
    // h6: 6 valid, (8 + 12 + 11 + 9 + 10 + 9.5) / 6 = 9.9167: not above 10.
    // h7: 7 valid, (8 + 12 + 11 + 9 + 10 + 9.5 + 13) / 7 = 72.5 / 7 = 10.357: fires.
    // h8: h1..h8, 6 valid, (12 + 11 + 9 + 10 + 9.5 + 13) / 6 = 10.75: still firing.
    // h9: h2..h9, 5 valid: not judged, the episode holds.
    // h10: h3..h10, (11 + 9 + 10 + 9.5 + 13 + 2) / 6 = 9.083: inside the band (9-10), holds.
    // h11: h4..h11, (9 + 10 + 9.5 + 13 + 2 + 1) / 6 = 7.417 < 9: resolved.
    assert.deepEqual(brief(alerts), [
      `exceedance firing critical co_mg_m3 ${tsAt(7)}`,
      `exceedance resolved info co_mg_m3 ${tsAt(11)}`,
    ]);
    const [fired, resolved] = alerts as [Alert, Alert];
    const round9 = (x: number) => Math.round(x * 1e9) / 1e9; // means are rounded to 1e-9
    assert.equal(fired.evidence.value, round9(72.5 / 7));
    assert.deepEqual(fired.evidence.window, {
      start: tsAt(0),
      end: tsAt(7),
      size: 8,
      size_unit: "hours",
    });
    assert.match(
      fired.reason,
      /averaged 10.4 mg\/m³ over the 8 h to .* \(8-hour running mean, 7 valid hours\)/,
    );
    assert.equal(resolved.evidence.value, round9(44.5 / 6));
    assert.equal(resolved.evidence.threshold, 9);
  },
);

Deno.test("PollutionAlerter raises WHO guideline levels as info advisories", pure, () => {
  const alerter = new PollutionAlerter(CONFIG);
  const alerts = run(alerter, "no2_ug_m3", Array.from({ length: 30 }, () => 40));
  // 24-hour running mean of 40 > 25, judged from the 18th valid hour on (h17).
  assert.deepEqual(brief(alerts), [`exceedance firing info no2_ug_m3 ${tsAt(17)}`]);
  const [advisory] = alerts as [Alert];
  assert.equal(advisory.evidence.value, 40);
  assert.equal(advisory.evidence.threshold, 25);
  assert.deepEqual(advisory.evidence.window, {
    start: tsAt(17 - 23),
    end: tsAt(17),
    size: 24,
    size_unit: "hours",
  });
  assert.match(advisory.reason, /WHO 2021 24-hour guideline level for NO2 .*Advisory:/);
  const co = run(new PollutionAlerter(CONFIG), "co_mg_m3", [2, 36, 3]);
  assert.deepEqual(brief(co), [
    `exceedance firing info co_mg_m3 ${tsAt(1)}`,
    `exceedance resolved info co_mg_m3 ${tsAt(2)}`,
  ]);
  assert.match(co[0]!.reason, /WHO 1-hour guideline level for CO of 35 mg\/m³/);
});

Deno.test("PollutionAlerter keeps stations apart", pure, () => {
  const alerter = new PollutionAlerter(CONFIG);
  const a = checked(alerter.observe(reading(0, { no2_ug_m3: 210 }, "a"), NOW));
  const b = checked(alerter.observe(reading(0, { no2_ug_m3: 210 }, "b"), NOW));
  assert.equal(a.length, 1);
  assert.equal(b.length, 1);
  assert.equal(b[0]!.station_id, "b");
  assert.notEqual(a[0]!.alert_id, b[0]!.alert_id);
  assert.equal(alerter.stations, 2);
  assert.equal(alerter.firingCount, 2);
});

Deno.test("PollutionAlerter judges late and redelivered readings at the latest hour", pure, () => {
  const alerter = new PollutionAlerter(CONFIG);
  assert.deepEqual(run(alerter, "no2_ug_m3", [100, 100, 100]), []);
  // A late reading for h1 does not judge the past hour: the 1-hour limit looks at h2.
  assert.deepEqual(run(alerter, "no2_ug_m3", [250], 1), []);
  // A redelivery of the latest hour with a new value is judged again.
  assert.equal(run(alerter, "no2_ug_m3", [205], 2).length, 1);
  assert.deepEqual(run(alerter, "no2_ug_m3", [205], 2), [], "same value: de-duplicated");
  // Older than the 24-hour ring: ignored.
  assert.deepEqual(run(alerter, "no2_ug_m3", [999], -30), []);
});

Deno.test("PollutionAlerter returns one shared empty array when nothing happens", pure, () => {
  const alerter = new PollutionAlerter(CONFIG);
  const first = alerter.observe(reading(0, { no2_ug_m3: 100 }), NOW);
  const second = alerter.observe(reading(1, { no2_ug_m3: 110 }), NOW);
  assert.equal(first.length, 0);
  assert.equal(first, second, "no allocation on the no-alert path");
  assert.ok(Object.isFrozen(first));
  assert.equal(alerter.forecasts([], NOW), first);
});

/** A day of NO2 with a rush-hour episode and a CO episode, over two stations. */
function day(): CleanReading[] {
  const out: CleanReading[] = [];
  for (let h = 0; h < 48; h++) {
    for (const station of ["s1", "s2"]) {
      const peak = h % 24 >= 17 && h % 24 <= 19;
      out.push(reading(h, {
        no2_ug_m3: peak ? 215 + h : 120,
        co_mg_m3: peak ? 12 : 3 + (h % 5),
      }, station));
    }
  }
  return out;
}

Deno.test("PollutionAlerter alert ids depend on the input only, not on the clock", pure, () => {
  const replay = (nowMs: (i: number) => number) => {
    const alerter = new PollutionAlerter(CONFIG);
    return checked(day().flatMap((r, i) => alerter.observe(r, nowMs(i))));
  };
  const a = replay(() => NOW);
  const b = replay((i) => Date.UTC(2030, 5, 1) + i * 1000);
  assert.ok(a.length >= 8, `${a.length} alerts`);
  const strip = (xs: Alert[]) => xs.map(({ raised_at: _, ...rest }) => rest);
  assert.deepEqual(strip(a), strip(b));
  assert.notDeepEqual(a.map((x) => x.raised_at), b.map((x) => x.raised_at));
  const again = new PollutionAlerter(CONFIG);
  day().forEach((r) => again.observe(r, 0));
  again.reset();
  assert.equal(again.stations, 0);
  assert.deepEqual(strip(checked(day().flatMap((r) => again.observe(r, NOW)))), strip(a));
});

Deno.test("PollutionAlerter.restore() rebuilds windows and episodes silently", pure, () => {
  const readings = day();
  const full = new PollutionAlerter(CONFIG);
  const all = readings.map((r) => full.observe(r, NOW));
  const cut = readings.findIndex((r) => r.ts_utc_ms === T0 + 18 * HOUR_MS); // mid-episode
  const warm = new PollutionAlerter(CONFIG);
  warm.observe(reading(0, { no2_ug_m3: 500 }, "stale"), NOW); // forgotten by restore
  warm.restore(readings.slice(0, cut));
  assert.equal(warm.stations, 2);
  const partial = new PollutionAlerter(CONFIG);
  readings.slice(0, cut).forEach((r) => partial.observe(r, NOW));
  assert.ok(partial.firingCount >= 2, "NO2 episodes are firing at the cut");
  assert.equal(warm.firingCount, partial.firingCount);
  const rest = readings.slice(cut).map((r) => warm.observe(r, NOW));
  assert.deepEqual(rest, all.slice(cut), "same events, same ids, after a warm start");
  assert.ok(rest.flat().some((a) => a.state === "resolved" && a.kind === "exceedance"));
});

Deno.test(
  "PollutionAlerter.restoreStation() warms one station at a time and leaves the others' state alone",
  pure,
  () => {
    const readings = day();
    const full = new PollutionAlerter(CONFIG);
    const all = readings.map((r) => full.observe(r, NOW));
    const cut = readings.findIndex((r) => r.ts_utc_ms === T0 + 18 * HOUR_MS); // mid-episode
    const before = readings.slice(0, cut);
    // the forecaster warms the stations of a batch one after the other
    const warm = new PollutionAlerter(CONFIG);
    warm.observe(reading(0, { no2_ug_m3: 500 }, "s1"), NOW); // s1's stale state: replaced
    warm.restoreStation("s1", before);
    const firingS1 = warm.firingCount;
    assert.ok(firingS1 >= 1, "s1's NO2 episode is firing at the cut");
    warm.restoreStation("s2", before);
    assert.equal(warm.stations, 2);
    assert.ok(warm.firingCount > firingS1, "warming s2 kept s1's episode and added s2's");
    const rest = readings.slice(cut).map((r) => warm.observe(r, NOW));
    assert.deepEqual(rest, all.slice(cut), "same events, same ids, for both stations");
    assert.ok(rest.flat().some((a) => a.state === "resolved" && a.station_id === "s1"));
    assert.ok(rest.flat().some((a) => a.state === "resolved" && a.station_id === "s2"));
  },
);
