import assert from "node:assert/strict";
import { readUciFile, type UciRow } from "../../lib/dataset/mod.ts";
import { type MonitorThresholds, QualityMonitor, validateMessage } from "../../lib/quality/mod.ts";
import {
  type Alert,
  AlertSchema,
  type CleanReading,
  type FieldFlag,
  MEASUREMENT_FIELDS,
  type MeasurementField,
  type Measurements,
} from "../../lib/records/mod.ts";
import { encode, NOW, position, RULES } from "./_helpers.ts";
import { UCI_PATH } from "../_data.ts";

// From the data README's table, written out as an independent oracle.
const README_MISSING: Record<MeasurementField, number> = {
  co_mg_m3: 1683,
  pt08_s1_co: 366,
  nmhc_ug_m3: 8443,
  c6h6_ug_m3: 366,
  pt08_s2_nmhc: 366,
  nox_ppb: 1639,
  pt08_s3_nox: 366,
  no2_ug_m3: 1642,
  pt08_s4_no2: 366,
  pt08_s5_o3: 366,
  t_c: 366,
  rh_pct: 366,
  ah: 366,
};

const ROWS: UciRow[] = await Array.fromAsync(readUciFile(UCI_PATH));

/** Turns every UCI row into a station-001 message and validates it. */
function validateAll(toValue: (m: Measurements) => Measurements = (m) => m): CleanReading[] {
  return ROWS.map((row, i) => {
    const reading = {
      schema_version: 1,
      station_id: "station-001",
      ts: row.ts,
      measurements: toValue(row.measurements),
    };
    const result = validateMessage(
      encode(reading),
      { source: position(i), key: "station-001", now: NOW },
      RULES,
    );
    if (!result.ok) {
      throw new Error(`row ${row.line}: ${result.deadLetter.reason}: ${result.deadLetter.detail}`);
    }
    return result.reading;
  });
}

function countFlags(readings: CleanReading[], flag: FieldFlag): Record<MeasurementField, number> {
  const counts = Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, 0])) as Record<
    MeasurementField,
    number
  >;
  for (const r of readings) {
    for (const f of MEASUREMENT_FIELDS) if (r.flags[f]?.includes(flag)) counts[f]++;
  }
  return counts;
}

const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

Deno.test("every row of the real UCI file validates, with the README's missing counts", () => {
  const clean = validateAll();
  assert.equal(clean.length, 9357);
  assert.deepEqual(countFlags(clean, "missing"), README_MISSING);
  assert.equal(clean.filter((r) => r.status === "outage").length, 31, "31 rows are all -200");
  assert.equal(total(countFlags(clean, "implausible")), 0);
  assert.equal(total(countFlags(clean, "inconsistent")), 0, "NO2 never exceeds NOx there");
  assert.equal(total(countFlags(clean, "sentinel")), 0, "the producer sends null");
  // The typical ranges are the file's 0.1th/99.9th percentiles: about 0.2 % per column.
  const atypical = countFlags(clean, "atypical");
  assert.equal(total(atypical), 170);
  for (const f of MEASUREMENT_FIELDS) assert.ok(atypical[f] <= 18, `${f}: ${atypical[f]}`);
  assert.ok(clean.every((r, i) => r.ts_utc_ms === ROWS[i]!.epochMs));
});

Deno.test("a producer that sends the UCI file's -200 gets the same missing counts, as sentinels", () => {
  const raw = validateAll((m) =>
    Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, m[f] ?? -200])) as Measurements
  );
  assert.deepEqual(countFlags(raw, "missing"), README_MISSING);
  assert.deepEqual(countFlags(raw, "sentinel"), README_MISSING);
  assert.equal(raw.filter((r) => r.status === "outage").length, 31);
});

function monitorFile(thresholds: MonitorThresholds): Alert[] {
  const monitor = new QualityMonitor(thresholds);
  const alerts: Alert[] = [];
  for (const reading of validateAll()) {
    monitor.observe(reading);
    alerts.push(...monitor.evaluate(reading.ts_utc_ms));
  }
  for (const a of alerts) AlertSchema.parse(a);
  return alerts;
}

const firing = (alerts: Alert[], kind: Alert["kind"]) =>
  alerts.filter((a) => a.kind === kind && a.state === "firing");

Deno.test("the monitor finds no stuck sensor, gap or dead letter in the real file", () => {
  const alerts = monitorFile(RULES.config.thresholds);
  assert.deepEqual(firing(alerts, "data_quality.stuck_sensor"), []);
  assert.deepEqual(firing(alerts, "data_quality.gap"), []);
  assert.deepEqual(firing(alerts, "data_quality.dead_letter_rate"), []);
  // Analyser outages do show up: CO(GT) is missing for days at a time.
  const co = firing(alerts, "data_quality.missing_rate").filter((a) => a.field === "co_mg_m3");
  assert.ok(co.length > 0);
});

Deno.test("one hour less than CO's stuck threshold fires once on the file's longest CO run", () => {
  const t = structuredClone(RULES.config.thresholds);
  t.stuck.hours.co_mg_m3 = 5;
  const stuck = firing(monitorFile(t), "data_quality.stuck_sensor");
  assert.equal(stuck.length, 1);
  assert.equal(stuck[0]!.field, "co_mg_m3");
  assert.equal(stuck[0]!.evidence.value, 5);
});
