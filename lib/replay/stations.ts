/**
 * Virtual stations: the UCI year replayed as N stations of a city network.
 * Station 1 is the real station, unchanged. Every other station gets, from the
 * seed alone, a fixed calibration factor per field (0.85 to 1.15), a little
 * per-reading noise (about 2 %), and a reporting offset: the minute past the
 * hour at which it sends, so stations interleave in the stream as they would
 * in a real network. Missing values stay missing; nothing is imputed.
 *
 * @module
 */
import { COLUMNS, type MeasurementField, type Measurements } from "../records/mod.ts";
import { mixSeed, mulberry32 } from "../random.ts";

/** One virtual station. */
export interface VirtualStation {
  /** 0-based index; 0 is the real station. */
  readonly index: number;
  /** Station id, also the Kafka message key, e.g. `station-001`. */
  readonly id: string;
  /** Minutes past the hour at which this station reports (0 for the real one). */
  readonly offsetMinutes: number;
  /** Calibration factor per field (1 for the real station). */
  readonly factors: Readonly<Record<MeasurementField, number>>;
}

/** Decimal places the UCI file uses per field, so perturbed values look like real ones. */
const DECIMALS: Record<MeasurementField, number> = {
  co_mg_m3: 1,
  pt08_s1_co: 0,
  nmhc_ug_m3: 0,
  c6h6_ug_m3: 1,
  pt08_s2_nmhc: 0,
  nox_ppb: 0,
  pt08_s3_nox: 0,
  no2_ug_m3: 0,
  pt08_s4_no2: 0,
  pt08_s5_o3: 0,
  t_c: 1,
  rh_pct: 1,
  ah: 4,
};

/** The id of station `index` (0-based): `station-001`, `station-002`, … */
export function stationId(index: number): string {
  return `station-${String(index + 1).padStart(3, "0")}`;
}

/** Builds `count` virtual stations from a seed. */
export function virtualStations(count: number, seed: number): VirtualStation[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`station count must be a positive integer, got ${count}`);
  }
  return Array.from({ length: count }, (_, index) => {
    const random = mulberry32(mixSeed(seed, index, 1));
    const factors = Object.fromEntries(
      COLUMNS.map((c) => [c.field, index === 0 ? 1 : 0.85 + 0.3 * random()]),
    ) as Record<MeasurementField, number>;
    const offsetMinutes = index === 0 ? 0 : Math.floor(random() * 60);
    return { index, id: stationId(index), offsetMinutes, factors };
  });
}

/**
 * The measurements station `station` reports for row `row`: the real values
 * scaled by its factors, with seeded noise, rounded to the file's precision.
 * Temperature is shifted rather than scaled (it can be negative).
 */
export function perturb(
  measurements: Measurements,
  station: VirtualStation,
  row: number,
  seed: number,
): Measurements {
  if (station.index === 0) return measurements;
  const random = mulberry32(mixSeed(seed, station.index, row, 2));
  const out = {} as Measurements;
  for (const { field } of COLUMNS) {
    const value = measurements[field];
    const noise = (random() + random() + random() - 1.5) * 0.04; // ~N(0, 0.02)
    if (value === null) {
      out[field] = null;
      continue;
    }
    const p = 10 ** DECIMALS[field];
    let v: number;
    if (field === "t_c") v = value + (station.factors[field] - 1) * 10 + noise * 10;
    else if (field === "rh_pct") {
      v = Math.min(100, Math.max(0, value * (station.factors[field] + noise)));
    } else v = Math.max(0, value * (station.factors[field] + noise));
    out[field] = Math.round(v * p) / p;
  }
  return out;
}
