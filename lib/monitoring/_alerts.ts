/**
 * The drift alerts of the model monitor: ids, sentences and evidence of the
 * Page-Hinkley, MAE-ratio and PSI episodes. Only called when an episode
 * fires, escalates or resolves, so strings are built only then.
 *
 * @module
 */
import { alertId, type Transition } from "../alerts/mod.ts";
import { type Alert, ALERT_SCHEMA_VERSION } from "../records/alert.ts";
import type { MeasurementField } from "../records/reading.ts";
import { SLOT_MAE, SLOT_PH, SLOT_PSI, type StationState } from "./_station.ts";
import type { MonitoringConfig } from "./monitoring_config.ts";
import { INPUT_FIELDS, MONITORED_HORIZONS, MONITORED_TARGETS } from "./targets.ts";

const HOUR_MS = 3_600_000;
const H = MONITORED_HORIZONS.length;

/** When: the reading's `ts` (the event time) and the monitor's clock. */
export interface At {
  ts: string;
  nowMs: number;
}

const iso = (hour: number) => new Date(hour * HOUR_MS).toISOString();
/** `x` cut (not rounded) to `digits` decimals, so 1.2497 never reads as "1.25, below 1.25". */
const fixed = (x: number, digits: number) => {
  const f = 10 ** digits;
  return (Math.floor(x * f) / f).toFixed(digits);
};

/** Deterministic episode id: the field, detector and horizon form the key, so detectors never share one. */
function episodeId(
  stationId: string,
  field: string,
  detector: string,
  horizonH: number | null,
  windowStart: number,
): string {
  const key = horizonH === null ? `${field}/${detector}` : `${field}/${detector}/${horizonH}h`;
  return alertId(stationId, "drift", key, iso(windowStart));
}

/** The event of a Page-Hinkley episode of key `k`. */
export function pageHinkleyAlert(
  s: StationState,
  k: number,
  t: Transition,
  at: At,
  lambda: number,
): Alert {
  const { target, field } = MONITORED_TARGETS[(k / H) | 0]!;
  const h = MONITORED_HORIZONS[k % H]!;
  const slot = SLOT_PH + k;
  const what = `Forecast errors of ${target} ${h} h ahead at ${s.id}`;
  if (t === "resolved") {
    return alert(s, slot, field, "resolved", {
      reason: `${what} are steady again: ${s.phSince[k]} forecasts scored without a new ` +
        `change since the one detected at ${s.phDetectedTs[k] || iso(s.phDetectedHour[k]!)}.`,
      value: s.ph.statistic(k),
      threshold: lambda,
      unit: "page_hinkley_statistic",
      window: [s.phDetectedHour[k]!, s.windowHours(k).end, s.phSince[k]!],
      at,
    });
  }
  const d = s.ph.lastDetection(k);
  const start = s.phDetectedRunStart[k]!;
  if (t === "fired") {
    s.scope.episodes[slot]!.id = episodeId(s.id, field, "page_hinkley", h, start);
  }
  return alert(s, slot, field, "firing", {
    reason: `${what} rose: the Page-Hinkley statistic reached ${fixed(d.statistic, 1)} ` +
      `(threshold ${lambda}) after ${d.count} scored forecasts averaging ${fixed(d.mean, 2)}x ` +
      `the offline MAE; the model may no longer fit the data.`,
    value: d.statistic,
    threshold: lambda,
    unit: "page_hinkley_statistic",
    window: [start, s.phDetectedHour[k]!, d.count],
    at,
  });
}

/** The event of an MAE-ratio episode of key `k`; `expected` is its offline MAE. */
export function maeAlert(
  s: StationState,
  k: number,
  t: Transition,
  at: At,
  ratio: number,
  expected: number,
  r: MonitoringConfig["maeRatio"],
): Alert {
  const { target, field } = MONITORED_TARGETS[(k / H) | 0]!;
  const h = MONITORED_HORIZONS[k % H]!;
  const slot = SLOT_MAE + k, n = s.size[k]!;
  const { start, end } = s.windowHours(k);
  if (t === "fired") {
    s.scope.episodes[slot]!.id = episodeId(s.id, field, "mae_ratio", h, start);
  }
  const live = s.liveMae(k);
  const numbers = `${live.toPrecision(3)} vs ${expected.toPrecision(3)}`;
  const what = `Live MAE of ${target} ${h} h ahead at ${s.id} is ${fixed(ratio, 2)}x the ` +
    `offline MAE (${numbers}) over the last ${n} scored forecasts`;
  const resolved = t === "resolved";
  const threshold = resolved
    ? r.resolve
    : s.scope.episodes[slot]!.severity === "critical"
    ? r.critical
    : r.warning;
  return alert(s, slot, field, resolved ? "resolved" : "firing", {
    reason: resolved
      ? `${what}, back below ${threshold}x.`
      : `${what}, at or above ${threshold}x: the model does worse than it did offline.`,
    value: ratio,
    threshold,
    unit: "ratio",
    window: [start, end, n],
    at,
  });
}

/** The event of a PSI episode of input field `f`. */
export function psiAlert(
  s: StationState,
  f: number,
  t: Transition,
  at: At,
  psi: number,
  p: MonitoringConfig["psi"],
): Alert {
  const field = INPUT_FIELDS[f]!;
  const slot = SLOT_PSI + f;
  const start = s.inputs.startHour, end = s.inputs.latestHour;
  if (t === "fired") {
    s.scope.episodes[slot]!.id = episodeId(s.id, field, "psi", null, start);
  }
  const resolved = t === "resolved";
  const threshold = resolved
    ? p.resolve
    : s.scope.episodes[slot]!.severity === "critical" && p.critical !== null
    ? p.critical
    : p.warning;
  const what = `The distribution of ${field} at ${s.id} over the last ${end - start + 1} h`;
  const shown = `PSI ${fixed(psi, 3)}`;
  return alert(s, slot, field, resolved ? "resolved" : "firing", {
    reason: resolved
      ? `${what} is close to the training window again (${shown}, below ${threshold}).`
      : `${what} has shifted from the training window (${shown}, at or above ${threshold}): ` +
        `the model sees inputs unlike those it was trained on.`,
    value: psi,
    threshold,
    unit: "psi",
    window: [start, end, end - start + 1, "hours"],
    at,
  });
}
interface AlertParts {
  reason: string;
  value: number;
  threshold: number;
  unit: string;
  /** Start hour, end hour, size and unit (default `messages`: scored forecasts). */
  window: [number, number, number] | [number, number, number, "hours"];
  at: At;
}

function alert(
  s: StationState,
  slot: number,
  field: MeasurementField,
  state: Alert["state"],
  p: AlertParts,
): Alert {
  const [start, end, size, unit = "messages"] = p.window;
  const episode = s.scope.episodes[slot]!;
  return {
    schema_version: ALERT_SCHEMA_VERSION,
    alert_id: episode.id,
    kind: "drift",
    severity: state === "resolved" ? "info" : episode.severity,
    station_id: s.id,
    field,
    state,
    reason: p.reason,
    evidence: {
      value: p.value,
      threshold: p.threshold,
      unit: p.unit,
      window: { start: iso(start), end: iso(Math.max(start, end)), size, size_unit: unit },
    },
    event_ts: p.at.ts,
    raised_at: new Date(p.at.nowMs).toISOString(),
  };
}
