/**
 * Per-station rolling window of the input fields, binned by the training
 * reference, and their PSI. One slot per hour of event time in a ring of
 * `windowH` slots (lib/hour_ring.ts), like the data-quality window: a
 * redelivered hour replaces itself, a late hour inside the window fills its
 * slot, an hour older than the window is left out. O(fields) per reading.
 *
 * @module
 */
import { HourRing } from "../hour_ring.ts";
import type { Measurements } from "../records/reading.ts";
import type { InputReference } from "./reference.ts";
import { INPUT_FIELDS } from "./targets.ts";

const F = INPUT_FIELDS.length;
const NONE = 255;

/** The reference in flat arrays: per field its inner edges and floored proportions. */
export class CompiledReference {
  /** Bins per field at most. */
  readonly bins: number;
  /** Per field: 1 when it has bins. */
  readonly has: Uint8Array = new Uint8Array(F);
  /** Per field: inner edges in use. */
  readonly edgeCount: Uint8Array = new Uint8Array(F);
  /** Field `f`'s edges from `f * (bins - 1)`. */
  readonly edges: Float64Array;
  /** Field `f`'s proportions (floored at epsilon) from `f * bins`. */
  readonly expected: Float64Array;
  /** Their logarithms. */
  readonly lnExpected: Float64Array;
  readonly epsilon: number;

  constructor(reference: InputReference | null, epsilon: number) {
    this.epsilon = epsilon;
    let bins = 2;
    for (const f of INPUT_FIELDS) {
      bins = Math.max(bins, reference?.fields[f].proportions.length ?? 0);
    }
    if (bins > NONE) throw new RangeError(`At most ${NONE} bins per field; got ${bins}`);
    this.bins = bins;
    this.edges = new Float64Array(F * (bins - 1));
    this.expected = new Float64Array(F * bins);
    this.lnExpected = new Float64Array(F * bins);
    INPUT_FIELDS.forEach((field, f) => {
      const r = reference?.fields[field];
      if (r === undefined || r.proportions.length === 0) return;
      this.has[f] = 1;
      this.edgeCount[f] = r.edges.length;
      this.edges.set(r.edges, f * (bins - 1));
      r.proportions.forEach((p, b) => {
        this.expected[f * bins + b] = Math.max(p, epsilon);
        this.lnExpected[f * bins + b] = Math.log(Math.max(p, epsilon));
      });
    });
  }

  /** Bin of value `x` of field `f`. */
  bin(f: number, x: number): number {
    const from = f * (this.bins - 1), count = this.edgeCount[f]!;
    let b = 0;
    while (b < count && x > this.edges[from + b]!) b++;
    return b;
  }
}

/** One station's window of binned inputs. */
export class InputWindow {
  readonly hours: number;
  /** Per field and bin: values in the window. */
  readonly counts: Int32Array;
  /** Per field: values in the window. */
  readonly n: Int32Array = new Int32Array(F);
  /** Readings older than the window, left out. */
  tooLate = 0;
  readonly #ref: CompiledReference;
  readonly #ring: HourRing;
  readonly #slotBin: Uint8Array;

  constructor(hours: number, reference: CompiledReference) {
    this.hours = hours;
    this.#ref = reference;
    this.counts = new Int32Array(F * reference.bins);
    this.#ring = new HourRing(hours, (slot) => this.#clear(slot));
    this.#slotBin = new Uint8Array(hours * F).fill(NONE);
  }

  /** Latest hour seen (hours since the epoch), or -Infinity. */
  get latestHour(): number {
    return this.#ring.latestHour;
  }

  /** Earliest hour seen. */
  get firstHour(): number {
    return this.#ring.firstHour;
  }

  /** First hour the window covers (not before the first reading). */
  get startHour(): number {
    return this.#ring.startHour;
  }

  /** Adds the reading of hour `hour`; false when it is older than the window. */
  observe(hour: number, m: Measurements): boolean {
    if (this.#ring.place(hour) === "too_late") {
      this.tooLate++;
      return false;
    }
    const slot = this.#ring.take(hour);
    const ref = this.#ref, bins = ref.bins, base = slot * F;
    for (let f = 0; f < F; f++) {
      const v = m[INPUT_FIELDS[f]!];
      if (v === null || ref.has[f] === 0) continue;
      const b = ref.bin(f, v);
      this.#slotBin[base + f] = b;
      this.counts[f * bins + b]!++;
      this.n[f]!++;
    }
    return true;
  }

  /** PSI of field `f` against the reference; NaN without a reference or below `minValues`. */
  psi(f: number, minValues: number): number {
    const ref = this.#ref, n = this.n[f]!;
    if (ref.has[f] === 0 || n < minValues || n === 0) return NaN;
    const bins = ref.edgeCount[f]! + 1, base = f * ref.bins, eps = ref.epsilon;
    let psi = 0;
    for (let b = 0; b < bins; b++) {
      const c = this.counts[base + b]!;
      const a = c === 0 ? eps : Math.max(c / n, eps);
      psi += (a - ref.expected[base + b]!) * (Math.log(a) - ref.lnExpected[base + b]!);
    }
    return psi;
  }

  /** Takes the values held in `slot` out of the counts (called by the ring). */
  #clear(slot: number): void {
    const bins = this.#ref.bins, base = slot * F;
    for (let f = 0; f < F; f++) {
      const b = this.#slotBin[base + f]!;
      if (b === NONE) continue;
      this.counts[f * bins + b]!--;
      this.n[f]!--;
      this.#slotBin[base + f] = NONE;
    }
  }
}
