/**
 * The model monitor on the real UCI file: persistence forecasts (the value
 * now, for 1, 6 and 24 hours ahead) through `forecasts()` and `observe()`
 * give the same MAE as a direct computation on the hourly series; every
 * alert raised on the way passes the schema.
 */
import assert from "node:assert/strict";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { toHourlySeries } from "../../lib/features/mod.ts";
import {
  inputReference,
  loadExpectedErrors,
  ModelMonitor,
  MONITORED_HORIZONS,
  MONITORED_TARGETS,
  MonitorSnapshotSchema,
} from "../../lib/monitoring/mod.ts";
import { type Alert, AlertSchema } from "../../lib/records/mod.ts";
import { UCI_PATH } from "../_data.ts";
import { uciCleanReading } from "../_uci_rows.ts";
import { CONFIG, forecast, HOUR_MS } from "./_helpers.ts";

const rows = await Array.fromAsync(readUciFile(UCI_PATH, { utcOffset: "+01:00" }));
const series = toHourlySeries(rows);
const evaluation = JSON.parse(
  await Deno.readTextFile("var/evaluation.json").catch(() => "{}"),
);

Deno.test("ModelMonitor on the UCI file: live MAE of persistence equals the direct computation", () => {
  assert.equal(series.length, rows.length, "the file is a gap-free hourly grid");
  const reference = inputReference(series, {
    from: series.length - 2688,
    to: series.length,
    createdAt: "2026-01-01T00:00:00Z",
  });
  const m = new ModelMonitor(CONFIG, { expected: loadExpectedErrors(evaluation), reference });
  const alerts: Alert[] = [];
  const t0 = rows[0]!.epochMs;
  rows.forEach((row, t) => {
    const r = uciCleanReading(row, t, "airq.readings.valid");
    alerts.push(...m.observe(r, row.epochMs));
    const h0 = (row.epochMs - t0) / HOUR_MS;
    const records = MONITORED_TARGETS.flatMap(({ target, field }) =>
      MONITORED_HORIZONS.map((h) => ({
        ...forecast(h0, target, h, row.measurements[field]),
        ts: row.ts, // the file's own timestamps
      }))
    );
    m.forecasts(records);
  });
  const snap = m.snapshot();
  assert.deepEqual(MonitorSnapshotSchema.parse(JSON.parse(JSON.stringify(snap))), snap);
  const station = snap.stations["station-001"]!;
  let pairs = 0;
  for (const row of station.forecasts) {
    // independently: |y[t + h] - y[t]| over every t where both are present, in target order
    const y = series.columns[row.field];
    const errors: number[] = [];
    for (let t = 0; t + row.horizon_h < series.length; t++) {
      const e = Math.abs(y[t + row.horizon_h]! - y[t]!);
      if (!Number.isNaN(e)) errors.push(e);
    }
    const mean = (a: number[]) => a.reduce((s, e) => s + e, 0) / a.length;
    const last = errors.slice(-CONFIG.errors.windowForecasts);
    const label = `${row.target} h=${row.horizon_h}`;
    assert.equal(row.n_scored, errors.length, label);
    assert.ok(Math.abs(row.mae_all! - mean(errors)) < 1e-9 * mean(errors), label);
    assert.ok(Math.abs(row.live_mae! - mean(last)) < 1e-9 * mean(last), label);
    assert.equal(row.baseline_n_scored, 0);
    pairs += errors.length;
  }
  assert.equal(snap.counts.scored_model, pairs);
  assert.equal(snap.counts.forecasts_expired + snap.counts.forecasts_stale, 0);
  assert.equal(station.readings, rows.length);
  assert.deepEqual(snap.event_range, { from: rows[0]!.ts, to: rows.at(-1)!.ts });
  // every alert is a valid drift alert; an episode's events share one id, episodes never do
  const byId = new Map<string, Alert[]>();
  for (const a of alerts) {
    AlertSchema.parse(a);
    assert.equal(a.kind, "drift");
    byId.set(a.alert_id, [...(byId.get(a.alert_id) ?? []), a]);
  }
  for (const [id, events] of byId) {
    assert.equal(
      new Set(events.map((a) => `${a.field}|${a.evidence.unit}|${a.reason.split(" at ")[0]}`)).size,
      1,
      id,
    );
    assert.ok(events.filter((a) => a.state === "resolved").length <= 1, id);
  }
  // the inputs of March 2004 are unlike the winter the reference describes
  assert.ok(alerts.some((a) => a.field === "t_c" && a.evidence.unit === "psi"));
});
