/**
 * The forecaster's observers: the pollution alerter (measured exceedances,
 * early warnings from forecast intervals) and the model monitor (live MAE,
 * Page-Hinkley, PSI), each behind the {@linkcode ForecastObserver} interface
 * `runForecaster` feeds, with their warm starts from the store.
 *
 * @module
 */
import type { PollutionAlerter } from "../alerts/mod.ts";
import type { ModelMonitor } from "../monitoring/mod.ts";
import type { Alert, CleanReading, ForecastRecord } from "../records/mod.ts";

/** Something that watches readings and the forecasts made for them, and may raise alerts. */
export interface ForecastObserver {
  /** A reading, before its own forecasts are made (matured forecasts can be scored). */
  observe(reading: CleanReading, nowMs: number): readonly Alert[];
  /** The forecasts just made for a reading (the rows of its set). */
  forecasts(records: readonly ForecastRecord[], nowMs: number): readonly Alert[] | void;
  /**
   * Warm start of one station from the store, before its first reading in this process:
   * its stored readings (at least {@linkcode warmHours} of them), the forecasts of its last day,
   * and every stored forecast made from `history`.
   */
  warm?(
    stationId: string,
    history: readonly CleanReading[],
    forecasts: readonly ForecastRecord[],
    span: readonly ForecastRecord[],
  ): void;
  /** Hours of stored readings and forecasts its warm start wants (the last day when absent). */
  readonly warmHours?: number;
  /** Forgets all state (the uncommitted batch will be read again). */
  reset(): void;
  /**
   * After a rebalance: keeps the stations `keep` accepts (their partitions stay with this
   * process, and their state holds committed readings only) and forgets the others. An
   * observer without it is reset, and warm-starts each station again from the store.
   */
  retain?(keep: (stationId: string) => boolean): void;
  /** A JSON-serializable state, stored as the named snapshot `snapshotName`. */
  snapshot?(): unknown;
  /** Name of the stored snapshot. */
  readonly snapshotName?: string;
}

/**
 * Prefix of the stored model-monitoring snapshots: each forecaster process stores its own as
 * `forecaster.monitor@<member>` (its monitor sees only its partitions' stations), and `deno task
 * monitor` merges them (`mergeMonitorSnapshots`).
 */
export const MONITOR_SNAPSHOT = "forecaster.monitor";

/** The name a member's monitoring snapshot is stored under. */
export function monitorSnapshotName(member: string): string {
  return `${MONITOR_SNAPSHOT}@${member}`;
}

/**
 * Pollution alerts; a warm start rebuilds one station's running means and
 * episodes from its stored readings, silently, and the served warning's
 * residuals from them and the stored forecasts, and leaves the other stations'
 * alone (they may have been warmed just before it).
 */
export function alerterObserver(alerter: PollutionAlerter): ForecastObserver {
  return {
    observe: (reading, nowMs) => alerter.observe(reading, nowMs),
    forecasts: (records, nowMs) => alerter.forecasts(records, nowMs),
    warm: (stationId, history, _recent, span) => alerter.restoreStation(stationId, history, span),
    warmHours: alerter.warmHours,
    reset: () => alerter.reset(),
  };
}

/**
 * Model monitoring; a warm start hands it the stored forecasts still waiting
 * for their actual value (the input windows for PSI refill from live readings),
 * unless it still holds the station: after a rebalance it keeps the stations
 * that stay with this process, with their scores, detectors and alerts.
 * Its snapshot is stored as {@linkcode monitorSnapshotName}(`member`).
 */
export function monitorObserver(monitor: ModelMonitor, member: string): ForecastObserver {
  return {
    observe: (reading, nowMs) => monitor.observe(reading, nowMs),
    forecasts: (records) => monitor.forecasts(records),
    warm: (stationId, _history, forecasts) => {
      if (!monitor.has(stationId)) monitor.forecasts(forecasts);
    },
    reset: () => monitor.reset(),
    retain: (keep) => monitor.retain(keep),
    snapshot: () => monitor.snapshot(),
    snapshotName: monitorSnapshotName(member),
  };
}
