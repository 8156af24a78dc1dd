import assert from "node:assert/strict";
import fc from "fast-check";
import { describeIssues, parseTimestamp, validateMessage } from "../../lib/quality/mod.ts";
import {
  CleanReadingSchema,
  matchesReadingShape,
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

/**
 * Edits of a reading (with or without `produced_at`) that may or may not keep it
 * valid: near misses of every rule of ReadingSchema, and any JSON in any place.
 */
const edit = fc.oneof(
  mutation,
  fc.constantFrom("schema_version", "produced_at").map((key) => (r: Record<string, unknown>) => {
    delete r[key];
  }),
  fc.tuple(
    fc.constantFrom("schema_version", "station_id", "ts", "measurements", "produced_at", "x"),
    fc.jsonValue(),
  ).map(([key, v]) => (r: Record<string, unknown>) => {
    r[key] = v;
  }),
  fc.tuple(fc.constantFrom(...MEASUREMENT_FIELDS, "x", "toString"), fc.jsonValue()).map(
    ([f, v]) => (r: Record<string, unknown>) => {
      (r.measurements as Record<string, unknown>)[f] = v;
    },
  ),
  fc.tuple(fc.constantFrom(...MEASUREMENT_FIELDS), fc.double()).map(
    ([f, v]) => (r: Record<string, unknown>) => {
      (r.measurements as Record<string, unknown>)[f] = v; // NaN and ±Infinity become null in JSON
    },
  ),
  fc.oneof(
    fc.string({ minLength: 60, maxLength: 70, unit: fc.constantFrom("a", "Z", "0", ".", "_") }),
    fc.string({ unit: "binary" }),
    fc.constantFrom("", "-", "a b", "é", "a\n"),
  ).map((id) => (r: Record<string, unknown>) => {
    r.station_id = id;
  }),
  fc.tuple(
    fc.constantFrom("ts", "produced_at"),
    fc.oneof(
      fc.constantFrom(
        "2004-03-10T18:00:00Z",
        "2004-03-10T18:00:00.1+01:00",
        "2004-03-10T18:00:00.1234+01:00",
        "2004-03-10 18:00:00+01:00",
        "2004-03-10T18:00:00+0100",
        "2004-03-10T18:00:00",
        "2004-03-10T18:00:00+01:00\n",
        "99999-03-10T18:00:00Z",
      ),
      fc.string(),
    ),
  ).map(([key, ts]) => (r: Record<string, unknown>) => {
    r[key] = ts;
  }),
);

/** A reading's JSON after 0 to 3 edits, sometimes with an own `__proto__` key spliced in. */
const editedText = fc.tuple(
  validReading,
  fc.option(fc.date({ noInvalidDate: true }), { nil: undefined }),
  fc.array(edit, { maxLength: 3 }),
  fc.constantFrom(0, 0, 0, 1, 2),
).map(([[reading], producedAt, edits, proto]) => {
  const r = structuredClone(reading) as unknown as Record<string, unknown>;
  if (producedAt !== undefined) r.produced_at = producedAt.toISOString();
  for (const e of edits) if (typeof r.measurements === "object" && r.measurements !== null) e(r);
  const text = JSON.stringify(r);
  if (proto === 1) return splice(text, "{", '"__proto__":{"x":1}');
  if (proto === 2) return splice(text, '"measurements":{', '"__proto__":null');
  return text;
});

/** `text` with `member` added first to the JSON object that opens at the first `open`. */
function splice(text: string, open: string, member: string): string {
  const at = text.indexOf(open) + open.length;
  if (at < open.length) return text;
  return text.slice(0, at) + member + (text[at] === "}" ? "" : ",") + text.slice(at);
}

Deno.test("matchesReadingShape() never accepts what ReadingSchema refuses", pure, () => {
  fc.assert(
    fc.property(fc.oneof(editedText, fc.json()), (text) => {
      const json: unknown = JSON.parse(text);
      const parsed = ReadingSchema.safeParse(json);
      if (matchesReadingShape(json)) {
        assert.ok(parsed.success, text);
        assert.deepEqual(parsed.data, json); // the same reading, without zod's copy
      }
    }),
    { numRuns: 5000, seed: 20_260_412 },
  );
});

Deno.test("matchesReadingShape() takes every reading the producer sends", pure, () => {
  const sentAt = fc.date({
    min: new Date("2000-01-01T00:00:00Z"),
    max: new Date("2100-01-01T00:00:00Z"),
    noInvalidDate: true,
  });
  fc.assert(
    fc.property(validReading, sentAt, ([reading], at) => {
      assert.ok(matchesReadingShape(JSON.parse(JSON.stringify(reading))));
      const sent = { ...reading, produced_at: at.toISOString() };
      assert.ok(matchesReadingShape(JSON.parse(JSON.stringify(sent))));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("validate() refuses exactly what ReadingSchema refuses, in its words", pure, () => {
  fc.assert(
    fc.property(editedText, (text) => {
      const json = JSON.parse(text);
      const key = typeof json.station_id === "string" ? json.station_id : null;
      const result = validateMessage(new TextEncoder().encode(text), context({ key }), RULES);
      const version = json.schema_version;
      if (version !== 1) {
        assert.equal(!result.ok && result.deadLetter.reason, "unknown_schema_version");
        return;
      }
      const parsed = ReadingSchema.safeParse(json);
      if (parsed.success) {
        assert.notEqual(!result.ok && result.deadLetter.reason, "schema");
      } else {
        assert.equal(result.ok, false);
        if (!result.ok) {
          assert.equal(result.deadLetter.reason, "schema");
          assert.equal(result.deadLetter.detail, describeIssues(parsed.error));
        }
      }
    }),
    { numRuns: 5000, seed: 20_260_412 },
  );
});
