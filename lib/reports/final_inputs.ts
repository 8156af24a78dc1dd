/**
 * The final report's inputs besides the analysis: the JSON files other tasks
 * write (bench, monitor, drill) with the fields the report reads, the speed
 * goals they are judged by, the per-target summary of a monitoring
 * snapshot, and the small formatting helpers the sections share.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import type { AlertsConfig } from "../alerts/mod.ts";
import {
  type MonitoringConfig,
  type MonitorSnapshot,
  type ParsedMonitorOutput,
} from "../monitoring/mod.ts";
// What `deno task monitor` prints has its one schema beside the snapshot's (lib/monitoring/snapshot.ts).
export {
  type MonitorOutput,
  MonitorOutputSchema,
  type ParsedMonitorOutput,
  parseMonitorOutput,
} from "../monitoring/mod.ts";
import { type DrillReport, type IngestResult, type RealtimeResult } from "../records/mod.ts";

/** What `deno task bench ingest --json PATH` writes (its one schema: lib/records/bench.ts). */
export type BenchIngest = IngestResult;
/** What `deno task bench realtime --json PATH` writes (its one schema: lib/records/bench.ts). */
export type BenchRealtime = RealtimeResult;
import { esc } from "../render/html.ts";

/** A highlighted note from plain text, in which `backquoted` spans (commands) become code. */
export const note = (text: string): string =>
  `<p class="note">${esc(text).replace(/`([^`]+)`/g, "<code>$1</code>")}</p>`;

/** A whole number with thousands separators, e.g. `24,725`. */
export const int = (n: number): string => Math.round(n).toLocaleString("en-US");

const mean = (xs: readonly number[]) =>
  xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length;

/** What `deno task drill NAME --json PATH` writes (its one schema: lib/records/drill.ts). */
export type DrillResult = DrillReport;

/** Speed and size goals of PRODUCT.md ("Quality bars"). */
export const SPEED_GOALS = {
  ingestReadingsPerS: 50_000,
  ingestMinReadings: 900_000,
  realtimeReadingsPerS: 20_000,
  latencyP99Ms: 25,
  latencyAtReadingsPerS: 1_000,
  rssMb: 300,
} as const;

/**
 * The key findings' verdict on the speed goals: which of ingest, forecasting
 * throughput and latency the runs miss (a missing run says nothing).
 */
export function speedVerdict(
  bench: BenchIngest | null,
  realtime: BenchRealtime | null,
): string {
  const missed = [
    bench !== null && bench.readings_per_s < SPEED_GOALS.ingestReadingsPerS ? "ingest" : null,
    realtime !== null && realtime.readings_per_s < SPEED_GOALS.realtimeReadingsPerS
      ? "forecasting throughput"
      : null,
    realtime !== null && !(realtime.latency_ms_p99 <= SPEED_GOALS.latencyP99Ms) ? "latency" : null,
  ].filter((m) => m !== null);
  if (missed.length === 0) return "the measured speed goals are met";
  const list = missed.length === 1
    ? missed[0]
    : `${missed.slice(0, -1).join(", ")} and ${missed.at(-1)}`;
  return `the ${list} goal${missed.length === 1 ? " is" : "s are"} not met on this 2-core machine`;
}

/** Inputs of {@linkcode realtimeSection}; `null` means the file was not there. */
export interface RealtimeInputs {
  bench: { path: string; result: BenchIngest | null };
  realtime: { path: string; result: BenchRealtime | null };
  monitor: { path: string; output: ParsedMonitorOutput | null };
  drills: readonly { path: string; result: DrillResult | null }[];
  alerts: AlertsConfig;
  monitoring: MonitoringConfig;
  forecast: { targets: readonly string[]; horizonsH: readonly number[] };
  /** Firing data-quality alerts per kind over the dataset (the preprocessing statistics). */
  qualityAlerts: Readonly<Record<string, number>>;
}

/** One row per target and horizon: the stations' forecasts averaged (MAE) or summed (counts). */
export function monitorRows(snapshot: MonitorSnapshot): {
  target: string;
  horizon: number;
  scored: number;
  live: number;
  all: number;
  expected: number;
  ratio: number;
  baselineLive: number;
  detections: number;
  worst: string;
}[] {
  const stations = Object.values(snapshot.stations);
  const keys = stations[0]?.forecasts.map((f) => [f.target, f.horizon_h] as const) ?? [];
  const order = ["ok", "warning", "critical"];
  return keys.map(([target, horizon]) => {
    const rows = stations.flatMap((s) =>
      s.forecasts.filter((f) => f.target === target && f.horizon_h === horizon)
    );
    const nums = (pick: (f: (typeof rows)[number]) => number | null) =>
      rows.map(pick).filter((v): v is number => v !== null);
    return {
      target,
      horizon,
      scored: rows.reduce((s, f) => s + f.n_scored, 0),
      live: mean(nums((f) => f.live_mae)),
      all: mean(nums((f) => f.mae_all)),
      expected: mean(nums((f) => f.expected_mae)),
      ratio: mean(nums((f) => f.ratio)),
      baselineLive: mean(nums((f) => f.baseline_live_mae)),
      detections: rows.reduce((s, f) => s + f.page_hinkley.detections, 0),
      worst: rows.reduce((w, f) => (order.indexOf(f.state) > order.indexOf(w) ? f.state : w), "ok"),
    };
  });
}
