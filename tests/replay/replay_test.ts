/**
 * The replay: virtual stations, injected faults and event-time pacing, on a
 * fixed slice of the real file. Pure: no broker, no permissions.
 */
import assert from "node:assert/strict";
import { parseUciText, type UciRow } from "../../lib/dataset/mod.ts";
import {
  NO_FAULTS,
  Pacer,
  parseLocalTime,
  parseSpeed,
  replay,
  type ReplayEvent,
  virtualStations,
} from "../../lib/replay/mod.ts";

const HEAD = await Deno.readTextFile(new URL("../fixtures/uci_head.csv", import.meta.url));
const ROWS: UciRow[] = await parseUciText(HEAD);

async function collect(options: Parameters<typeof replay>[1]): Promise<ReplayEvent[]> {
  const rows = async function* () {
    yield* ROWS;
  };
  return await Array.fromAsync(replay(rows, options));
}

Deno.test(
  "station-001 is the real file, unchanged; other stations are seeded perturbations that keep missing values missing",
  { permissions: "none" },
  async () => {
    const stations = virtualStations(3, 7);
    const events = await collect({ stations, seed: 7 });
    assert.equal(events.length, ROWS.length * 3);
    const first = events.filter((e) => e.reading.station_id === "station-001");
    assert.deepEqual(first.map((e) => e.reading.measurements), ROWS.map((r) => r.measurements));
    assert.deepEqual(first.map((e) => e.reading.ts), ROWS.map((r) => r.ts));
    const other = events.filter((e) => e.reading.station_id === "station-002");
    assert.notDeepEqual(other.map((e) => e.reading.measurements), ROWS.map((r) => r.measurements));
    other.forEach((e, i) => {
      for (const [field, value] of Object.entries(ROWS[i]!.measurements)) {
        const v = e.reading.measurements[field as keyof typeof e.reading.measurements];
        assert.equal(v === null, value === null, `${field} missing stays missing`);
      }
    });
    // the same seed gives the same replay; event time never goes backwards
    assert.deepEqual(await collect({ stations, seed: 7 }), events);
    for (let i = 1; i < events.length; i++) {
      assert.ok(events[i]!.sendAtMs >= events[i - 1]!.sendAtMs);
    }
  },
);

Deno.test("faults: duplicates and late readings are extra or reordered sends, never lost ones", {
  permissions: "none",
}, async () => {
  const stations = virtualStations(2, 1);
  const faults = { ...NO_FAULTS, late: 0.2, duplicate: 0.1, outage: 0.05 };
  const events = await collect({ stations, seed: 3, faults });
  const normalAndLate = events.filter((e) => e.kind !== "duplicate");
  assert.equal(normalAndLate.length, ROWS.length * 2, "every reading sent once, late or not");
  assert.ok(events.some((e) => e.kind === "duplicate"));
  assert.ok(events.some((e) => e.kind === "late"));
  const keys = new Set(normalAndLate.map((e) => `${e.reading.station_id} ${e.reading.ts}`));
  assert.equal(keys.size, ROWS.length * 2, "no reading sent twice except the duplicates");
  assert.ok(
    events.some((e) =>
      e.reading.measurements.pt08_s1_co === null && e.reading.measurements.co_mg_m3 !== null
    ),
    "an injected outage empties the cheap sensors but not the analysers",
  );
});

Deno.test("--limit, --from/--to and --loop", { permissions: "none" }, async () => {
  const stations = virtualStations(1, 1);
  assert.equal((await collect({ stations, seed: 1, limit: 10 })).length, 10);
  const from = parseLocalTime("2004-03-11T00:00", "+01:00");
  const to = parseLocalTime("2004-03-11T12:00", "+01:00");
  const window = await collect({ stations, seed: 1, fromMs: from, toMs: to });
  assert.equal(window.length, 12);
  assert.equal(window[0]!.reading.ts, "2004-03-11T00:00:00+01:00");
  const looped = await collect({ stations, seed: 1, loop: true, limit: ROWS.length + 2 });
  assert.equal(looped.length, ROWS.length + 2);
  assert.ok(
    looped.at(-1)!.sendAtMs > looped[ROWS.length - 1]!.sendAtMs,
    "time moves on in the second pass",
  );
});

Deno.test("speed and times parse with clear errors; the pacer maps event time to wall time", {
  permissions: "none",
}, async () => {
  assert.equal(parseSpeed("max"), "max");
  assert.equal(parseSpeed("realtime"), 1);
  assert.equal(parseSpeed("3600"), 3600);
  assert.throws(() => parseSpeed("fast"), /--speed must be/);
  assert.equal(parseLocalTime("2004-03-10T18:00", "+01:00"), Date.UTC(2004, 2, 10, 17));
  assert.throws(() => parseLocalTime("2004-02-30", "+01:00"), /not a calendar date/);
  let now = 0;
  const slept: number[] = [];
  const pacer = new Pacer(3600, () => now, (ms) => {
    slept.push(ms);
    now += ms;
    return Promise.resolve();
  });
  await pacer.wait(0);
  await pacer.wait(3_600_000); // one hour of data = one second at 3600x
  await pacer.wait(7_200_000);
  assert.deepEqual(slept, [1000, 1000]);
  assert.equal(new Pacer("max", () => 0, () => Promise.resolve()).delayFor(1e12), 0);
});
