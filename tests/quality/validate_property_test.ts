import assert from "node:assert/strict";
import fc from "fast-check";
import { parseTimestamp, validateMessage } from "../../lib/quality/mod.ts";
import {
  CleanReadingSchema,
  MEASUREMENT_FIELDS,
  type MeasurementField,
  type Reading,
  ReadingSchema,
} from "../../lib/records/mod.ts";
import { context, encode, RULES } from "./_helpers.ts";

const pure = { permissions: "none" } as const;
const HOUR_MS = 3_600_000;

const station = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);

/** A whole local hour between 1991 and 2024 with an offset in quarter hours (-12:00..+14:00). */
const timestamp = fc.record({
  hour: fc.integer({ min: 183_000, max: 482_000 }), // hours since the epoch, 1990-11 .. 2024-12
  offsetQ: fc.integer({ min: -48, max: 56 }),
  millis: fc.boolean(),
}).map(({ hour, offsetQ, millis }) => {
  const localMs = hour * HOUR_MS;
  const abs = Math.abs(offsetQ) * 15;
  const offset = offsetQ === 0 && hour % 2 === 0
    ? "Z"
    : `${offsetQ < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${
      String(abs % 60).padStart(2, "0")
    }`;
  const local = new Date(localMs).toISOString().slice(0, millis ? 23 : 19);
  return { ts: local + offset, utcMs: localMs - offsetQ * 15 * 60_000 };
});

const noNegZero = (x: number) => (Object.is(x, -0) ? 0 : x);

/** A value inside the field's physical bounds, or null. */
function plausible(i: number): fc.Arbitrary<number | null> {
  const min = RULES.physicalMin[i]!, max = RULES.physicalMax[i]!;
  return fc.option(fc.double({ min, max, noNaN: true }).map(noNegZero), { freq: 5 });
}

const plausibleMeasurements = fc.record(
  Object.fromEntries(MEASUREMENT_FIELDS.map((f, i) => [f, plausible(i)])) as Record<
    MeasurementField,
    fc.Arbitrary<number | null>
  >,
);

const anyMeasurements = fc.record(
  Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [
    f,
    fc.option(
      fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true }).map(noNegZero),
        fc.constant(-200),
        fc.integer({ min: -300, max: 6000 }),
      ),
      { freq: 5 },
    ),
  ])) as Record<MeasurementField, fc.Arbitrary<number | null>>,
);

const validReading = fc.record({ station, t: timestamp, measurements: plausibleMeasurements })
  .map(({ station, t, measurements }): [Reading, number] => [
    { schema_version: 1, station_id: station, ts: t.ts, measurements },
    t.utcMs,
  ]);

Deno.test("validate(encode(r)) round-trips the measurements of any plausible reading", pure, () => {
  fc.assert(
    fc.property(validReading, ([reading, utcMs]) => {
      const result = validateMessage(encode(reading), context({ key: reading.station_id }), RULES);
      if (!result.ok) assert.fail(`${result.deadLetter.reason}: ${result.deadLetter.detail}`);
      CleanReadingSchema.parse(result.reading);
      assert.deepEqual(result.reading.measurements, { ...reading.measurements });
      assert.equal(result.reading.ts, reading.ts);
      assert.equal(result.reading.ts_utc_ms, utcMs);
      assert.equal(result.reading.ts_utc_ms, Date.parse(reading.ts));
      assert.deepEqual(result.reading.rejected, {});
    }),
    { numRuns: 2000 },
  );
});

Deno.test("validate() keeps, flags or removes every value, and says which", pure, () => {
  fc.assert(
    fc.property(station, anyMeasurements, (id, measurements) => {
      const reading = {
        schema_version: 1,
        station_id: id,
        ts: "2004-03-10T18:00:00+01:00",
        measurements,
      };
      const result = validateMessage(encode(reading), context({ key: id }), RULES);
      if (!result.ok) assert.fail(`${result.deadLetter.reason}: ${result.deadLetter.detail}`);
      const { measurements: out, flags, rejected, status } = result.reading;
      let present = 0;
      MEASUREMENT_FIELDS.forEach((f, i) => {
        const v = measurements[f], got = out[f], fl = flags[f] ?? [];
        if (got !== null) present++;
        if (v === null || v === -200) {
          assert.equal(got, null);
          assert.equal(fl[0], "missing");
          assert.equal(fl.includes("sentinel"), v === -200);
        } else if (v < RULES.physicalMin[i]! || v > RULES.physicalMax[i]!) {
          assert.ok(fl.includes("implausible"));
          assert.equal(got, RULES.physicalReject[i] === 1 ? null : v);
          assert.equal(rejected[f], RULES.physicalReject[i] === 1 ? v : undefined);
        } else {
          assert.equal(got, v);
          assert.equal(
            fl.includes("atypical"),
            v < RULES.typicalMin[i]! || v > RULES.typicalMax[i]!,
          );
        }
      });
      const onlyMissing = Object.values(flags).every((fl) => fl?.every((x) => x === "missing"));
      assert.equal(status, present === 0 ? "outage" : onlyMissing ? "ok" : "flagged");
    }),
    { numRuns: 2000 },
  );
});

/** Mutations that break the reading schema; each must be refused with `schema`. */
const mutation = fc.oneof(
  fc.constantFrom("station_id", "ts", "measurements").map((key) => (r: Record<string, unknown>) => {
    delete r[key];
  }),
  fc.constantFrom(...MEASUREMENT_FIELDS).map((f) => (r: Record<string, unknown>) => {
    delete (r.measurements as Record<string, unknown>)[f];
  }),
  fc.tuple(
    fc.constantFrom(...MEASUREMENT_FIELDS),
    fc.oneof(fc.string(), fc.boolean(), fc.constant({}), fc.constant([1])),
  ).map(([f, v]) => (r: Record<string, unknown>) => {
    (r.measurements as Record<string, unknown>)[f] = v;
  }),
  fc.string({ minLength: 1 }).filter((k) =>
    !["station_id", "ts", "measurements", "schema_version", "produced_at", "__proto__"].includes(k)
  )
    .map((k) => (r: Record<string, unknown>) => {
      r[k] = 1;
    }),
  fc.string().filter((s) => !ReadingSchema.shape.ts.safeParse(s).success).map(
    (s) => (r: Record<string, unknown>) => {
      r.ts = s;
    },
  ),
  fc.string().filter((s) => !ReadingSchema.shape.station_id.safeParse(s).success).map(
    (s) => (r: Record<string, unknown>) => {
      r.station_id = s;
    },
  ),
);

Deno.test("validate() and ReadingSchema both refuse any schema-breaking mutation", pure, () => {
  fc.assert(
    fc.property(validReading, mutation, ([reading], mutate) => {
      const broken = structuredClone(reading) as unknown as Record<string, unknown>;
      mutate(broken);
      assert.equal(ReadingSchema.safeParse(broken).success, false);
      const result = validateMessage(encode(broken), context({ key: reading.station_id }), RULES);
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.deadLetter.reason, "schema", result.deadLetter.detail);
    }),
    { numRuns: 2000 },
  );
});

Deno.test(
  "parseTimestamp() agrees with Date.parse on any valid ISO time with an offset",
  pure,
  () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("0100-01-01T00:00:00Z"),
          max: new Date("9999-12-31T00:00:00Z"),
          noInvalidDate: true,
        }),
        fc.integer({ min: -56, max: 56 }),
        (date, offsetQ) => {
          const abs = Math.abs(offsetQ) * 15;
          const offset = `${offsetQ < 0 ? "-" : "+"}${
            String(Math.floor(abs / 60)).padStart(2, "0")
          }:${String(abs % 60).padStart(2, "0")}`;
          const ts = date.toISOString().slice(0, 23) + offset;
          assert.equal(parseTimestamp(ts)?.epochMs, Date.parse(ts));
        },
      ),
      { numRuns: 5000 },
    );
    assert.equal(
      parseTimestamp("0050-06-01T00:00:00Z")?.epochMs,
      Date.parse("0050-06-01T00:00:00Z"),
    );
  },
);
