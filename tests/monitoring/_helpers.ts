/**
 * Builders for the model-monitor tests: clean readings and forecast records
 * on an hourly grid of station time (+01:00), and the monitoring config.
 *
 * @module
 */
import configJson from "../../config/monitoring.json" with { type: "json" };
import { UCI_FIRST_ROW } from "../_uci_rows.ts";
import { type MonitoringConfig, MonitoringConfigSchema } from "../../lib/monitoring/mod.ts";
import {
  CLEAN_SCHEMA_VERSION,
  type CleanReading,
  FORECAST_SCHEMA_VERSION,
  type ForecastRecord,
  type ForecastTarget,
  type Measurements,
} from "../../lib/records/mod.ts";

export const HOUR_MS = 3_600_000;
/** 2004-03-10T18:00:00+01:00. */
export const T0 = Date.UTC(2004, 2, 10, 17);
export const STATION = "station-001";

/** The checked-in config/monitoring.json. */
export const CONFIG: MonitoringConfig = MonitoringConfigSchema.parse(configJson);

/** CONFIG with some sections replaced. */
export function configWith(
  over: { [K in keyof MonitoringConfig]?: Partial<MonitoringConfig[K]> },
): MonitoringConfig {
  const out = structuredClone(CONFIG) as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) {
    out[k] = { ...(out[k] as object), ...(v as object) };
  }
  return MonitoringConfigSchema.parse(out);
}

/** Station time of an instant, e.g. `2004-03-10T18:00:00+01:00`. */
export function stationTs(ms: number): string {
  return new Date(ms + HOUR_MS).toISOString().slice(0, 19) + "+01:00";
}

const FIELD: Record<ForecastTarget, ForecastRecord["field"]> = {
  "CO(GT)": "co_mg_m3",
  "NOx(GT)": "nox_ppb",
  "NO2(GT)": "no2_ug_m3",
  "C6H6(GT)": "c6h6_ug_m3",
};

/** The clean reading of hour `h` after T0. */
export function reading(
  h: number,
  over: Partial<Measurements> = {},
  station = STATION,
): CleanReading {
  const ms = T0 + h * HOUR_MS;
  return {
    schema_version: CLEAN_SCHEMA_VERSION,
    station_id: station,
    ts: stationTs(ms),
    ts_utc_ms: ms,
    measurements: { ...UCI_FIRST_ROW, ...over },
    flags: {},
    rejected: {},
    status: "ok",
    source: { topic: "airq.readings.valid", partition: 0, offset: String(h) },
  };
}

/** A forecast made at hour `h` (after T0) for `h + horizon`. */
export function forecast(
  h: number,
  target: ForecastTarget,
  horizon: number,
  value: number | null,
  options: { baseline?: boolean; station?: string } = {},
): ForecastRecord {
  const ms = T0 + h * HOUR_MS;
  const station = options.station ?? STATION;
  const baseline = options.baseline ?? false;
  return {
    schema_version: FORECAST_SCHEMA_VERSION,
    kind: "forecast",
    forecast_id: `${station}|${stationTs(ms)}|${target}|${horizon}`,
    station_id: station,
    target,
    field: FIELD[target],
    horizon_h: horizon,
    value,
    interval: null,
    ts: stationTs(ms),
    target_ts: stationTs(ms + horizon * HOUR_MS),
    model_version: baseline ? "persistence" : "test-model",
    baseline,
    fallback: baseline ? "persistence" : null,
    fallback_reason: baseline ? "warming_up" : null,
    source: null,
  };
}
