/**
 * Shared fixtures of the alert tests: the shipped `config/alerts.json`, clean
 * readings and forecast records on an hourly grid, and a schema check.
 *
 * @module
 */
import { Z90 } from "../../lib/alerts/mod.ts";
import { type AlertsConfig, AlertsConfigSchema } from "../../lib/alerts/mod.ts";
import { CONFIG_DIR, loadConfig } from "../../lib/config/mod.ts";
import {
  type Alert,
  AlertSchema,
  type CleanReading,
  type ForecastRecord,
  MEASUREMENT_FIELDS,
  type Measurements,
} from "../../lib/records/mod.ts";

/** The shipped `config/alerts.json` (read once, at import). */
export const CONFIG: AlertsConfig = await loadConfig(
  new URL("alerts.json", CONFIG_DIR),
  AlertsConfigSchema,
);

/** One hour in milliseconds. */
export const HOUR_MS = 3_600_000;

/** Hour 0 of the tests: 2004-03-10T18:00:00+01:00 (the UCI file's first row). */
export const T0 = Date.UTC(2004, 2, 10, 17);

/** A fixed wall clock for `raised_at`: 2025-01-01T00:00:00Z. */
export const NOW = Date.UTC(2025, 0, 1);

/** Station time (+01:00) of hour `h` after {@linkcode T0}. */
export function tsAt(h: number): string {
  return new Date(T0 + h * HOUR_MS + HOUR_MS).toISOString().slice(0, 19) + "+01:00";
}

const NULLS = Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, null])) as Measurements;

/** A clean reading of `station` at hour `h`: every field missing except `values`. */
export function reading(
  h: number,
  values: Partial<Measurements>,
  station = "station-001",
): CleanReading {
  return {
    schema_version: 1,
    station_id: station,
    ts: tsAt(h),
    ts_utc_ms: T0 + h * HOUR_MS,
    measurements: { ...NULLS, ...values },
    flags: {},
    rejected: {},
    status: "ok",
    source: { topic: "airq.readings.raw", partition: 0, offset: String(h) },
  };
}

const TARGETS = {
  co_mg_m3: "CO(GT)",
  nox_ppb: "NOx(GT)",
  no2_ug_m3: "NO2(GT)",
  c6h6_ug_m3: "C6H6(GT)",
} as const;

/**
 * A model forecast made at hour `h` for `h + horizon`, with a 90 % interval of
 * ±`sigma`·Z90 around `value` (so `sigma` is the normal σ), or explicit bounds.
 */
export function forecast(
  h: number,
  horizon: number,
  field: ForecastRecord["field"],
  value: number,
  sigma: number | { lower: number; upper: number },
  over: Partial<ForecastRecord> = {},
  station = "station-001",
): ForecastRecord {
  const bounds = typeof sigma === "number"
    ? { lower: value - sigma * Z90, upper: value + sigma * Z90 }
    : sigma;
  return {
    schema_version: 1,
    kind: "forecast",
    forecast_id: `${station}|${tsAt(h)}|${TARGETS[field]}|${horizon}`,
    station_id: station,
    target: TARGETS[field],
    field,
    horizon_h: horizon,
    value,
    interval: { ...bounds, level: 0.9, source: "artifact" },
    ts: tsAt(h),
    target_ts: tsAt(h + horizon),
    model_version: "test",
    baseline: false,
    fallback: null,
    fallback_reason: null,
    source: null,
    ...over,
  };
}

/** Parses every alert with `AlertSchema` (throws on the first invalid one) and returns them. */
export function checked(alerts: readonly Alert[]): Alert[] {
  for (const a of alerts) AlertSchema.parse(a);
  return [...alerts];
}

/** `{ kind, state, severity, event_ts }` of each alert, for compact assertions. */
export function brief(alerts: readonly Alert[]): string[] {
  return alerts.map((a) => `${a.kind} ${a.state} ${a.severity} ${a.field} ${a.event_ts}`);
}
