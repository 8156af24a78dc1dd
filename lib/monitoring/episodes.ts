/**
 * Drift episodes from the stored drift alerts: one row per episode (its
 * `alert_id`), with the detector, the field, the target and horizon it
 * watched, when it fired, escalated and resolved, and the evidence. The
 * detector comes from the evidence's unit; the horizon is found by recomputing
 * the episode id (lib/monitoring/_alerts.ts) for each monitored horizon, so
 * no sentence is parsed.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import { z } from "zod";
import { alertId } from "../alerts/mod.ts";
import {
  type Alert,
  IsoTimestamp,
  MEASUREMENT_FIELDS,
  type MeasurementField,
} from "../records/mod.ts";
import { MONITORED_HORIZONS, MONITORED_TARGETS } from "./targets.ts";

/** The detectors of the model monitor, by the unit of their evidence. */
export const DRIFT_DETECTORS = {
  page_hinkley_statistic: "page_hinkley",
  ratio: "mae_ratio",
  psi: "psi",
} as const;

/** One drift episode. */
export const DriftEpisodeSchema = z.strictObject({
  alert_id: z.string(),
  station_id: z.string().nullable(),
  detector: z.enum(["page_hinkley", "mae_ratio", "psi"]),
  field: z.enum(MEASUREMENT_FIELDS),
  /** The forecast target watched (Page-Hinkley, MAE ratio); null for PSI (an input field). */
  target: z.string().nullable(),
  horizon_h: z.number().int().nullable(),
  /** The worst severity reached. */
  severity: z.enum(["warning", "critical"]),
  /** Event time (the reading's `ts`) of the first firing event. */
  fired_ts: IsoTimestamp,
  /** Event time of the escalation to critical, if any. */
  escalated_ts: IsoTimestamp.nullable(),
  /** Event time of the resolution; null while it still fires. */
  resolved_ts: IsoTimestamp.nullable(),
  /** The evidence when it fired: value against threshold, over which window. */
  value: z.number(),
  threshold: z.number(),
  unit: z.string(),
  window_start: IsoTimestamp,
  window_end: IsoTimestamp,
  /** Mean of the field over the station's readings in the evidence window; null when none. */
  level: z.number().nullable(),
  /** Mean of the field over the station's readings the monitor saw (its event range). */
  level_all: z.number().nullable(),
  reason: z.string(),
});

/** One drift episode. */
export type DriftEpisode = z.infer<typeof DriftEpisodeSchema>;

const rank = { info: 0, warning: 1, critical: 2 } as const;

/** The horizon whose episode id `a` carries, null when none matches (PSI has none). */
function horizonOf(a: Alert, detector: string): number | null {
  for (const h of MONITORED_HORIZONS) {
    const key = `${a.field}/${detector}/${h}h`;
    if (alertId(a.station_id, "drift", key, a.evidence.window.start) === a.alert_id) return h;
  }
  return null;
}

/** A stored reading, as far as the levels need it. */
export interface LevelReading {
  station_id: string;
  ts: string;
  measurements: Partial<Record<MeasurementField, number | null>>;
}

/** Mean of `field` over the readings of `station` with `fromMs <= time <= toMs`; null when none. */
function meanOf(
  readings: readonly LevelReading[],
  station: string | null,
  field: MeasurementField,
  fromMs: number,
  toMs: number,
): number | null {
  let sum = 0, n = 0;
  for (const r of readings) {
    const t = Date.parse(r.ts), v = r.measurements[field];
    if (r.station_id !== station || t < fromMs || t > toMs || v === null || v === undefined) {
      continue;
    }
    sum += v;
    n++;
  }
  return n === 0 ? null : sum / n;
}

/**
 * The drift episodes of `alerts` (other kinds are ignored), in the order they
 * fired, with the level of their field from `readings`: over the evidence
 * window, and over every reading of the station (pass those the monitor saw).
 */
export function driftEpisodes(
  alerts: readonly Alert[],
  readings: readonly LevelReading[],
): DriftEpisode[] {
  const byId = new Map<string, Alert[]>();
  for (const a of alerts) {
    if (a.kind !== "drift") continue;
    byId.set(a.alert_id, [...(byId.get(a.alert_id) ?? []), a]);
  }
  const episodes: DriftEpisode[] = [];
  for (const [id, events] of byId) {
    const time = (a: Alert) => Date.parse(a.event_ts);
    const firing = events.filter((a) => a.state === "firing").sort((a, b) => time(a) - time(b));
    const first = firing[0];
    if (first === undefined || first.field === null) continue; // a resolution whose firing was not stored
    const detector = DRIFT_DETECTORS[first.evidence.unit as keyof typeof DRIFT_DETECTORS];
    if (detector === undefined) {
      throw new RangeError(`drift alert ${id}: unknown unit ${first.evidence.unit}`);
    }
    const horizon = detector === "psi"
      ? null
      : firing.map((a) => horizonOf(a, detector)).find((h) => h !== null) ?? null;
    const resolved = events.find((a) => a.state === "resolved");
    const critical = firing.find((a) => a.severity === "critical");
    episodes.push({
      alert_id: id,
      station_id: first.station_id,
      detector,
      field: first.field,
      target: detector === "psi"
        ? null
        : MONITORED_TARGETS.find((t) => t.field === first.field)?.target ?? null,
      horizon_h: horizon,
      severity: firing.some((a) => rank[a.severity] === 2) ? "critical" : "warning",
      fired_ts: first.event_ts,
      escalated_ts: critical === undefined ? null : critical.event_ts,
      resolved_ts: resolved === undefined ? null : resolved.event_ts,
      value: first.evidence.value,
      threshold: first.evidence.threshold,
      unit: first.evidence.unit,
      window_start: first.evidence.window.start,
      window_end: first.evidence.window.end,
      level: meanOf(
        readings,
        first.station_id,
        first.field,
        Date.parse(first.evidence.window.start),
        Date.parse(first.evidence.window.end),
      ),
      level_all: meanOf(readings, first.station_id, first.field, -Infinity, Infinity),
      reason: first.reason,
    });
  }
  return episodes.sort((a, b) => Date.parse(a.fired_ts) - Date.parse(b.fired_ts));
}
