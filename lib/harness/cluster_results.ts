/**
 * The result of a cluster drill (lib/harness/cluster_drills.ts), once its
 * replay is over and its children stopped: the producer's summary, the
 * counts of the store, the raw topic and the forecasts topic
 * (read_committed), and every goal that did not hold as a problem, in a
 * ClusterDrillResult (checked against its schema).
 *
 * @module
 */
import { type Kafka, readAllRecords } from "../kafka/mod.ts";
import {
  type ChildStop,
  type ClusterDrillResult,
  ClusterDrillResultSchema,
} from "../records/operations.ts";
import { STOP_GRACE_MS } from "../stop.ts";
import { KILL_AFTER_MS } from "./drill_children.ts";
import { storedCount } from "./drills.ts";

/** graceful-stop's goal: each stopped process gone within this long after SIGTERM (issue 14). */
const STOP_GOAL_S = 5;

/** What the producer's last `--json` line says: readings acknowledged and sends failed. */
export interface ProducerSummary {
  sent: number;
  failed: number;
}

/** The producer's summary from its output (0 sent when it printed none). */
export function producerSummary(produced: Deno.CommandOutput): ProducerSummary {
  const p = JSON.parse(new TextDecoder().decode(produced.stdout).trim().split("\n").at(-1) ?? "{}");
  return { sent: Number(p["sent"] ?? 0), failed: Number(p["failed"] ?? 0) };
}

/** The problem of a producer that did not exit cleanly (with its stderr's end), else none. */
export function producerProblems(produced: Deno.CommandOutput): string[] {
  if (produced.success) return [];
  return [
    `the producer exited with ${produced.code}: ${
      new TextDecoder().decode(produced.stderr).slice(-600)
    }`,
  ];
}

/**
 * The processes whose stop was forced, and the stops that ended with a code
 * other than 0 or SIGTERM's 143 as problems.
 */
export function stopOutcomes(stops: readonly ChildStop[]): {
  forcedStops: string[];
  problems: string[];
} {
  const forcedStops: string[] = [];
  const problems: string[] = [];
  for (const s of stops) {
    // lib/stop.ts's bounded stop: the grace ran out (kafkajs still retrying a connection to the
    // dead broker) and the process exited with the signal's code; its work was committed or is
    // redelivered, which the counts check
    if (s.forced) {
      if (!forcedStops.includes(s.process)) forcedStops.push(s.process);
    } else if (s.code === 137) {
      problems.push(
        `the ${s.process} had not exited ${KILL_AFTER_MS / 1000} s after SIGTERM at ${s.at_s} s ` +
          `and was killed (SIGKILL; its own forced exit, ${
            STOP_GRACE_MS / 1000
          } s after the signal, never ran)${
            s.killed_ps === undefined ? "" : `; ps: ${s.killed_ps}`
          }`,
      );
    } else if (s.code !== 0 && s.code !== 143) {
      problems.push(`the ${s.process} exited with ${s.code} after SIGTERM at ${s.at_s} s`);
    }
  }
  return { forcedStops, problems };
}

/** What the store and both topics hold after the drill. */
export interface DrillCounts {
  stored: number;
  rawRecords: number;
  /** Distinct readings (station and hour) in the raw topic. */
  rawDistinct: number;
  forecasts: number;
  /** Distinct forecast sets (set_id) in the forecasts topic. */
  forecastsDistinct: number;
  /** Records the read-backs were delivered again (counted once). */
  redelivered: number;
  /** The first few forecast sets held more than once, with each copy's position. */
  duplicateSets: NonNullable<ClusterDrillResult["duplicate_sets"]>;
}

/** Counts the store at `readingsDb`, and the raw and forecasts topics up to `sent` records each. */
export async function countRecords(
  kafka: Kafka,
  readingsDb: string,
  raw: string,
  forecastsTopic: string,
  sent: number,
): Promise<DrillCounts> {
  const stored = await storedCount(readingsDb);
  const decoder = new TextDecoder();
  const rawRead = await readAllRecords(kafka, raw, sent, { timeoutMs: 120_000 });
  const rawIds = new Set(rawRead.records.map(({ value }) => {
    const r = JSON.parse(decoder.decode(value));
    return `${r.station_id}|${r.ts}`;
  }));
  const rawRecords = rawRead.records.length;
  const setRead = await readAllRecords(kafka, forecastsTopic, sent, { timeoutMs: 120_000 });
  const copies = new Map<string, { partition: number; offset: string }[]>();
  for (const { partition, offset, value } of setRead.records) {
    const id = JSON.parse(decoder.decode(value)).set_id as string;
    const at = copies.get(id);
    if (at === undefined) copies.set(id, [{ partition, offset }]);
    else at.push({ partition, offset });
  }
  const duplicateSets = [...copies].filter(([, at]) => at.length > 1).slice(0, 5)
    .map(([set_id, at]) => ({ set_id, copies: at }));
  return {
    stored,
    rawRecords,
    rawDistinct: rawIds.size,
    forecasts: setRead.records.length,
    forecastsDistinct: copies.size,
    redelivered: rawRead.redelivered + setRead.redelivered,
    duplicateSets,
  };
}

/** The goals of a drill that did not hold, beyond the producer's exit, catch-up and stops. */
function goalProblems(
  drill: ClusterDrillResult["drill"],
  producer: ProducerSummary,
  expected: number,
  counts: DrillCounts,
  recovery: number,
  recoveryGoalS: number,
  stops: readonly ChildStop[],
): string[] {
  const { sent } = producer;
  const duplicates = duplicatesOf(counts);
  const problems: string[] = [];
  if (sent !== expected) problems.push(`produced ${sent} of ${expected} readings`);
  if (producer.failed > 0) problems.push(`the producer failed ${producer.failed} sends`);
  if (counts.rawDistinct !== sent) {
    problems.push(
      `the raw topic holds ${counts.rawDistinct} distinct readings, ${sent} were acknowledged`,
    );
  }
  if (counts.stored !== sent) problems.push(`stored ${counts.stored} readings, produced ${sent}`);
  if (duplicates > 0) problems.push(`${duplicates} duplicates`);
  if (counts.forecasts !== sent) {
    problems.push(`${counts.forecasts} forecast sets for ${sent} readings`);
  }
  if (!(recovery < recoveryGoalS)) {
    problems.push(`recovery took ${recovery} s (goal < ${recoveryGoalS} s)`);
  }
  if (drill === "graceful-stop") {
    for (const s of stops.filter((x) => x.when === "fault")) {
      if (!(s.exit_s <= STOP_GOAL_S)) {
        problems.push(`the ${s.process} took ${s.exit_s} s to exit after SIGTERM`);
      }
    }
  }
  return problems;
}

/** Records in either topic beyond their distinct readings or forecast sets. */
function duplicatesOf(counts: DrillCounts): number {
  return (counts.rawRecords - counts.rawDistinct) + (counts.forecasts - counts.forecastsDistinct);
}

/** Everything a drill observed, for {@linkcode drillResult}. */
export interface DrillObservations {
  drill: ClusterDrillResult["drill"];
  stations: number;
  brokers: number;
  expected: number;
  producer: ProducerSummary;
  counts: DrillCounts;
  /** Seconds (Infinity when a group never recovered). */
  recovery: number;
  /** {@linkcode longestBlindStretch} of the sampler, seconds. */
  samplerMaxGap: number;
  recoveryGoalS: number;
  faults: ClusterDrillResult["faults"];
  stops: ChildStop[];
  forcedStops: string[];
  /** The problems found before the counts (producer exit, catch-up, stops). */
  problems: string[];
  seconds: number;
}

/** The drill's result, its problems those already found and then every goal that did not hold. */
export function drillResult(o: DrillObservations): ClusterDrillResult {
  const problems = [
    ...o.problems,
    ...goalProblems(
      o.drill,
      o.producer,
      o.expected,
      o.counts,
      o.recovery,
      o.recoveryGoalS,
      o.stops,
    ),
  ];
  return ClusterDrillResultSchema.parse({
    drill: o.drill,
    produced: o.producer.sent,
    stored: o.counts.stored,
    duplicates: duplicatesOf(o.counts),
    forecasts: o.counts.forecasts,
    expected_forecasts: o.producer.sent,
    recovery_s: Number.isFinite(o.recovery) ? o.recovery : -1,
    sampler_max_gap_s: o.samplerMaxGap,
    faults: o.faults,
    stations: o.stations,
    brokers: o.brokers,
    raw_records: o.counts.rawRecords,
    forecast_records_distinct: o.counts.forecastsDistinct,
    read_redelivered: o.counts.redelivered,
    ...(o.counts.duplicateSets.length > 0 ? { duplicate_sets: o.counts.duplicateSets } : {}),
    producer_failed: o.producer.failed,
    forced_stops: o.forcedStops,
    stops: o.stops,
    ...(o.drill === "graceful-stop" ? { stop_goal_s: STOP_GOAL_S } : {}),
    seconds: o.seconds,
    ok: problems.length === 0,
    problems,
  });
}
