/**
 * Alert bookkeeping shared by the monitor: deterministic ids, severity levels,
 * de-duplication, escalation, cool-down and resolution per (station, kind, field).
 *
 * Judging is cheap when nothing changes (no allocation, no string keys): the
 * evidence and the sentence are only built when an event is emitted.
 *
 * @module
 */
import {
  type Alert,
  ALERT_KINDS,
  ALERT_SCHEMA_VERSION,
  type AlertEvidence,
  type AlertKind,
  type AlertSeverity,
} from "../records/alert.ts";
import { MEASUREMENT_FIELDS, type MeasurementField } from "../records/reading.ts";

/**
 * FNV-1a, 64 bits, over the UTF-16 code units of `text`: 16 lowercase hex digits.
 * Not cryptographic; stable across runs and processes.
 */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}

/**
 * Deterministic alert id: a hash of station, kind, field and the start of the
 * window in which the episode began.
 */
export function alertId(
  stationId: string | null,
  kind: AlertKind,
  field: MeasurementField | null,
  windowStart: string,
): string {
  return fnv1a64([stationId ?? "", kind, field ?? "", windowStart].join("\u001f"));
}

/** The parts of an alert that are only built when it is emitted. */
export interface Details {
  /** Unit of the value, e.g. `ratio`. */
  unit: string;
  window: AlertEvidence["window"];
  /** `ts` the alert refers to. */
  eventTs: string;
  /** One sentence for a firing alert, given its severity and threshold. */
  firing(severity: "warning" | "critical", threshold: number): string;
  /** One sentence for a resolved alert. */
  resolved(threshold: number): string;
}

interface Episode {
  id: string;
  firing: boolean;
  severity: AlertSeverity;
  firedAtMs: number;
}

/** The episodes of one station (or of the pipeline, `stationId` null). */
export interface Scope {
  readonly stationId: string | null;
  readonly episodes: (Episode | undefined)[];
}

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };
const FIELDS = MEASUREMENT_FIELDS.length + 1;
const KIND_INDEX = Object.fromEntries(ALERT_KINDS.map((k, i) => [k, i])) as Record<
  AlertKind,
  number
>;
const FIELD_INDEX = Object.fromEntries(MEASUREMENT_FIELDS.map((f, i) => [f, i + 1])) as Record<
  MeasurementField,
  number
>;

/** Fires, escalates and resolves alerts; remembers each key's last episode. */
export class AlertBook {
  readonly #scopes = new Map<string | null, Scope>();
  readonly #cooldownMs: number;

  constructor(cooldownMs: number) {
    this.#cooldownMs = cooldownMs;
  }

  /** The episodes of one station, or of the pipeline for `null`. */
  scope(stationId: string | null): Scope {
    let scope = this.#scopes.get(stationId);
    if (scope === undefined) {
      scope = { stationId, episodes: [] };
      this.#scopes.set(stationId, scope);
    }
    return scope;
  }

  /** Alerts currently firing. */
  get firingCount(): number {
    let n = 0;
    for (const scope of this.#scopes.values()) {
      for (const e of scope.episodes) if (e?.firing === true) n++;
    }
    return n;
  }

  /**
   * Judges `value` against its levels for one (scope, kind, field) and appends
   * any new event to `out`: firing (new or escalated) at or above `warning`,
   * resolved below it. Call it only when there is enough data to judge.
   */
  judge(
    out: Alert[],
    scope: Scope,
    kind: AlertKind,
    field: MeasurementField | null,
    levels: { value: number; warning: number; critical: number; nowMs: number },
    details: () => Details,
  ): void {
    const { value, warning, critical, nowMs } = levels;
    const slot = KIND_INDEX[kind] * FIELDS + (field === null ? 0 : FIELD_INDEX[field]);
    const episode = scope.episodes[slot];
    const level = value >= critical ? "critical" : value >= warning ? "warning" : null;
    if (level === null) {
      if (episode?.firing !== true) return;
      episode.firing = false;
      const d = details();
      out.push(build(episode.id, "info", "resolved", scope, kind, field, value, warning, d, {
        reason: d.resolved(warning),
        nowMs,
      }));
      return;
    }
    let id: string;
    if (episode?.firing === true) {
      if (RANK[level] <= RANK[episode.severity]) return;
      episode.severity = level;
      id = episode.id;
    } else {
      if (episode !== undefined && nowMs - episode.firedAtMs < this.#cooldownMs) return;
      id = alertId(scope.stationId, kind, field, details().window.start);
      scope.episodes[slot] = { id, firing: true, severity: level, firedAtMs: nowMs };
    }
    const threshold = level === "critical" ? critical : warning;
    const d = details();
    out.push(build(id, level, "firing", scope, kind, field, value, threshold, d, {
      reason: d.firing(level, threshold),
      nowMs,
    }));
  }
}

function build(
  id: string,
  severity: AlertSeverity,
  state: Alert["state"],
  scope: Scope,
  kind: AlertKind,
  field: MeasurementField | null,
  value: number,
  threshold: number,
  d: Details,
  how: { reason: string; nowMs: number },
): Alert {
  return {
    schema_version: ALERT_SCHEMA_VERSION,
    alert_id: id,
    kind,
    severity,
    station_id: scope.stationId,
    field,
    state,
    reason: how.reason,
    evidence: { value, threshold, unit: d.unit, window: d.window },
    event_ts: d.eventTs,
    raised_at: new Date(how.nowMs).toISOString(),
  };
}
