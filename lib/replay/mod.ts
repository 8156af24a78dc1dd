/**
 * Replaying the UCI file as a stream of readings from N virtual stations, in
 * event-time order, at a chosen speed, with optional injected faults.
 *
 * @module
 */
export { mixSeed, mulberry32 } from "../random.ts";
export { Pacer, parseLocalTime, parseSpeed, type Speed } from "./pacer.ts";
export {
  type FaultOptions,
  NO_FAULTS,
  replay,
  type ReplayEvent,
  type ReplayOptions,
  shiftIso,
} from "./replay.ts";
export { perturb, stationId, type VirtualStation, virtualStations } from "./stations.ts";
