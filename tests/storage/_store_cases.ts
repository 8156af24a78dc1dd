/**
 * The behaviour every ReadingStore must have, as test bodies shared by the
 * SQLite, memory and PostgreSQL tests, plus the readings, dead letters and
 * fast-check arbitraries they are built from.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import {
  CLEAN_SCHEMA_VERSION,
  type CleanReading,
  COLUMNS,
  type DeadLetter,
  MEASUREMENT_FIELDS,
  type MeasurementField,
  type Measurements,
} from "../../lib/records/mod.ts";
import type { ReadingStore, WriteBatch } from "../../lib/storage/mod.ts";

export const HOUR_MS = 3_600_000;
/** 10/03/2004 18.00.00 at the station (UTC+1), the first hour of the UCI file. */
export const T0 = Date.UTC(2004, 2, 10, 17);
/** The first data row of the UCI file. */
export const FIRST_ROW: Measurements = {
  co_mg_m3: 2.6,
  pt08_s1_co: 1360,
  nmhc_ug_m3: 150,
  c6h6_ug_m3: 11.9,
  pt08_s2_nmhc: 1046,
  nox_ppb: 166,
  pt08_s3_nox: 1056,
  no2_ug_m3: 113,
  pt08_s4_no2: 1692,
  pt08_s5_o3: 1268,
  t_c: 13.6,
  rh_pct: 48.9,
  ah: 0.7578,
};
/** Bytes that are not UTF-8: a lone continuation byte, an overlong form, 0xFF, a NUL. */
export const BAD_UTF8 = new Uint8Array([
  0x7b,
  0x80,
  0xc0,
  0xaf,
  0xff,
  0xfe,
  0x00,
  0xed,
  0xa0,
  0x80,
]);

export interface ReadingOptions {
  offset?: number;
  partition?: number;
  topic?: string;
  missing?: readonly MeasurementField[];
  co?: number;
}

/** A clean reading of `station` at hour `hour` after T0, sent from the given Kafka position. */
export function reading(station: string, hour: number, options: ReadingOptions = {}): CleanReading {
  const { offset = hour, partition = 0, topic = "airq.readings.raw", missing = [] } = options;
  const ts_utc_ms = T0 + hour * HOUR_MS;
  const measurements = { ...FIRST_ROW, co_mg_m3: options.co ?? FIRST_ROW.co_mg_m3 };
  const flags: CleanReading["flags"] = {};
  for (const f of missing) {
    measurements[f] = null;
    flags[f] = ["missing"];
  }
  return {
    schema_version: CLEAN_SCHEMA_VERSION,
    station_id: station,
    ts: `${new Date(ts_utc_ms + HOUR_MS).toISOString().slice(0, 19)}+01:00`,
    ts_utc_ms,
    measurements,
    flags,
    rejected: missing.length > 0 ? {} : { nox_ppb: 99_999 },
    status: missing.length === MEASUREMENT_FIELDS.length ? "outage" : "ok",
    source: { topic, partition, offset: String(offset) },
  };
}

export function deadLetter(
  offset: number,
  original: Uint8Array | null,
  reason = "invalid_json",
): DeadLetter {
  return {
    source: { topic: "airq.readings.raw", partition: 1, offset: String(offset) },
    key: offset % 2 === 0 ? "station-a" : null,
    reason,
    detail: `message at offset ${offset} is not JSON`,
    original,
    rejected_at: "2026-05-01T12:00:00.000Z",
  };
}

export const byTime = (a: CleanReading, b: CleanReading): number =>
  a.ts_utc_ms - b.ts_utc_ms || a.station_id.localeCompare(b.station_id);

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "airq-storage-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** One behaviour every ReadingStore must have: a title and a body run on a fresh, empty store. */
export interface StoreCase {
  title: string;
  fn: (store: ReadingStore) => Promise<void>;
}

/** The behaviour every ReadingStore must have, in the order the tests register them. */
export const STORE_CASES: readonly StoreCase[] = [];
{
  const cases = STORE_CASES as StoreCase[];
  const storeTest = (title: string, fn: StoreCase["fn"]) => cases.push({ title, fn });

  storeTest("writeBatch() twice with the same batch keeps one row per key", async (store) => {
    const batch: WriteBatch = {
      readings: [reading("a", 1), reading("b", 0), reading("a", 0)],
      deadLetters: [deadLetter(7, BAD_UTF8)],
    };
    assert.deepEqual(await store.writeBatch(batch), { inserted: 3, duplicates: 0, deadLetters: 1 });
    assert.deepEqual(await store.writeBatch(batch), { inserted: 0, duplicates: 3, deadLetters: 0 });
    const summary = await store.summary();
    assert.equal(summary.stored_readings, 3);
    assert.equal(summary.stations, 2);
    assert.equal(summary.dead_letters, 1);
    assert.deepEqual(await store.readings(), [...batch.readings].sort(byTime));
  });

  storeTest("writeBatch() counts a key repeated within one batch as a duplicate", async (store) => {
    const batch = { readings: [reading("a", 0), reading("a", 0, { offset: 9 })], deadLetters: [] };
    assert.deepEqual(await store.writeBatch(batch), { inserted: 1, duplicates: 1, deadLetters: 0 });
    assert.deepEqual(await store.readings(), [reading("a", 0, { offset: 9 })]);
  });

  storeTest(
    "writeBatch() keeps the reading from the later offset of a partition",
    async (store) => {
      const write = (r: CleanReading) => store.writeBatch({ readings: [r], deadLetters: [] });
      const stored = async () => (await store.readings())[0];
      await write(reading("a", 0, { offset: 20, co: 1 }));
      await write(reading("a", 0, { offset: 10, co: 2 })); // earlier: skipped
      await write(reading("a", 0, { offset: 20, co: 3 })); // the same message again: skipped
      assert.equal((await stored())?.measurements.co_mg_m3, 1);
      assert.equal((await store.details()).rewritten_readings, 0);
      await write(reading("a", 0, { offset: 21, co: 4 })); // later: replaces
      assert.equal((await stored())?.measurements.co_mg_m3, 4);
      await write(reading("a", 0, { offset: 5, partition: 3, co: 5 })); // other partition: replaces
      assert.deepEqual(await stored(), reading("a", 0, { offset: 5, partition: 3, co: 5 }));
      assert.equal((await store.summary()).stored_readings, 1);
      assert.equal((await store.details()).rewritten_readings, 1);
    },
  );

  storeTest("writeBatch() applies that policy within a batch of repeated keys", async (store) => {
    // 100 readings of 10 keys (more than one multi-row statement); offsets in shuffled order.
    const batch = Array.from({ length: 100 }, (_, i) => {
      const offset = (i * 37) % 100;
      return reading(`s${i % 2}`, i % 5, { offset, co: offset });
    });
    const latest = new Map<string, CleanReading>();
    for (const r of batch) {
      const key = `${r.station_id}@${r.ts_utc_ms}`;
      const seen = latest.get(key);
      if (!seen || Number(r.source.offset) > Number(seen.source.offset)) latest.set(key, r);
    }
    const result = await store.writeBatch({ readings: batch, deadLetters: [] });
    assert.deepEqual(result, { inserted: 10, duplicates: 90, deadLetters: 0 });
    assert.deepEqual(await store.readings(), [...latest.values()].sort(byTime));
  });

  storeTest("dead letters are stored once, original bytes byte for byte", async (store) => {
    const letters = [
      deadLetter(1, BAD_UTF8.slice()),
      deadLetter(2, null),
      deadLetter(3, new Uint8Array()),
    ];
    assert.equal((await store.writeBatch({ readings: [], deadLetters: letters })).deadLetters, 3);
    letters[0]?.original?.fill(0); // the store keeps its own copy
    // kafkajs hands over Buffers; they come back as plain Uint8Arrays.
    const again = [
      deadLetter(1, Buffer.from([1]), "schema"),
      deadLetter(4, Buffer.from(BAD_UTF8), "schema"),
    ];
    assert.equal((await store.writeBatch({ readings: [], deadLetters: again })).deadLetters, 1);
    const stored = await store.deadLetters();
    assert.deepEqual(stored, [
      deadLetter(4, BAD_UTF8, "schema"), // newest first
      deadLetter(3, new Uint8Array()),
      deadLetter(2, null),
      deadLetter(1, BAD_UTF8), // the first one stored at that position is kept
    ]);
    assert.deepEqual(await store.deadLetters(2), stored.slice(0, 2));
    assert.deepEqual((await store.details()).dead_letter_reasons, { invalid_json: 3, schema: 1 });
  });

  storeTest("summary() counts missing values per source column", async (store) => {
    const empty = await store.summary();
    assert.deepEqual(Object.keys(empty.missing), COLUMNS.map((c) => c.source));
    assert.deepEqual(empty, {
      stored_readings: 0,
      stations: 0,
      missing: Object.fromEntries(COLUMNS.map((c) => [c.source, 0])),
      dead_letters: 0,
    });
    await store.writeBatch({
      readings: [
        reading("a", 0, { missing: ["co_mg_m3", "nmhc_ug_m3"] }),
        reading("a", 1, { missing: ["nmhc_ug_m3"] }),
        reading("b", 1),
      ],
      deadLetters: [],
    });
    const { missing } = await store.summary();
    assert.deepEqual(missing, { ...empty.missing, "CO(GT)": 1, "NMHC(GT)": 2 });
    assert.deepEqual((await store.details()).flags, {
      "CO(GT)": { missing: 1 },
      "NMHC(GT)": { missing: 2 },
    });
  });

  storeTest("an outage reading with every value missing is stored", async (store) => {
    const outage = reading("a", 5, { missing: MEASUREMENT_FIELDS });
    assert.equal(outage.status, "outage");
    await store.writeBatch({ readings: [outage], deadLetters: [] });
    assert.deepEqual(await store.readings(), [outage]);
    assert.deepEqual(
      (await store.summary()).missing,
      Object.fromEntries(COLUMNS.map((c) => [c.source, 1])),
    );
    const details = await store.details();
    assert.deepEqual(details.status, { ok: 0, flagged: 0, outage: 1 });
    assert.equal(details.first_ts_utc_ms, outage.ts_utc_ms);
    assert.equal(details.last_ts_utc_ms, outage.ts_utc_ms);
  });

  storeTest(
    "readings() filters by station and [from_ms, to_ms), ordered by time",
    async (store) => {
      const all = [0, 1, 2, 3].flatMap((h) => [reading("b", h), reading("a", h)]);
      await store.writeBatch({ readings: all, deadLetters: [] });
      const at = (h: number) => T0 + h * HOUR_MS;
      assert.deepEqual(await store.readings(), all.toSorted(byTime));
      assert.deepEqual(await store.readings({ station_id: "b", from_ms: at(1), to_ms: at(3) }), [
        reading("b", 1),
        reading("b", 2),
      ]);
      assert.deepEqual(await store.readings({ limit: 3 }), all.toSorted(byTime).slice(0, 3));
      assert.deepEqual(await store.readings({ station_id: "zz" }), []);
      await assert.rejects(store.readings({ limit: -1 }), RangeError);
    },
  );

  storeTest("a failed batch is rolled back completely", async (store) => {
    const before = {
      readings: [reading("a", 0), reading("a", 1)],
      deadLetters: [deadLetter(1, BAD_UTF8)],
    };
    await store.writeBatch(before);
    const summary = await store.summary();
    const bogus = { ...reading("c", 0), status: "bogus" } as unknown as CleanReading;
    const badOffset = { ...reading("c", 1), source: { topic: "t", partition: 0, offset: "0x1" } };
    const cases = [
      [3, bogus, /reading 3 \(station "c" at 2004-03-10T18:00:00\+01:00\): .*status/],
      [3, badOffset, /reading 3 .*offset must be decimal digits, not "0x1"/],
      [40, bogus, /reading 40 \(station "c"/], // inside a multi-row statement
    ] as const;
    for (const [at, bad, item] of cases) {
      const good = [reading("b", 0), reading("a", 0, { offset: 99, co: 7 }), reading("b", 1)];
      const more = Array.from({ length: 60 }, (_, h) => reading("e", h));
      const readings = [...good, ...more].toSpliced(at, 0, bad);
      const batch = { readings, deadLetters: [deadLetter(2, null)] };
      await assert.rejects(store.writeBatch(batch), (e: Error) => {
        assert.match(e.message, /^Cannot write the batch to reading store .*nothing was written/);
        assert.match(e.message, item);
        return true;
      });
      assert.deepEqual(await store.summary(), summary);
      assert.deepEqual(await store.readings(), before.readings);
      assert.deepEqual(await store.deadLetters(), before.deadLetters);
    }
    const badLetter = {
      ...deadLetter(3, null),
      source: { topic: "t", partition: -1, offset: "3" },
    };
    await assert.rejects(
      store.writeBatch({ readings: [reading("d", 0)], deadLetters: [badLetter] }),
      /nothing was written.*dead letter 0 \(t\/-1@3\)/,
    );
    assert.deepEqual(await store.summary(), summary);
  });

  storeTest("a closed store rejects calls; closing twice is fine", async (store) => {
    await store.close();
    await store.close();
    await assert.rejects(store.summary(), /is closed/);
    await assert.rejects(store.writeBatch({ readings: [], deadLetters: [] }), /is closed/);
  });
}

// ---- Arbitraries for "the stores agree" --------------------------------------------------------

const value = fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null });
const arbReading = fc.record({
  station: fc.constantFrom("a", "b"),
  hour: fc.nat(3),
  partition: fc.nat(1),
  offset: fc.nat(5),
  zeros: fc.constantFrom("", "0"), // "05" is a valid offset too, stored as 5
  measurements: fc.record(Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, value]))),
  status: fc.constantFrom("ok" as const, "flagged" as const, "outage" as const),
}).map(({ station, hour, partition, offset, zeros, measurements, status }): CleanReading => {
  const r = reading(station, hour, { partition, offset });
  r.source.offset = zeros + r.source.offset;
  const flags = Object.fromEntries(
    MEASUREMENT_FIELDS.filter((f) => measurements[f] === null).map((f) => [f, ["missing"]]),
  );
  return { ...r, measurements: measurements as Measurements, flags, status };
});
const arbDeadLetter = fc.record({
  offset: fc.nat(5),
  zeros: fc.constantFrom("", "0"),
  original: fc.option(fc.uint8Array({ maxLength: 6 }), { nil: null }),
  reason: fc.constantFrom("invalid_json", "schema"),
}).map(({ offset, zeros, original, reason }) => {
  const d = deadLetter(offset, original, reason);
  return { ...d, source: { ...d.source, offset: zeros + d.source.offset } };
});
export const arbBatch = fc.record({
  readings: fc.array(arbReading, { maxLength: 80, size: "max" }), // over 32: multi-row statements
  deadLetters: fc.array(arbDeadLetter, { maxLength: 3 }),
  poisoned: fc.boolean(),
});
