/**
 * Alert bookkeeping shared by every alerter (the data-quality monitor in
 * `lib/quality`, the pollution alerter here): deterministic ids, severity
 * levels, de-duplication, escalation, cool-down and resolution per episode
 * slot of a scope (a station, or the pipeline for `null`).
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
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fnv1a64 } from "./book.ts";
 * assert.equal(fnv1a64(""), "cbf29ce484222325");
 * ```
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
 * Deterministic alert id: a hash of station, kind, key (a measurement field,
 * or a limit id for pollution alerts) and the start of the window (or the
 * event time) at which the episode began.
 */
export function alertId(
  stationId: string | null,
  kind: AlertKind,
  key: string | null,
  windowStart: string,
): string {
  return fnv1a64([stationId ?? "", kind, key ?? "", windowStart].join("\u001f"));
}

/** The parts of an alert that are only built when it is emitted. */
export interface Details {
  /** Unit of the value, e.g. `ratio`. */
  unit: string;
  /** The window the value was measured over. */
  window: AlertEvidence["window"];
  /** `ts` the alert refers to. */
  eventTs: string;
  /** One sentence for a firing alert, given its severity and threshold. */
  firing(severity: "warning" | "critical", threshold: number): string;
  /** One sentence for a resolved alert. */
  resolved(threshold: number): string;
}

/** The latest episode of one slot: firing, or resolved and remembered for the cool-down. */
export interface Episode {
  /** Alert id of the episode (kept after it resolves). */
  id: string;
  /** Whether the episode is firing (false once it resolved). */
  firing: boolean;
  /** Its severity (the highest it escalated to). */
  severity: AlertSeverity;
  /** Book clock when the episode fired. */
  firedAt: number;
  /** Book clock when it resolved; NaN while firing. */
  resolvedAt: number;
}

/** The episodes of one station (or of the pipeline, `stationId` null), by slot. */
export interface Scope {
  /** The station, or null for the pipeline. */
  readonly stationId: string | null;
  /** The latest episode of each slot (the caller numbers the slots). */
  readonly episodes: (Episode | undefined)[];
}

/** What one {@linkcode AlertBook.step} did to a slot. */
export type Transition = "none" | "fired" | "escalated" | "resolved";

/** Options of an {@linkcode AlertBook}. */
export interface AlertBookOptions {
  /**
   * Where the cool-down counts from: the firing of the last episode (default;
   * the data-quality monitor) or its resolution (the pollution alerter).
   */
  cooldownFrom?: "fired" | "resolved";
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

/**
 * Fires, escalates and resolves alerts; remembers each slot's last episode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AlertBook } from "./book.ts";
 * const book = new AlertBook(3_600_000, { cooldownFrom: "resolved" });
 * const scope = book.scope("station-001");
 * assert.equal(book.step(scope, 0, "critical", 0), "fired");
 * assert.equal(book.step(scope, 0, "critical", 1), "none");
 * assert.equal(book.step(scope, 0, null, 2), "resolved");
 * assert.equal(book.step(scope, 0, "critical", 3), "none"); // cool-down
 * ```
 */
export class AlertBook {
  readonly #scopes = new Map<string | null, Scope>();
  readonly #cooldown: number;
  readonly #fromResolved: boolean;

  /**
   * A book with no episodes; a slot stays quiet for `cooldown` after an
   * episode, in the unit of the clock given to {@linkcode step} (the monitor
   * uses milliseconds, the pollution alerter hours of event time).
   */
  constructor(cooldown: number, options: AlertBookOptions = {}) {
    this.#cooldown = cooldown;
    this.#fromResolved = options.cooldownFrom === "resolved";
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

  /** Forgets every scope and episode. */
  clear(): void {
    this.#scopes.clear();
  }

  /** Forgets the episodes of one station (or of the pipeline for `null`). */
  forget(stationId: string | null): void {
    this.#scopes.delete(stationId);
  }

  /**
   * Moves one slot given its level now, at `clock` on the book's clock:
   * `severity` means "at or above a firing level", `null` means "clear"
   * (callers with hysteresis skip the call inside the band).
   *
   * A new episode (`fired`) gets the id `""`: the caller names it with
   * `scope.episodes[slot]!.id = alertId(…)` before building the alert.
   * Allocates only the first time a slot fires.
   */
  step(scope: Scope, slot: number, severity: AlertSeverity | null, clock: number): Transition {
    const episode = scope.episodes[slot];
    if (severity === null) {
      if (episode === undefined || !episode.firing) return "none";
      episode.firing = false;
      episode.resolvedAt = clock;
      return "resolved";
    }
    if (episode?.firing === true) {
      if (RANK[severity] <= RANK[episode.severity]) return "none";
      episode.severity = severity;
      return "escalated";
    }
    if (episode === undefined) {
      scope.episodes[slot] = {
        id: "",
        firing: true,
        severity,
        firedAt: clock,
        resolvedAt: NaN,
      };
      return "fired";
    }
    const since = this.#fromResolved ? episode.resolvedAt : episode.firedAt;
    if (clock - since < this.#cooldown) return "none";
    episode.id = "";
    episode.firing = true;
    episode.severity = severity;
    episode.firedAt = clock;
    episode.resolvedAt = NaN;
    return "fired";
  }

  /**
   * Resolves a firing slot whatever its value (e.g. an early warning superseded
   * by the measured exceedance). Returns false when nothing was firing.
   */
  resolve(scope: Scope, slot: number, clock: number): boolean {
    return this.step(scope, slot, null, clock) === "resolved";
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
    const level = value >= critical ? "critical" : value >= warning ? "warning" : null;
    const transition = this.step(scope, slot, level, nowMs);
    if (transition === "none") return;
    const episode = scope.episodes[slot]!;
    const d = details();
    if (transition === "resolved") {
      out.push(build(episode.id, "info", "resolved", scope, kind, field, value, warning, d, {
        reason: d.resolved(warning),
        nowMs,
      }));
      return;
    }
    if (transition === "fired") episode.id = alertId(scope.stationId, kind, field, d.window.start);
    const severity = level === "critical" ? "critical" : "warning";
    const threshold = severity === "critical" ? critical : warning;
    out.push(build(episode.id, severity, "firing", scope, kind, field, value, threshold, d, {
      reason: d.firing(severity, threshold),
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
