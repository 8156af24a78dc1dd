/**
 * The alerts the pollution alerter emits: their sentences, windows and
 * times. Only called when an alert is emitted, never on the no-alert path.
 *
 * @module
 */
import { type Alert, ALERT_SCHEMA_VERSION, type AlertSeverity } from "../records/alert.ts";
import type { ForecastRecord } from "../records/forecast.ts";
import { COLUMNS, type MeasurementField } from "../records/reading.ts";
import { type Averaging, AVERAGING_HOURS, type Limit } from "./alerts_config.ts";

/** An instant as ISO 8601 UTC, e.g. `2004-03-10T17:00:00.000Z`. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * An instant in the offset that `like` carries (`+01:00`, `Z`, …), e.g.
 * `2004-03-10T18:00:00+01:00`: windows read in the station's own time.
 */
function stationIso(ms: number, like: string): string {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(like);
  if (m === null) return iso(ms).replace(".000Z", "Z");
  const offsetMin = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  return new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19) + m[0];
}

/** A concentration for a sentence: 3 significant digits, at most 2 decimals. */
function num(x: number): string {
  const a = Math.abs(x);
  return String(Number(x.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2)));
}

/** A probability as a percentage for a sentence. */
function pct(p: number): string {
  return `${(p * 100).toFixed(p > 0.005 && p < 0.995 ? 0 : 1)} %`;
}

const NAMES = new Map(COLUMNS.map((c) => [c.field, c.source.replace(/\(GT\)$/, "")]));

/** Short name of a field in sentences: `NO2`, `CO`, … */
function pollutant(field: MeasurementField): string {
  return NAMES.get(field) ?? field;
}

const METRIC: Record<Averaging, string> = {
  "1h": "hourly value",
  "8h_running_max_daily": "8-hour running mean",
  "24h": "24-hour running mean",
};

/** What is compared with the threshold, e.g. `8-hour running mean`. */
function metricName(averaging: Averaging): string {
  return METRIC[averaging];
}

/** `the EU 1-hour limit value for NO2 of 200 µg/m³ (EU Directive 2008/50/EC, Annex XI)` */
function limitPhrase(limit: Limit): string {
  return `the ${limit.label} of ${num(limit.threshold)} ${limit.unit} (${limit.source})`;
}

/** A new, escalated or resolved exceedance of one limit at one station. */
export interface ExceedanceEvent {
  id: string;
  limit: Limit;
  stationId: string | null;
  /** Severity of the episode (a resolved event is `info`). */
  severity: AlertSeverity;
  firing: boolean;
  /** The hourly value or the mean. */
  value: number;
  /** Valid hours behind a mean. */
  validHours: number;
  /** Event time (ms) of the last hour of the window, and its `ts`. */
  endMs: number;
  ts: string;
  /** A firing exceedance resolves below this. */
  clearBelow: number;
  nowMs: number;
}

/** The alert of an exceedance event. */
export function exceedanceAlert(e: ExceedanceEvent): Alert {
  const { limit } = e, hours = AVERAGING_HOURS[limit.averaging];
  const what = `${pollutant(limit.field)} at ${e.stationId}`;
  const level = `${num(e.value)} ${limit.unit}`;
  const when = hours === 1
    ? `in the hour of ${e.ts}`
    : `over the ${hours} h to ${e.ts} (${
      metricName(limit.averaging)
    }, ${e.validHours} valid hours)`;
  return {
    schema_version: ALERT_SCHEMA_VERSION,
    alert_id: e.id,
    kind: "exceedance",
    severity: e.firing ? e.severity : "info",
    station_id: e.stationId,
    field: limit.field,
    state: e.firing ? "firing" : "resolved",
    reason: e.firing
      ? `${what} ${hours === 1 ? "was" : "averaged"} ${level} ${when}, above ${
        limitPhrase(limit)
      }. ${limit.advice}`
      : `${what} is back to ${level} ${when}, below ${num(e.clearBelow)} ${limit.unit}: ` +
        `the exceedance of ${limitPhrase(limit)} is over.`,
    evidence: {
      value: e.value,
      threshold: e.firing ? limit.threshold : e.clearBelow,
      unit: limit.unit,
      window: {
        start: stationIso(e.endMs - (hours - 1) * 3_600_000, e.ts),
        end: e.ts,
        size: hours,
        size_unit: "hours",
      },
    },
    event_ts: e.ts,
    raised_at: iso(e.nowMs),
  };
}

/** The window of an early warning: from the forecast's feature time to its target. */
export interface WarningWindow {
  start: string;
  end: string;
  size: number;
}

/** A new or resolved early warning of one limit at one station. */
export interface WarningEvent {
  id: string;
  limit: Limit;
  stationId: string | null;
  severity: AlertSeverity;
  firing: boolean;
  /** P(exceedance) of the most alarming forecast, and the threshold it was compared with. */
  p: number;
  threshold: number;
  /** That forecast. */
  record: ForecastRecord;
  /** Expected mean ending at the target (observed hours plus the forecast); NaN for hourly limits. */
  mean: number;
  nowMs: number;
}

/** The window of a forecast record. */
export function warningWindow(r: ForecastRecord): WarningWindow {
  return { start: r.ts, end: r.target_ts, size: r.horizon_h };
}

/** The alert of an early-warning event. */
export function warningAlert(e: WarningEvent): Alert {
  const { limit, record: r } = e, u = limit.unit, name = pollutant(limit.field);
  let reason: string;
  if (!e.firing) {
    reason = `The chance that ${name} at ${e.stationId} exceeds ${limitPhrase(limit)} ` +
      `within the forecast horizon is down to ${pct(e.p)} (below ${pct(e.threshold)}).`;
  } else {
    const ahead = `${r.horizon_h} h ahead (90 % interval ${num(r.interval!.lower)}–` +
      `${num(r.interval!.upper)} ${u})`;
    const expected = e.mean === e.mean
      ? `The ${AVERAGING_HOURS[limit.averaging]}-hour mean of ${name} at ${e.stationId} ending ` +
        `${r.target_ts} is expected at ${num(e.mean)} ${u}, from the observed hours and a ` +
        `forecast of ${num(r.value!)} ${u} ${ahead}`
      : `${name} at ${e.stationId} is forecast at ${
        num(r.value!)
      } ${u} for ${r.target_ts}, ${ahead}`;
    reason = `${expected}: a ${pct(e.p)} chance of exceeding ${limitPhrase(limit)}. ` +
      `Be ready to act. ${limit.advice}`;
  }
  return {
    schema_version: ALERT_SCHEMA_VERSION,
    alert_id: e.id,
    kind: "early_warning",
    severity: e.firing ? e.severity : "info",
    station_id: e.stationId,
    field: limit.field,
    state: e.firing ? "firing" : "resolved",
    reason,
    evidence: {
      value: e.p,
      threshold: e.threshold,
      unit: "probability",
      window: { ...warningWindow(r), size_unit: "hours" },
    },
    event_ts: r.ts,
    raised_at: iso(e.nowMs),
  };
}

/** An early warning resolved because the measured exceedance `exceedanceId` began. */
export interface SupersededEvent {
  id: string;
  limit: Limit;
  stationId: string | null;
  /** The warning's last probability and its firing threshold. */
  p: number;
  threshold: number;
  window: WarningWindow;
  exceedanceId: string;
  /** `ts` of the reading that exceeded. */
  ts: string;
  nowMs: number;
}

/** The alert that resolves a superseded early warning. */
export function supersededAlert(e: SupersededEvent): Alert {
  return {
    schema_version: ALERT_SCHEMA_VERSION,
    alert_id: e.id,
    kind: "early_warning",
    severity: "info",
    station_id: e.stationId,
    field: e.limit.field,
    state: "resolved",
    reason: `The early warning for ${limitPhrase(e.limit)} at ${e.stationId} is superseded: ` +
      `the limit is now exceeded (alert ${e.exceedanceId}).`,
    evidence: {
      value: e.p,
      threshold: e.threshold,
      unit: "probability",
      window: { ...e.window, size_unit: "hours" },
    },
    event_ts: e.ts,
    raised_at: iso(e.nowMs),
  };
}
