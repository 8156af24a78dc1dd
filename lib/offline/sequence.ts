/**
 * The sequence model's walk-forward: one GRU (lib/models/gru.ts) forecasts every target at every
 * horizon from the raw causal inputs — the last `lookbackH` hours of the measured columns, their
 * missing flags and the station-time hour and weekend — as the log1p change from the last
 * observed value, standardised.
 *
 * Schedule (documented in docs/forecasting.md): blocks of `fineTuneEveryH` hours aligned on the
 * anchor (the test start), like the weekly refits of the other models. At the first block the
 * network is fitted for `epochs` on the `trainWindowH` hours before it; at every later block it is
 * fine-tuned for `fineTuneEpochs` on the `trainWindowH` hours before that block. A training window
 * only holds targets whose hour is before its block starts, the standardisation uses only hours
 * before the first block, and an input window ends at its information time: no forecast sees the
 * future.
 *
 * Pure: no `Deno.*`, no I/O (the clock is injected).
 *
 * @module
 */
import { fieldOf, HOUR_MS, type HourlySeries, localHour } from "../features/mod.ts";
import { lastObserved } from "../models/mod.ts";
import { GruNetwork } from "../models/gru.ts";
import { MEASUREMENT_FIELDS, type MeasurementField } from "../records/reading.ts";
import type { SequenceSettings } from "./forecast_config.ts";

/** The measured columns the network reads (NMHC is left out: 90 % missing), in file order. */
export const SEQUENCE_FIELDS: readonly MeasurementField[] = MEASUREMENT_FIELDS.filter((f) =>
  f !== "nmhc_ug_m3"
);

/** Where the walk-forward runs. */
export interface SequenceRunOptions {
  readonly targets: readonly string[];
  readonly horizonsH: readonly number[];
  /** First and last target index (inclusive) to forecast. */
  readonly fromTarget: number;
  readonly toTarget: number;
  /** Series index where a block starts (the test start). */
  readonly anchor: number;
  readonly utcOffsetMin: number;
}

/** Forecasts by information index (`NaN` outside the run) per target and horizon, and the cost. */
export interface SequenceRun {
  readonly forecasts: Map<string, Map<number, Float64Array>>;
  /** Fits (the first) and fine-tunes. */
  readonly fits: number;
  /** Seconds spent fitting and fine-tuning, and predicting. */
  readonly fitSeconds: number;
  readonly predictSeconds: number;
  /** Mean training loss of the last epoch of each fit, in order. */
  readonly losses: number[];
}

const CALENDAR = 3;

/** Channels per hour: each field, its missing flag, and the calendar. */
export function sequenceChannels(): number {
  return SEQUENCE_FIELDS.length * 2 + CALENDAR;
}

const isTarget = (f: MeasurementField, targets: readonly string[]) =>
  targets.some((t) => fieldOf(t) === f);

/** Standardisation of each field (log1p of targets and nonnegative values) from hours < `before`. */
function scalesOf(series: HourlySeries, targets: readonly string[], before: number) {
  return SEQUENCE_FIELDS.map((f) => {
    const col = series.columns[f];
    const log = isTarget(f, targets);
    let n = 0, sum = 0, sq = 0;
    for (let i = 0; i < before; i++) {
      const v = col[i]!;
      if (v !== v) continue;
      const x = log ? Math.log1p(Math.max(0, v)) : v;
      n++;
      sum += x;
      sq += x * x;
    }
    const mean = n === 0 ? 0 : sum / n;
    const sd = n < 2 ? 1 : Math.sqrt(Math.max(sq / n - mean * mean, 1e-12));
    return { log, mean, sd };
  });
}

/** Runs the schedule of `settings` over the series; `clock` in milliseconds times fits and predictions. */
export function sequenceWalkForward(
  series: HourlySeries,
  settings: SequenceSettings,
  options: SequenceRunOptions,
  clock: () => number = () => 0,
): SequenceRun {
  const { targets, horizonsH, anchor } = options;
  const L = settings.lookbackH;
  const maxH = Math.max(...horizonsH);
  const minH = Math.min(...horizonsH);
  const n = series.length;
  const firstInfo = Math.max(L - 1, options.fromTarget - maxH);
  const lastInfo = Math.min(n - 1 - minH, options.toTarget - minH);
  const cadence = settings.fineTuneEveryH;
  const forecasts = new Map(
    targets.map((t) =>
      [t, new Map(horizonsH.map((h) => [h, new Float64Array(n).fill(NaN)]))] as const
    ),
  );
  const data = new SequenceData(series, targets, horizonsH, L, options.utcOffsetMin);
  let network: GruNetwork | null = null;
  let fits = 0, fitMs = 0, predictMs = 0;
  const losses: number[] = [];
  try {
    for (let k = Math.floor((firstInfo - anchor) / cadence);; k++) {
      const blockStart = anchor + k * cadence;
      if (blockStart > lastInfo) break;
      const from = Math.max(firstInfo, blockStart);
      const to = Math.min(lastInfo, blockStart + cadence - 1);
      if (from > to) continue;
      let t0 = clock();
      data.scaleBefore(blockStart);
      const trainInfos: number[] = [];
      for (
        let t = Math.max(L - 1, blockStart - settings.trainWindowH - minH);
        t + minH < blockStart;
        t++
      ) {
        trainInfos.push(t);
      }
      const y = data.trainingTargets(trainInfos, blockStart);
      const epochs = network === null ? settings.epochs : settings.fineTuneEpochs;
      network ??= newNetwork(settings, data.outputs);
      if (trainInfos.length > 0 && epochs > 0) {
        losses.push(network.fit(data.windowsOf(trainInfos), y, trainInfos.length, epochs));
        fits++;
      }
      fitMs += clock() - t0;
      t0 = clock();
      const infos = Array.from({ length: to - from + 1 }, (_, j) => from + j);
      const out = network.predict(data.windowsOf(infos), infos.length);
      data.writeForecasts(out, infos, options, forecasts);
      predictMs += clock() - t0;
    }
  } finally {
    network?.dispose();
  }
  return { forecasts, fits, fitSeconds: fitMs / 1000, predictSeconds: predictMs / 1000, losses };
}

/** The network of `settings` for `outputs` targets x horizons. */
function newNetwork(settings: SequenceSettings, outputs: number): GruNetwork {
  return new GruNetwork({
    lookback: settings.lookbackH,
    inputs: sequenceChannels(),
    outputs,
    units: settings.units,
    learningRate: settings.learningRate,
    batchSize: settings.batchSize,
    seed: settings.seed,
  });
}

/**
 * The series as the network sees it: standardised windows of the fields,
 * their missing flags and the calendar, and the targets as standardised
 * changes from their last observed value (the anchor). The scales are taken
 * once, from the hours before the first block.
 */
class SequenceData {
  readonly #targets: readonly string[];
  readonly #horizonsH: readonly number[];
  readonly #L: number;
  readonly #cols: ArrayLike<number>[];
  readonly #targetCols: ArrayLike<number>[];
  readonly #targetField: number[];
  readonly #hourInfo: number[][];
  readonly #series: HourlySeries;
  #scales: ReturnType<typeof scalesOf> | null = null;
  /** Targets x horizons. */
  readonly outputs: number;

  constructor(
    series: HourlySeries,
    targets: readonly string[],
    horizonsH: readonly number[],
    lookbackH: number,
    utcOffsetMin: number,
  ) {
    this.#series = series;
    this.#targets = targets;
    this.#horizonsH = horizonsH;
    this.#L = lookbackH;
    this.outputs = targets.length * horizonsH.length;
    this.#cols = SEQUENCE_FIELDS.map((f) => series.columns[f]);
    this.#targetCols = targets.map((t) => series.columns[fieldOf(t)]);
    this.#targetField = targets.map((t) => SEQUENCE_FIELDS.indexOf(fieldOf(t)));
    if (this.#targetField.some((i) => i < 0)) {
      throw new RangeError("a target is not a sequence field");
    }
    this.#hourInfo = Array.from({ length: series.length }, (_, i) => {
      const local = localHour(series.startMs + i * HOUR_MS, utcOffsetMin);
      const a = (2 * Math.PI * local.hour) / 24;
      return [Math.sin(a), Math.cos(a), local.dow >= 5 ? 1 : 0];
    });
  }

  /** Takes the scales from the hours before `blockStart`, the first time only. */
  scaleBefore(blockStart: number): void {
    if (this.#scales === null) this.#scales = scalesOf(this.#series, this.#targets, blockStart);
  }

  #z(f: number, v: number): number {
    const s = this.#scales![f]!;
    return ((s.log ? Math.log1p(Math.max(0, v)) : v) - s.mean) / s.sd;
  }

  /** The windows ending at each of `infos`: rows t-L+1..t, nothing after t. */
  windowsOf(infos: readonly number[]): Float32Array {
    const L = this.#L, F = sequenceChannels();
    const x = new Float32Array(infos.length * L * F);
    infos.forEach((t, r) => {
      for (let l = 0; l < L; l++) {
        const i = t - L + 1 + l;
        const at = (r * L + l) * F;
        this.#cols.forEach((col, f) => {
          const v = i >= 0 ? col[i]! : NaN;
          if (v === v) x[at + f] = this.#z(f, v);
          else x[at + SEQUENCE_FIELDS.length + f] = 1;
        });
        const cal = i >= 0 ? this.#hourInfo[i]! : [0, 0, 0];
        for (let c = 0; c < CALENDAR; c++) x[at + 2 * SEQUENCE_FIELDS.length + c] = cal[c]!;
      }
    });
    return x;
  }

  /** The anchor of target s at t: the last observed value up to t, standardised (0 = none). */
  #anchorOf(s: number, t: number): number {
    const v = lastObserved(this.#targetCols[s]!, t);
    return v === v ? this.#z(this.#targetField[s]!, v) : 0;
  }

  /** What a fit before `blockStart` learns at `trainInfos`: changes from the anchor (NaN: none). */
  trainingTargets(trainInfos: readonly number[], blockStart: number): Float32Array {
    const K = this.outputs, horizonsH = this.#horizonsH;
    const y = new Float32Array(trainInfos.length * K).fill(NaN);
    trainInfos.forEach((t, r) => {
      this.#targets.forEach((_, s) => {
        const a = this.#anchorOf(s, t);
        horizonsH.forEach((h, j) => {
          const tau = t + h;
          // a target at or after the block start is the future of this fit
          if (tau >= blockStart) return;
          const v = this.#targetCols[s]![tau]!;
          if (v === v) y[r * K + s * horizonsH.length + j] = this.#z(this.#targetField[s]!, v) - a;
        });
      });
    });
    return y;
  }

  /** The network's outputs at `infos` back to concentrations, into `forecasts` (in the run's targets only). */
  writeForecasts(
    out: ArrayLike<number>,
    infos: readonly number[],
    options: SequenceRunOptions,
    forecasts: Map<string, Map<number, Float64Array>>,
  ): void {
    const K = this.outputs, horizonsH = this.#horizonsH;
    infos.forEach((t, r) => {
      this.#targets.forEach((target, s) => {
        const a = this.#anchorOf(s, t);
        const sc = this.#scales![this.#targetField[s]!]!;
        horizonsH.forEach((h, j) => {
          if (t + h < options.fromTarget || t + h > options.toTarget) return;
          const zHat = out[r * K + s * horizonsH.length + j]! + a;
          forecasts.get(target)!.get(h)![t] = Math.max(0, Math.expm1(zHat * sc.sd + sc.mean));
        });
      });
    });
  }
}
