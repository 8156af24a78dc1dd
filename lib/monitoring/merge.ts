/**
 * The monitoring snapshots of a forecaster group as one. Each member stores its own
 * (`forecaster.monitor@<member>`): its monitor sees only the stations of the partitions it owns,
 * so one shared name would show the last writer's stations only. Merged:
 *
 * - each station from the member that saw its latest reading (ties: the newer snapshot), so a
 *   station handed over in a rebalance shows its new owner's view;
 * - the overall drift, firing alerts and event range recomputed from those stations, as one
 *   monitor computes them from its own;
 * - the counts summed over the members (each counts its own work; a member that died still
 *   counts what it did);
 * - the settings and retraining state of the newest snapshot (every member runs the same
 *   configuration and models).
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import type { DriftState, MonitorSnapshot, StationHealth } from "./snapshot.ts";

/** One member's stored snapshot. */
export interface MemberSnapshot {
  /** The stored name (`forecaster.monitor@<member>`). */
  readonly name: string;
  readonly value: MonitorSnapshot;
  readonly updated_at_ms: number;
}

/** The group's view, and which member each station came from. */
export interface MergedMonitor {
  readonly monitor: MonitorSnapshot;
  readonly updated_at_ms: number;
  /** Every member's snapshot, oldest first: its name, when it was taken, the stations taken from it. */
  readonly members: { name: string; updated_at: string; stations: string[] }[];
}

const DRIFT_RANK: Record<DriftState, number> = { none: 0, warning: 1, critical: 2 };
const timeOf = (ts: string | null) => (ts === null ? -Infinity : Date.parse(ts));

/** Merges the members' snapshots (at least one); one snapshot is returned as it is. */
export function mergeMonitorSnapshots(rows: readonly MemberSnapshot[]): MergedMonitor {
  if (rows.length === 0) throw new RangeError("mergeMonitorSnapshots needs at least one snapshot");
  const byAge = [...rows].sort((a, b) =>
    a.updated_at_ms - b.updated_at_ms || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
  const newest = byAge.at(-1)!;
  // later rows win ties: a station seen up to the same hour by two members is the newer one's
  const owner = new Map<string, { row: MemberSnapshot; health: StationHealth }>();
  for (const row of byAge) {
    for (const [id, health] of Object.entries(row.value.stations)) {
      const held = owner.get(id);
      if (
        held === undefined || timeOf(health.event_range.to) >= timeOf(held.health.event_range.to)
      ) {
        owner.set(id, { row, health });
      }
    }
  }
  const members = byAge.map((row) => ({
    name: row.name,
    updated_at: new Date(row.updated_at_ms).toISOString(),
    stations: [...owner].filter(([, o]) => o.row === row).map(([id]) => id).sort(),
  }));
  if (rows.length === 1) {
    return { monitor: newest.value, updated_at_ms: newest.updated_at_ms, members };
  }
  return {
    monitor: mergedValue(byAge, newest.value, owner),
    updated_at_ms: newest.updated_at_ms,
    members,
  };
}

function mergedValue(
  byAge: readonly MemberSnapshot[],
  newest: MonitorSnapshot,
  owner: ReadonlyMap<string, { health: StationHealth }>,
): MonitorSnapshot {
  const stations: Record<string, StationHealth> = {};
  let drift: DriftState = "none";
  let firing = 0;
  let from: string | null = null, to: string | null = null;
  for (const id of [...owner.keys()].sort()) {
    const health = owner.get(id)!.health;
    stations[id] = health;
    if (DRIFT_RANK[health.drift] > DRIFT_RANK[drift]) drift = health.drift;
    firing += health.alerts_firing;
    const range = health.event_range;
    if (range.from !== null && (from === null || timeOf(range.from) < timeOf(from))) {
      from = range.from;
    }
    if (range.to !== null && (to === null || timeOf(range.to) > timeOf(to))) to = range.to;
  }
  const counts = { ...newest.counts };
  for (const key of Object.keys(counts) as (keyof typeof counts)[]) {
    counts[key] = byAge.reduce((sum, row) => sum + row.value.counts[key], 0);
  }
  const retraining = byAge.findLast((row) => row.value.retraining !== undefined)?.value.retraining;
  return {
    ...newest,
    drift,
    alerts_firing: firing,
    event_range: { from, to },
    counts,
    stations,
    ...(retraining === undefined ? {} : { retraining }),
  };
}
