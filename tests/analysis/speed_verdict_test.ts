/**
 * The final report's verdict on the speed goals names the goals the runs
 * miss, and only those (it said "the goals are not met" whatever the runs gave).
 */
import assert from "node:assert/strict";
import { speedVerdict } from "../../lib/reports/final_inputs.ts";

type Ingest = Parameters<typeof speedVerdict>[0];
type Realtime = Parameters<typeof speedVerdict>[1];
const ingest = (readings_per_s: number) => ({ readings_per_s }) as unknown as Ingest;
const realtime = (readings_per_s: number, latency_ms_p99: number) =>
  ({ readings_per_s, latency_ms_p99 }) as unknown as Realtime;

const MACHINE = "not met on this 2-core machine";

Deno.test("speedVerdict() names the missed goals, and says so when none is", () => {
  const cases: [Ingest | null, Realtime | null, string][] = [
    [
      ingest(50_021),
      realtime(3_793, 77),
      `the forecasting throughput and latency goals are ${MACHINE}`,
    ],
    [
      ingest(44_814),
      realtime(3_683, 115),
      `the ingest, forecasting throughput and latency goals are ${MACHINE}`,
    ],
    [ingest(49_999), realtime(20_000, 25), `the ingest goal is ${MACHINE}`],
    [ingest(50_000), realtime(20_000, 25), "the measured speed goals are met"],
    // a run that is not there misses nothing; a latency that is not a number misses its goal
    [null, null, "the measured speed goals are met"],
    [null, realtime(25_000, NaN), `the latency goal is ${MACHINE}`],
  ];
  for (const [b, r, expected] of cases) assert.equal(speedVerdict(b, r), expected);
});
