/**
 * The cluster drills' measurement and verdict without a cluster: the recovery
 * time read from sampled offsets (lib/harness/drill_recovery.ts), and the
 * stops and goals that make a drill's result fail (lib/harness/cluster_results.ts).
 * The drills themselves run in cluster_test.ts.
 */
import assert from "node:assert/strict";
import type { ChildStop } from "../../lib/records/operations.ts";
import {
  drillRecovery,
  longestBlindStretch,
  recoveryAfter,
  type Sample,
} from "../../lib/harness/drill_recovery.ts";
import { drillResult, stopOutcomes } from "../../lib/harness/cluster_results.ts";
import { psLine } from "../../lib/harness/drill_children.ts";

/** Samples where the forecaster keeps pace with the consumer; times in ms. */
const samples = (rows: [t: number, committed: number, end: number][]): Sample[] =>
  rows.map(([t, committed, end]) => ({ t, consumer: committed, forecaster: committed, end }));

Deno.test("recoveryAfter: the first commit after the fault that another follows within 5 s", () => {
  const s = samples([[0, 10, 100], [2000, 10, 100], [8000, 20, 100], [9000, 30, 100]]);
  assert.equal(recoveryAfter(s, 1000, "consumer"), 7);
});

Deno.test("recoveryAfter: a commit in flight at the fault, then a stall, does not count", () => {
  const s = samples([[0, 10, 100], [1500, 20, 100], [20000, 30, 100], [21000, 40, 100]]);
  assert.equal(recoveryAfter(s, 1000, "consumer"), 19);
});

Deno.test("recoveryAfter: a lone commit counts only when it reaches the topic's end", () => {
  assert.equal(recoveryAfter(samples([[0, 10, 100], [4200, 100, 100]]), 1000, "consumer"), 3.2);
  assert.equal(recoveryAfter(samples([[0, 10, 100], [4200, 50, 100]]), 1000, "consumer"), Infinity);
  // caught up at the fault and nothing more to do: nothing to recover from
  assert.equal(recoveryAfter(samples([[0, 100, 100], [4200, 100, 100]]), 1000, "consumer"), 0);
});

Deno.test("drillRecovery: the slower group after the worst fault, samples in any order", () => {
  const s: Sample[] = [
    { t: 9000, consumer: 40, forecaster: 40, end: 100 },
    { t: 0, consumer: 10, forecaster: 10, end: 100 },
    { t: 3000, consumer: 20, forecaster: 10, end: 100 },
    { t: 4000, consumer: 30, forecaster: 10, end: 100 },
    { t: 8000, consumer: 35, forecaster: 30, end: 100 },
  ];
  // consumer: 2 s after the fault at 1 s; forecaster: 7 s (8 s, then 9 s)
  assert.equal(drillRecovery(s, [1000]), 7);
  assert.deepEqual(s.map((x) => x.t), [0, 3000, 4000, 8000, 9000]);
  assert.equal(drillRecovery(s, []), 0);
});

Deno.test("longestBlindStretch: the longest time without a sample after the first fault", () => {
  // samples every 250 ms, then none from 8 s (fault at 8.7 s) until 39.6 s
  const s = samples([[7750, 1, 9], [8000, 2, 9], [39600, 3, 9], [39850, 4, 9], [40100, 5, 9]]);
  assert.equal(longestBlindStretch(s, [8700, 20000]), 30.9);
  // blind only before the fault: not counted; the stretch starts at the fault
  assert.equal(longestBlindStretch(samples([[0, 1, 9], [5000, 2, 9], [5250, 3, 9]]), [5100]), 0.2);
  assert.equal(longestBlindStretch(s, []), 0);
  assert.equal(longestBlindStretch([], [1000]), 0);
});

const stop = (over: Partial<ChildStop>): ChildStop => ({
  process: "consumer",
  when: "end",
  at_s: 12,
  lag_at_signal: 0,
  exit_s: 0.4,
  code: 0,
  forced: false,
  ...over,
});

Deno.test("stopOutcomes: forced exits are listed once, other codes than 0 and 143 are problems", () => {
  const out = stopOutcomes([
    stop({ forced: true, code: 143 }),
    stop({ forced: true, code: 143, when: "fault" }),
    stop({ process: "forecaster", code: 143 }),
    stop({ process: "forecaster", code: 1, at_s: 30 }),
  ]);
  assert.deepEqual(out.forcedStops, ["consumer"]);
  assert.deepEqual(out.problems, ["the forecaster exited with 1 after SIGTERM at 30 s"]);
});

Deno.test("stopOutcomes: a child the drill had to kill (137) is a problem that says so", () => {
  const out = stopOutcomes([stop({ code: 137, at_s: 41.5 })]);
  assert.deepEqual(out.forcedStops, []);
  assert.equal(out.problems.length, 1);
  assert.match(
    out.problems[0]!,
    /^the consumer had not exited 30 s after SIGTERM at 41\.5 s and was killed/,
  );
  // what ps said before the kill goes into the problem, where a failed test shows it
  const seen = stopOutcomes([stop({ code: 137, at_s: 41.5, killed_ps: "states RRR, 87 % CPU" })]);
  assert.match(seen.problems[0]!, /never ran\); ps: states RRR, 87 % CPU$/);
});

Deno.test("drillResult: every goal that did not hold is a problem, after those found before", () => {
  const result = drillResult({
    drill: "graceful-stop",
    stations: 10,
    brokers: 3,
    expected: 2000,
    producer: { sent: 1990, failed: 10 },
    counts: {
      stored: 1980,
      rawRecords: 1995,
      rawDistinct: 1990,
      forecasts: 1992,
      forecastsDistinct: 1990,
      redelivered: 250,
      duplicateSets: [{
        set_id: "s1|2004-03-10T18:00:00",
        copies: [{ partition: 1, offset: "10" }, { partition: 1, offset: "310" }],
      }],
    },
    recovery: Infinity,
    samplerMaxGap: 0,
    recoveryGoalS: 30,
    faults: [{ node_id: -1, action: "SIGTERM consumer and forecaster", at_s: 3, leaders: 0 }],
    stops: [stop({ when: "fault", exit_s: 6.5 }), stop({ process: "forecaster", when: "fault" })],
    forcedStops: [],
    problems: ["not caught up"],
    seconds: 40,
  });
  assert.equal(result.ok, false);
  assert.equal(result.duplicates, 7);
  // records the read-back was delivered twice are reported, not counted as duplicates
  assert.equal(result.read_redelivered, 250);
  assert.deepEqual(result.duplicate_sets?.[0]?.copies.map((c) => c.offset), ["10", "310"]);
  assert.equal(result.recovery_s, -1);
  assert.equal(result.stop_goal_s, 5);
  assert.deepEqual(result.problems, [
    "not caught up",
    "produced 1990 of 2000 readings",
    "the producer failed 10 sends",
    "stored 1980 readings, produced 1990",
    "7 duplicates",
    "1992 forecast sets for 1990 readings",
    "recovery took Infinity s (goal < 30 s)",
    "the consumer took 6.5 s to exit after SIGTERM",
  ]);
  const clean = drillResult({
    drill: "leader-kill",
    stations: 10,
    brokers: 3,
    expected: 2000,
    producer: { sent: 2000, failed: 0 },
    counts: {
      stored: 2000,
      rawRecords: 2000,
      rawDistinct: 2000,
      forecasts: 2000,
      forecastsDistinct: 2000,
      redelivered: 0,
      duplicateSets: [],
    },
    recovery: 4.2,
    samplerMaxGap: 1.5,
    recoveryGoalS: 30,
    faults: [],
    stops: [],
    forcedStops: [],
    problems: [],
    seconds: 40,
  });
  assert.equal(clean.ok, true);
  assert.equal(clean.recovery_s, 4.2);
  assert.equal(clean.sampler_max_gap_s, 1.5);
  assert.equal(clean.stop_goal_s, undefined);
});

Deno.test("psLine: a computing process reads as running; an exited one as gone", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "const end = Date.now() + 30000; let x = 0; while (Date.now() < end) x++;"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    // once it computes (its start-up may take a while on a loaded machine)
    let line = "";
    for (let i = 0; i < 40 && !line.startsWith("states R"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      line = await psLine(child.pid);
    }
    assert.match(line, /^states R[RS]{2}, [\d.]+ % CPU since start, \d+ MB$/);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  assert.equal(await psLine(child.pid), "gone");
});
