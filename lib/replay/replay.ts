/**
 * The replay: UCI rows in, readings of N virtual stations out, in event-time
 * order, with optional injected faults (late and out-of-order messages,
 * duplicate sends, sensor outages, send jitter). Pure and deterministic: the
 * same rows, options and seed give the same events.
 *
 * @module
 */
import type { UciRow } from "../dataset/uci_csv.ts";
import {
  COLUMNS,
  type Measurements,
  type Reading,
  READING_SCHEMA_VERSION,
} from "../records/mod.ts";
import { mixSeed, mulberry32 } from "../random.ts";
import { perturb, type VirtualStation } from "./stations.ts";

/** Probabilities (per reading) and sizes of injected faults; all 0 = a faithful replay. */
export interface FaultOptions {
  /** Probability that a reading is held back and sent after 1 to 5 later readings of its station. */
  late: number;
  /** Probability that a reading is sent twice. */
  duplicate: number;
  /** Probability that a sensor outage (cheap sensors and weather missing for 1 to 12 h) starts. */
  outage: number;
  /** Maximum random extra send delay in wall-clock ms (only in paced replays). */
  jitterMs: number;
}

/** No faults. */
export const NO_FAULTS: FaultOptions = { late: 0, duplicate: 0, outage: 0, jitterMs: 0 };

/** Options of `replay`. */
export interface ReplayOptions {
  stations: readonly VirtualStation[];
  seed: number;
  /** Only rows at or after this instant (epoch ms). */
  fromMs?: number | undefined;
  /** Only rows before this instant (epoch ms). */
  toMs?: number | undefined;
  /** Stop after this many readings (duplicates not counted). */
  limit?: number | undefined;
  /** Start again at the end, shifting timestamps so event time keeps increasing. */
  loop?: boolean | undefined;
  faults?: FaultOptions | undefined;
}

/** One message to send. */
export interface ReplayEvent {
  reading: Reading;
  /** Simulated time at which the station sends it (event time + reporting offset). */
  sendAtMs: number;
  /** Extra wall-clock delay (jitter fault), ms. */
  jitterMs: number;
  /** What kind of send this is. */
  kind: "normal" | "late" | "duplicate";
}

const HOUR = 3_600_000;
const SENSOR_FIELDS = COLUMNS.filter((c) => c.kind !== "reference").map((c) => c.field);

/** Shifts an ISO timestamp with offset by `ms`, keeping its offset. */
export function shiftIso(ts: string, epochMs: number, ms: number): string {
  if (ms === 0) return ts;
  const offset = ts.slice(19); // "+01:00" or "Z"
  const sign = offset === "Z" ? 0 : offset.startsWith("-") ? -1 : 1;
  const offsetMs = sign === 0
    ? 0
    : sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60_000;
  const local = new Date(epochMs + ms + offsetMs).toISOString().slice(0, 19);
  return local + offset;
}

interface StationState {
  outageLeft: number;
  held: { event: ReplayEvent; releaseAfter: number }[];
}

/**
 * Yields the replay's events. `rows` is called once per pass (once, or once
 * per loop), so the file is streamed again rather than kept in memory.
 */
export async function* replay(
  rows: () => AsyncIterable<UciRow>,
  options: ReplayOptions,
): AsyncGenerator<ReplayEvent, void, undefined> {
  const faults = options.faults ?? NO_FAULTS;
  const stations = [...options.stations].sort((a, b) => a.offsetMinutes - b.offsetMinutes);
  const state = new Map<string, StationState>(
    stations.map((s) => [s.id, { outageLeft: 0, held: [] }]),
  );
  const limit = options.limit ?? Infinity;
  let emitted = 0;
  let shiftMs = 0;
  let rowIndex = 0;
  for (let pass = 0;; pass++) {
    let first: number | null = null;
    let last: number | null = null;
    for await (const row of rows()) {
      if (options.fromMs !== undefined && row.epochMs < options.fromMs) continue;
      if (options.toMs !== undefined && row.epochMs >= options.toMs) continue;
      first ??= row.epochMs;
      last = row.epochMs;
      rowIndex++;
      for (const station of stations) {
        if (emitted >= limit) break;
        const st = state.get(station.id)!;
        const random = mulberry32(mixSeed(options.seed, station.index, rowIndex, 3));
        let measurements: Measurements = perturb(row.measurements, station, rowIndex, options.seed);
        if (st.outageLeft === 0 && random() < faults.outage) {
          st.outageLeft = 1 + Math.floor(random() * 12);
        }
        if (st.outageLeft > 0) {
          st.outageLeft--;
          measurements = { ...measurements };
          for (const f of SENSOR_FIELDS) measurements[f] = null;
        }
        const epochMs = row.epochMs + shiftMs;
        const event: ReplayEvent = {
          reading: {
            schema_version: READING_SCHEMA_VERSION,
            station_id: station.id,
            ts: shiftIso(row.ts, row.epochMs, shiftMs),
            measurements,
          },
          sendAtMs: epochMs + station.offsetMinutes * 60_000,
          jitterMs: faults.jitterMs > 0 ? random() * faults.jitterMs : 0,
          kind: "normal",
        };
        emitted++;
        // release held (late) readings whose turn has come, after this one
        const due: ReplayEvent[] = [];
        for (const h of st.held) h.releaseAfter--;
        while (st.held.length > 0 && st.held[0]!.releaseAfter <= 0) {
          const h = st.held.shift()!;
          due.push({ ...h.event, sendAtMs: event.sendAtMs, kind: "late" });
        }
        if (faults.late > 0 && random() < faults.late) {
          st.held.push({ event, releaseAfter: 1 + Math.floor(random() * 5) });
        } else {
          yield event;
          if (faults.duplicate > 0 && random() < faults.duplicate) {
            yield { ...event, kind: "duplicate" };
          }
        }
        yield* due;
      }
      if (emitted >= limit) break;
    }
    if (!options.loop || emitted >= limit || first === null || last === null) break;
    shiftMs += last - first + HOUR;
  }
  // flush what is still held back: late, but never lost
  for (const station of stations) {
    for (const h of state.get(station.id)!.held) yield { ...h.event, kind: "late" };
  }
}
