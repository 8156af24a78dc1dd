/**
 * driftEpisodes: one row per episode from the stored drift alerts, its
 * detector from the evidence's unit and its horizon from the episode id.
 */
import assert from "node:assert/strict";
import { alertId } from "../../lib/alerts/mod.ts";
import { driftEpisodes } from "../../lib/monitoring/mod.ts";
import type { Alert } from "../../lib/records/mod.ts";

const H = 3_600_000;
const iso = (hour: number) => new Date(Date.UTC(2005, 0, 1) + hour * H).toISOString();

function event(
  key: string,
  field: Alert["field"],
  unit: string,
  startHour: number,
  atHour: number,
  state: Alert["state"],
  severity: Alert["severity"],
  value: number,
): Alert {
  return {
    schema_version: 1,
    alert_id: alertId("s1", "drift", key, iso(startHour)),
    kind: "drift",
    severity,
    station_id: "s1",
    field,
    state,
    reason: "a sentence",
    evidence: {
      value,
      threshold: 1.5,
      unit,
      window: { start: iso(startHour), end: iso(atHour), size: 168, size_unit: "messages" },
    },
    event_ts: iso(atHour),
    raised_at: iso(atHour),
  } as Alert;
}

Deno.test("driftEpisodes groups an episode's events, finds detector, target and horizon, and the level", () => {
  const fired = event("nox_ppb/mae_ratio/6h", "nox_ppb", "ratio", 10, 20, "firing", "warning", 1.6);
  const escalated = { ...fired, severity: "critical" as const, event_ts: iso(25) };
  escalated.evidence = { ...fired.evidence, value: 2.1, window: { ...fired.evidence.window } };
  // a resolution's window starts elsewhere; it still belongs to the episode by its id
  const resolved = {
    ...event("nox_ppb/mae_ratio/6h", "nox_ppb", "ratio", 30, 40, "resolved", "info", 1.1),
    alert_id: fired.alert_id,
  };
  const psi = event("t_c/psi", "t_c", "psi", 0, 30, "firing", "warning", 0.4);
  const other = { ...psi, kind: "exceedance" as const, alert_id: "0123456789abcdef" };
  const readings = [0, 5, 15, 18, 50].map((h) => ({
    station_id: "s1",
    ts: iso(h),
    measurements: { nox_ppb: h, t_c: 1 },
  }));
  const eps = driftEpisodes([resolved, psi, escalated, fired, other], readings);
  assert.equal(eps.length, 2);
  const [m, p] = eps; // in the order they fired
  assert.equal(m!.detector, "mae_ratio");
  assert.equal(m!.target, "NOx(GT)");
  assert.equal(m!.horizon_h, 6);
  assert.equal(m!.severity, "critical");
  assert.equal(m!.fired_ts, iso(20));
  assert.equal(m!.escalated_ts, iso(25));
  assert.equal(m!.resolved_ts, iso(40));
  assert.equal(m!.value, 1.6);
  assert.equal(m!.level, (15 + 18) / 2, "readings within the evidence window (hours 10 to 20)");
  assert.equal(m!.level_all, (0 + 5 + 15 + 18 + 50) / 5);
  assert.equal(p!.detector, "psi");
  assert.equal(p!.target, null);
  assert.equal(p!.horizon_h, null);
  assert.equal(p!.resolved_ts, null);
});

Deno.test("driftEpisodes refuses a drift alert of unknown unit", () => {
  const a = event("x/what", "t_c", "furlongs", 0, 1, "firing", "warning", 1);
  assert.throws(() => driftEpisodes([a], []), /unknown unit furlongs/);
});
