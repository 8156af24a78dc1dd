/**
 * Merging the monitoring snapshots of a forecaster group's members
 * (lib/monitoring/merge.ts): what two members store, merged, is what one monitor
 * that saw everything would store.
 */
import assert from "node:assert/strict";
import {
  loadExpectedErrors,
  type MemberSnapshot,
  mergeMonitorSnapshots,
  ModelMonitor,
  type MonitorSnapshot,
  MonitorSnapshotSchema,
} from "../../lib/monitoring/mod.ts";
import type { CleanReading, ForecastRecord } from "../../lib/records/mod.ts";
import { configWith, forecast, reading } from "./_helpers.ts";

const pure = { permissions: "none" } as const;
/** Offline MAE 1 everywhere, a short window: the jump at hour 40 fires drift alerts. */
const CONFIG = configWith({ errors: { windowForecasts: 20 } });
const EXPECTED = loadExpectedErrors({
  results: ["CO(GT)", "NOx(GT)", "NO2(GT)", "C6H6(GT)"].flatMap((target) =>
    [1, 6, 24].flatMap((horizon_h) => [
      { target, horizon_h, model: "best", mae: 1, n: 100 },
      { target, horizon_h, model: "persistence", mae: 1, n: 100 },
    ])
  ),
});

/** Hours `from..to` of `station`: readings with a drifting CO value, and 1 h and 6 h CO forecasts. */
function traffic(station: string, from: number, to: number) {
  const readings: CleanReading[] = [];
  const forecasts: ForecastRecord[] = [];
  for (let h = from; h <= to; h++) {
    readings.push(reading(h, { co_mg_m3: 1 + (h % 7) / 2 + (h > 40 ? 3 : 0) }, station));
    forecasts.push(forecast(h, "CO(GT)", 1, 1.5, { station }));
    forecasts.push(forecast(h, "CO(GT)", 6, 2, { station }));
  }
  return { readings, forecasts };
}

/** A monitor's snapshot after seeing `parts` in hour order. */
function monitored(...parts: ReturnType<typeof traffic>[]): MonitorSnapshot {
  const m = new ModelMonitor(CONFIG, { expected: EXPECTED });
  see(m, ...parts);
  return MonitorSnapshotSchema.parse(m.snapshot());
}

/** Feeds `parts` to `m` in hour order: each reading, then the forecasts made at its hour. */
function see(m: ModelMonitor, ...parts: ReturnType<typeof traffic>[]): void {
  const readings = parts.flatMap((p) => p.readings).sort((a, b) => a.ts_utc_ms - b.ts_utc_ms);
  for (const r of readings) {
    m.forecasts(
      parts.flatMap((p) => p.forecasts).filter((f) =>
        f.ts === r.ts && f.station_id === r.station_id
      ),
    );
    m.observe(r, 0);
  }
}

const member = (name: string, value: MonitorSnapshot, updated_at_ms: number): MemberSnapshot => ({
  name: `forecaster.monitor@${name}`,
  value,
  updated_at_ms,
});

Deno.test("one member's snapshot is returned as it is", pure, () => {
  const only = monitored(traffic("a", 0, 30));
  const merged = mergeMonitorSnapshots([member("m1", only, 5)]);
  assert.deepEqual(merged.monitor, only);
  assert.equal(merged.updated_at_ms, 5);
  assert.deepEqual(merged.members, [
    { name: "forecaster.monitor@m1", updated_at: new Date(5).toISOString(), stations: ["a"] },
  ]);
  assert.throws(() => mergeMonitorSnapshots([]), RangeError);
});

Deno.test(
  "two members with their own stations merge into what one monitor of all would show",
  pure,
  () => {
    const a = traffic("a", 0, 60), b = traffic("b", 10, 80), c = traffic("c", 0, 20);
    const one = monitored(a, b, c);
    assert.ok(one.counts.scored_model > 0 && one.alerts_firing > 0, JSON.stringify(one.counts));
    assert.notEqual(one.drift, "none");
    const merged = mergeMonitorSnapshots([
      member("m2", monitored(b), 200),
      member("m1", monitored(a, c), 100),
    ]);
    const { settings: _s, ...expected } = one;
    const { settings: _m, ...got } = merged.monitor;
    assert.deepEqual(got, expected);
    assert.deepEqual(merged.members.map((m) => [m.name, m.stations]), [
      ["forecaster.monitor@m1", ["a", "c"]],
      ["forecaster.monitor@m2", ["b"]],
    ]);
    assert.equal(merged.updated_at_ms, 200);
    MonitorSnapshotSchema.parse(merged.monitor);
  },
);

Deno.test(
  "a station handed over in a rebalance shows the member that saw its latest reading",
  pure,
  () => {
    const before = monitored(traffic("a", 0, 30), traffic("b", 0, 30));
    const after = monitored(traffic("a", 20, 50));
    // the member that lost "a" wrote last: its view of "a" is older, so the new owner's wins
    const merged = mergeMonitorSnapshots([member("new", after, 100), member("old", before, 200)]);
    assert.deepEqual(merged.monitor.stations["a"], after.stations["a"]);
    assert.deepEqual(merged.monitor.stations["b"], before.stations["b"]);
    assert.deepEqual(merged.monitor.event_range, {
      from: before.event_range.from,
      to: after.event_range.to,
    });
    assert.equal(merged.monitor.counts.readings, before.counts.readings + after.counts.readings);
    assert.deepEqual(merged.members.map((m) => m.stations), [["a"], ["b"]]);
  },
);

Deno.test("the overall drift and firing alerts come from the stations kept", pure, () => {
  const base = monitored(traffic("a", 0, 10), traffic("b", 0, 10));
  const withDrift = (id: string, drift: "warning" | "critical", firing: number) => ({
    ...base,
    stations: { [id]: { ...base.stations[id]!, drift, alerts_firing: firing } },
  });
  const merged = mergeMonitorSnapshots([
    member("m1", withDrift("a", "critical", 2), 1),
    member("m2", withDrift("b", "warning", 3), 2),
  ]);
  assert.equal(merged.monitor.drift, "critical");
  assert.equal(merged.monitor.alerts_firing, 5);
});

Deno.test(
  "a member that keeps a station at a rebalance shows it as if it had never stopped",
  pure,
  () => {
    const m = new ModelMonitor(CONFIG, { expected: EXPECTED });
    see(m, traffic("a", 0, 50), traffic("b", 0, 50));
    assert.ok(m.snapshot().stations["b"]!.alerts_firing > 0, "b has drift alerts firing");
    m.retain((id) => id === "a");
    assert.ok(m.has("a") && !m.has("b"));
    see(m, traffic("a", 51, 80));
    const got = MonitorSnapshotSchema.parse(m.snapshot());
    const onlyA = monitored(traffic("a", 0, 80));
    assert.deepEqual(got.stations, onlyA.stations);
    assert.ok(onlyA.alerts_firing > 0);
    assert.equal(got.alerts_firing, onlyA.alerts_firing, "b's alerts went with it");
    assert.equal(m.firingCount, onlyA.alerts_firing);
    assert.equal(got.drift, onlyA.drift);
  },
);
