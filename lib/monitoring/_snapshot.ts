/**
 * Builds the JSON snapshot of the model monitor from its typed arrays.
 *
 * @module
 */
import type { MeasurementField } from "../records/reading.ts";
import type { CompiledReference } from "./_inputs.ts";
import {
  C,
  firingRank,
  firingSummary,
  type Shared,
  SLOT_MAE,
  SLOT_PH,
  SLOT_PSI,
  type StationState,
} from "./_station.ts";
import type { MonitoringConfig } from "./monitoring_config.ts";
import type { ExpectedErrors } from "./expected.ts";
import type { InputReference } from "./reference.ts";
import {
  type DriftState,
  type ForecastHealth,
  type InputHealth,
  MONITOR_SNAPSHOT_VERSION,
  type MonitorSnapshot,
  type StationHealth,
} from "./snapshot.ts";
import { INPUT_FIELDS, KEYS, MONITORED_HORIZONS, MONITORED_TARGETS } from "./targets.ts";

const H = MONITORED_HORIZONS.length;
const LEVEL = ["ok", "warning", "critical"] as const;
const DRIFT: readonly DriftState[] = ["none", "warning", "critical"];
const orNull = (x: number) => Number.isFinite(x) ? x : null;

/** What the snapshot is built from. */
export interface SnapshotSource {
  config: MonitoringConfig;
  expected: ExpectedErrors;
  expectedBaseline: Float64Array;
  reference: InputReference | null;
  shared: Shared;
  stations: ReadonlyMap<string, StationState>;
}

/** The monitor's state as a `MonitorSnapshot`. */
export function buildSnapshot(src: SnapshotSource): MonitorSnapshot {
  const { config, shared } = src;
  const stations: Record<string, StationHealth> = {};
  let worst = 0, firing = 0;
  let from: { ms: number; ts: string | null } = { ms: Infinity, ts: null };
  let to: { ms: number; ts: string | null } = { ms: -Infinity, ts: null };
  for (const [id, s] of src.stations) {
    stations[id] = station(s, src);
    const { count, worst: w } = firingSummary(s.scope);
    worst = Math.max(worst, w);
    firing += count;
    if (s.firstMs < from.ms) from = { ms: s.firstMs, ts: s.firstTs };
    if (s.lastMs > to.ms) to = { ms: s.lastMs, ts: s.lastTs };
  }
  const n = shared.counts;
  const ref = src.reference?.trainingWindow;
  return {
    format: "airq-model-monitor",
    version: MONITOR_SNAPSHOT_VERSION,
    drift: DRIFT[worst]!,
    alerts_firing: firing,
    event_range: { from: from.ts, to: to.ts },
    settings: {
      window_forecasts: config.errors.windowForecasts,
      mae_ratio_warning: config.maeRatio.warning,
      mae_ratio_critical: config.maeRatio.critical,
      page_hinkley: { delta: config.pageHinkley.delta, lambda: config.pageHinkley.lambda },
      psi_window_h: config.psi.windowH,
      psi_warning: config.psi.warning,
      expected_model: src.expected.model,
      expected_baseline: src.expected.baseline,
      reference_window: ref === undefined ? null : { from: ref.from, to: ref.to },
    },
    counts: {
      readings: n[C.readings]!,
      forecasts: n[C.forecasts]!,
      forecasts_without_value: n[C.withoutValue]!,
      forecasts_ignored: n[C.ignored]!,
      forecasts_stale: n[C.stale]!,
      forecasts_duplicate: n[C.duplicate]!,
      forecasts_expired: n[C.expired]!,
      readings_late: n[C.lateReadings]!,
      scored_model: n[C.scoredModel]!,
      scored_baseline: n[C.scoredBaseline]!,
      unscored_missing_actual: n[C.missingActual]!,
      page_hinkley_detections: n[C.detections]!,
      alerts_emitted: n[C.alerts]!,
    },
    stations,
  };
}

function station(s: StationState, src: SnapshotSource): StationHealth {
  const { config, shared } = src;
  const sc = s.scope;
  const forecasts: ForecastHealth[] = [];
  for (let k = 0; k < KEYS; k++) {
    const { target, field } = MONITORED_TARGETS[(k / H) | 0]!;
    const live = s.liveMae(k), expected = shared.expectedModel[k]!;
    const liveB = s.liveMae(KEYS + k), expectedB = src.expectedBaseline[k]!;
    const level = Math.max(firingRank(sc, SLOT_PH + k), firingRank(sc, SLOT_MAE + k));
    forecasts.push({
      target: target as ForecastHealth["target"],
      field: field as ForecastHealth["field"],
      horizon_h: MONITORED_HORIZONS[k % H]!,
      n_scored: s.allN[k]!,
      live_n: s.size[k]!,
      live_mae: orNull(live),
      mae_all: orNull(s.allSum[k]! / s.allN[k]!),
      expected_mae: orNull(expected),
      ratio: orNull(live / expected),
      window_full: s.size[k] === shared.window,
      baseline_n_scored: s.allN[KEYS + k]!,
      baseline_live_mae: orNull(liveB),
      baseline_mae_all: orNull(s.allSum[KEYS + k]! / s.allN[KEYS + k]!),
      baseline_expected_mae: orNull(expectedB),
      baseline_ratio: orNull(liveB / expectedB),
      page_hinkley: {
        statistic: s.ph.statistic(k),
        threshold: config.pageHinkley.lambda,
        drift: s.phDrift[k] === 1,
        n: s.ph.count(k),
        detections: s.phDetections[k]!,
        last_detection_ts: s.phDetections[k]! > 0 && s.phDetectedTs[k] !== ""
          ? s.phDetectedTs[k]!
          : null,
      },
      state: LEVEL[level]!,
    });
  }
  const inputs = {} as Record<MeasurementField, InputHealth>;
  const ref: CompiledReference = shared.reference;
  INPUT_FIELDS.forEach((field, f) => {
    const psi = s.psi[f]!, rank = firingRank(sc, SLOT_PSI + f);
    inputs[field] = {
      psi: orNull(psi),
      n: s.inputs.n[f]!,
      state: ref.has[f] === 0
        ? "no_reference"
        : rank > 0
        ? LEVEL[rank]!
        : psi === psi
        ? "ok"
        : "insufficient_data",
    };
  });
  const inputHours = s.inputs.latestHour === -Infinity
    ? 0
    : s.inputs.latestHour - s.inputs.startHour + 1;
  const firing = firingSummary(sc);
  return {
    drift: DRIFT[firing.worst]!,
    alerts_firing: firing.count,
    readings: s.readings,
    event_range: { from: s.firstTs, to: s.lastTs },
    forecasts,
    inputs,
    input_window_h: inputHours,
  };
}
