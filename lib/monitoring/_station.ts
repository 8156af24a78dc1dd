/**
 * One station's forecast bookkeeping in typed arrays: the forecasts waiting
 * for their target hour, the readings' actual values of recent hours, the
 * rolling and all-time absolute errors per (target, horizon) for model and
 * baseline forecasts apart, and the Page-Hinkley tests on the model's errors.
 *
 * The buffer is a ring of `R` hours (a power of two at least `bufferHours`)
 * indexed by target hour. A forecast and the reading of its target hour meet
 * in whichever order they arrive, as long as they are less than `R` hours of
 * target time apart; each (hour, key) is scored at most once, so redelivered
 * forecasts and readings are not counted twice.
 *
 * Not the window of lib/hour_ring.ts: forecasts arrive up to a day ahead of
 * the readings of their target hours, so a slot goes to the newer target hour
 * rather than to a window ending at the latest hour seen.
 *
 * @module
 */
import type { CleanReading } from "../records/clean.ts";
import type { Scope } from "../alerts/mod.ts";
import { type CompiledReference, InputWindow } from "./_inputs.ts";
import { PageHinkley } from "./page_hinkley.ts";
import { INPUT_FIELDS, KEYS, MONITORED_HORIZONS, MONITORED_TARGETS } from "./targets.ts";

const K = KEYS;
const TG = MONITORED_TARGETS.length;
const H = MONITORED_HORIZONS.length;
const PENDING = 1, DONE = 2;

/** Indices of the monitor's counters. */
export const C = {
  readings: 0,
  forecasts: 1,
  withoutValue: 2,
  ignored: 3,
  stale: 4,
  duplicate: 5,
  expired: 6,
  scoredModel: 7,
  scoredBaseline: 8,
  missingActual: 9,
  detections: 10,
  alerts: 11,
  lateReadings: 12,
} as const;

/** Settings and state every station shares (owned by the monitor). */
export interface Shared {
  /** Forecasts per rolling window. */
  readonly window: number;
  /** Hours in the forecast ring (a power of two). */
  readonly ring: number;
  /** Offline MAE of the model per key; NaN unknown. */
  readonly expectedModel: Float64Array;
  readonly ph: { delta: number; lambda: number; minScored: number };
  readonly clip: number;
  readonly resolveAfter: number;
  readonly counts: Float64Array;
  readonly reference: CompiledReference;
  readonly psiWindowH: number;
}

/** Slots of a station's episodes: Page-Hinkley per key, MAE ratio per key, PSI per input field. */
export const SLOT_PH = 0, SLOT_MAE = K, SLOT_PSI = 2 * K;

const RANK = { info: 0, warning: 1, critical: 2 } as const;

/** Severity rank (0 none, 1 warning, 2 critical) of a slot's episode if it is firing. */
export function firingRank(scope: Scope, slot: number): number {
  const e = scope.episodes[slot];
  return e?.firing === true ? RANK[e.severity] : 0;
}

/** Episodes firing in a scope, and the highest rank among them. */
export function firingSummary(scope: Scope): { count: number; worst: number } {
  let count = 0, worst = 0;
  for (const e of scope.episodes) {
    if (e?.firing !== true) continue;
    count++;
    worst = Math.max(worst, RANK[e.severity]);
  }
  return { count, worst };
}

/** Everything the monitor keeps about one station. */
export class StationState {
  readonly id: string;
  readonly #s: Shared;
  readonly #mask: number;
  // forecast ring, per hour slot and key
  readonly #slotHour: Float64Array;
  readonly #slotTs: string[];
  readonly #value: Float64Array;
  readonly #state: Uint8Array;
  readonly #baseline: Uint8Array;
  readonly #actualKnown: Uint8Array;
  readonly #actual: Float64Array;
  // absolute errors, per window j = baseline * K + key
  readonly err: Float64Array;
  readonly errHour: Int32Array;
  readonly next: Int32Array = new Int32Array(2 * K);
  readonly size: Int32Array = new Int32Array(2 * K);
  readonly sum: Float64Array = new Float64Array(2 * K);
  readonly allSum: Float64Array = new Float64Array(2 * K);
  readonly allN: Float64Array = new Float64Array(2 * K);
  // Page-Hinkley on the model's normalized absolute errors, per key
  readonly ph: PageHinkley;
  readonly phDrift: Uint8Array = new Uint8Array(K);
  readonly phSince: Int32Array = new Int32Array(K);
  readonly phDetections: Int32Array = new Int32Array(K);
  readonly phRunStart: Int32Array = new Int32Array(K);
  readonly phDetectedRunStart: Int32Array = new Int32Array(K);
  readonly phDetectedHour: Int32Array = new Int32Array(K);
  readonly phDetectedTs: string[] = new Array<string>(K).fill("");
  // inputs, alerts, event range
  readonly inputs: InputWindow;
  readonly psi: Float64Array = new Float64Array(INPUT_FIELDS.length).fill(NaN);
  /** This station's drift episodes in the monitor's alert book, by slot (`SLOT_*`). */
  readonly scope: Scope;
  readings = 0;
  firstMs = Infinity;
  firstTs: string | null = null;
  lastMs = -Infinity;
  lastTs: string | null = null;

  constructor(id: string, shared: Shared, scope: Scope) {
    this.id = id;
    this.scope = scope;
    this.#s = shared;
    const r = shared.ring;
    this.#mask = r - 1;
    this.#slotHour = new Float64Array(r).fill(NaN);
    this.#slotTs = new Array<string>(r).fill("");
    this.#value = new Float64Array(r * K);
    this.#state = new Uint8Array(r * K);
    this.#baseline = new Uint8Array(r * K);
    this.#actualKnown = new Uint8Array(r);
    this.#actual = new Float64Array(r * TG);
    this.err = new Float64Array(2 * K * shared.window);
    this.errHour = new Int32Array(2 * K * shared.window);
    this.ph = new PageHinkley(K, shared.ph);
    this.inputs = new InputWindow(shared.psiWindowH, shared.reference);
  }

  /** Files one forecast of key `k` for target hour `hour`; scores it if its reading is known. */
  addForecast(hour: number, k: number, value: number, baseline: boolean): void {
    const slot = hour & this.#mask;
    if (this.#slotHour[slot] !== hour && !this.#claim(slot, hour)) {
      this.#s.counts[C.stale]!++;
      return;
    }
    const i = slot * K + k;
    const state = this.#state[i];
    if (state === DONE) {
      this.#s.counts[C.duplicate]!++;
      return;
    }
    if (state === PENDING) this.#s.counts[C.duplicate]!++;
    this.#value[i] = value;
    this.#baseline[i] = baseline ? 1 : 0;
    if (this.#actualKnown[slot]) this.#score(slot, k, hour);
    else this.#state[i] = PENDING;
  }

  /** Records a reading's actual values for hour `hour` and scores the forecasts waiting for it. */
  observeActuals(hour: number, reading: CleanReading): void {
    const slot = hour & this.#mask;
    if (this.#slotHour[slot] !== hour && !this.#claim(slot, hour)) {
      this.#s.counts[C.lateReadings]!++;
      return;
    }
    const m = reading.measurements;
    const base = slot * TG;
    for (let t = 0; t < TG; t++) {
      const v = m[MONITORED_TARGETS[t]!.field];
      this.#actual[base + t] = v === null ? NaN : v;
    }
    this.#actualKnown[slot] = 1;
    this.#slotTs[slot] = reading.ts;
    for (let k = 0; k < K; k++) {
      if (this.#state[slot * K + k] === PENDING) this.#score(slot, k, hour);
    }
  }

  /** Live MAE of window `j` (rolling), NaN when empty. */
  liveMae(j: number): number {
    const n = this.size[j]!;
    return n === 0 ? NaN : this.sum[j]! / n;
  }

  /** First and last target hour in window `j`. */
  windowHours(j: number): { start: number; end: number } {
    const w = this.#s.window, base = j * w, n = this.size[j]!;
    let start = Infinity, end = -Infinity;
    for (let p = 0; p < n; p++) {
      const h = this.errHour[base + p]!;
      if (h < start) start = h;
      if (h > end) end = h;
    }
    return { start, end };
  }

  /** Takes slot `slot` for `hour` unless it holds a later hour; forecasts never scored expire. */
  #claim(slot: number, hour: number): boolean {
    if (this.#slotHour[slot]! > hour) return false;
    const base = slot * K;
    for (let k = 0; k < K; k++) {
      if (this.#state[base + k] === PENDING) this.#s.counts[C.expired]!++;
      this.#state[base + k] = 0;
    }
    this.#actualKnown[slot] = 0;
    this.#slotHour[slot] = hour;
    this.#slotTs[slot] = "";
    return true;
  }

  #score(slot: number, k: number, hour: number): void {
    const i = slot * K + k;
    this.#state[i] = DONE;
    const actual = this.#actual[slot * TG + ((k / H) | 0)]!;
    const counts = this.#s.counts;
    if (actual !== actual) {
      counts[C.missingActual]!++;
      return;
    }
    const e = Math.abs(this.#value[i]! - actual);
    const baseline = this.#baseline[i]!;
    const j = baseline * K + k;
    const w = this.#s.window, base = j * w;
    let p = this.next[j]!;
    if (this.size[j] === w) this.sum[j]! -= this.err[base + p]!;
    else this.size[j]!++;
    this.err[base + p] = e;
    this.errHour[base + p] = hour;
    this.sum[j]! += e;
    if (++p === w) {
      p = 0;
      let exact = 0; // re-add once per lap so rounding cannot accumulate
      for (let q = 0; q < w; q++) exact += this.err[base + q]!;
      this.sum[j] = exact;
    }
    this.next[j] = p;
    this.allSum[j]! += e;
    this.allN[j]!++;
    if (baseline) {
      counts[C.scoredBaseline]!++;
      return;
    }
    counts[C.scoredModel]!++;
    this.#pageHinkley(k, e, hour, this.#slotTs[slot]!);
  }

  /** The model's absolute error `e` in units of the offline MAE (else the live all-time MAE), clipped. */
  #pageHinkley(k: number, e: number, hour: number, ts: string): void {
    const s = this.#s;
    const expected = s.expectedModel[k]!;
    const scale = expected > 0 ? expected : this.allSum[k]! / this.allN[k]!;
    if (!(scale > 0)) return;
    const ph = this.ph;
    if (ph.count(k) === 0) this.phRunStart[k] = hour;
    if (this.phDrift[k] && ++this.phSince[k]! >= s.resolveAfter) this.phDrift[k] = 0;
    const x = Math.min(e / scale, s.clip);
    if (!ph.update(k, x)) return;
    s.counts[C.detections]!++;
    this.phDetections[k]!++;
    this.phDrift[k] = 1;
    this.phSince[k] = 0;
    this.phDetectedRunStart[k] = this.phRunStart[k]!;
    this.phDetectedHour[k] = hour;
    this.phDetectedTs[k] = ts;
  }
}
