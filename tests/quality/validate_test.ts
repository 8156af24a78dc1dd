import assert from "node:assert/strict";
import {
  type DeadLetterReason,
  parseTimestamp,
  validateMessage,
  type ValidationResult,
} from "../../lib/quality/mod.ts";
import { type CleanReading, CleanReadingSchema } from "../../lib/records/mod.ts";
import { context, encode, makeReading, NOW, RULES } from "./_helpers.ts";

const pure = { permissions: "none" } as const;

function accepted(result: ValidationResult): CleanReading {
  if (!result.ok) {
    assert.fail(
      `expected a clean reading, got ${result.deadLetter.reason}: ${result.deadLetter.detail}`,
    );
  }
  CleanReadingSchema.parse(result.reading);
  return result.reading;
}

function rejected(result: ValidationResult, reason: DeadLetterReason, detail?: RegExp): void {
  assert.equal(result.ok, false, "expected a dead letter");
  if (result.ok) return;
  assert.equal(result.deadLetter.reason, reason, result.deadLetter.detail);
  if (detail !== undefined) assert.match(result.deadLetter.detail, detail);
}

function check(value: unknown, over: Parameters<typeof context>[0] = {}): ValidationResult {
  const bytes = value instanceof Uint8Array ? value : encode(value);
  return validateMessage(bytes, context(over), RULES);
}

Deno.test("validateMessage() accepts the UCI file's first row as an ok reading", pure, () => {
  const r = accepted(check(makeReading()));
  assert.equal(r.status, "ok");
  assert.deepEqual(r.flags, {});
  assert.deepEqual(r.rejected, {});
  assert.equal(r.measurements.co_mg_m3, 2.6);
  assert.deepEqual(r.source, context().source);
});

Deno.test(
  "validateMessage() dead-letters a null value as empty_value, keeping no bytes",
  pure,
  () => {
    const result = validateMessage(null, context(), RULES);
    rejected(result, "empty_value", /no value/);
    assert.equal(!result.ok && result.deadLetter.original, null);
  },
);

Deno.test("validateMessage() dead-letters a payload above maxBytes as too_large", pure, () => {
  const huge = makeReading({}, { station_id: "station-001" });
  const bytes = encode({ ...huge, padding: "x".repeat(RULES.maxMessageBytes) });
  const result = check(bytes);
  rejected(result, "too_large", new RegExp(`above the limit of ${RULES.maxMessageBytes}`));
  assert.equal(!result.ok && result.deadLetter.original, bytes, "the original bytes are kept");
});

Deno.test("validateMessage() dead-letters invalid UTF-8 as invalid_utf8", pure, () => {
  const bytes = encode(makeReading());
  bytes[30] = 0xff;
  rejected(check(bytes), "invalid_utf8", /not valid UTF-8/);
  rejected(check(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])), "invalid_utf8");
});

Deno.test("validateMessage() dead-letters text that is not JSON as invalid_json", pure, () => {
  for (const text of ["", "not json", '{"schema_version":1,', "2004-03-10;18.00.00;2,6"]) {
    rejected(check(new TextEncoder().encode(text)), "invalid_json", /not JSON/);
  }
});

Deno.test("validateMessage() dead-letters JSON that is not an object as schema", pure, () => {
  for (const value of [null, 42, "reading", [makeReading()], true]) {
    rejected(check(value), "schema", /expected a JSON object/);
  }
});

Deno.test("validateMessage() dead-letters an absent or unknown schema_version", pure, () => {
  const { schema_version: _, ...noVersion } = makeReading();
  rejected(check(noVersion), "unknown_schema_version", /absent.*schema_version 1/);
  rejected(check({ ...makeReading(), schema_version: 2 }), "unknown_schema_version", /is 2/);
  rejected(check({ ...makeReading(), schema_version: "1" }), "unknown_schema_version", /"1"/);
});

Deno.test("validateMessage() lists every schema issue as 'path: message'", pure, () => {
  const bad = {
    ...makeReading(),
    station_id: "",
    measurements: { ...makeReading().measurements, co_mg_m3: "2,6", ah: undefined },
    extra: true,
  };
  const result = check(bad);
  rejected(result, "schema");
  const detail = result.ok ? "" : result.deadLetter.detail;
  assert.match(detail, /station_id: /);
  assert.match(detail, /measurements\.co_mg_m3: .*expected number/);
  assert.match(detail, /measurements\.ah: /);
  assert.match(detail, /\(message\): .*"extra"/);
  // The empty station id breaks two rules: min length and the character set.
  assert.equal(detail.split("; ").length, 5, detail);
});

Deno.test(
  "validateMessage() dead-letters wrong types, missing fields and absurd values",
  pure,
  () => {
    const { measurements: _, ...noMeasurements } = makeReading();
    rejected(check(noMeasurements), "schema", /measurements: /);
    rejected(check(makeReading({}, { ts: 1078938000000 as unknown as string })), "schema", /ts: /);
    rejected(check(makeReading({}, { ts: "10/03/2004 18.00.00" })), "schema", /ISO 8601/);
    rejected(check(makeReading({}, { ts: "2004-03-10T18:00:00" })), "schema", /with an offset/);
    // JSON cannot carry NaN or Infinity, but 1e400 parses to Infinity.
    const text = JSON.stringify(makeReading()).replace('"nox_ppb":166', '"nox_ppb":1e400');
    rejected(check(new TextEncoder().encode(text)), "schema", /measurements\.nox_ppb: /);
    rejected(check(makeReading({}, { station_id: "station 1!" })), "schema", /station_id: /);
  },
);

Deno.test(
  "validateMessage() dead-letters a missing key or one that is not the station id",
  pure,
  () => {
    rejected(check(makeReading(), { key: null }), "bad_key", /key is absent.*"station-001"/);
    rejected(check(makeReading(), { key: "station-002" }), "bad_key", /"station-002"/);
  },
);

Deno.test(
  "validateMessage() dead-letters impossible, too early, future and off-hour times",
  pure,
  () => {
    const at = (ts: string) => check(makeReading({}, { ts }));
    rejected(at("2004-02-30T18:00:00+01:00"), "bad_timestamp", /not a real date/);
    rejected(at("2004-13-01T18:00:00+01:00"), "bad_timestamp", /not a real date/);
    rejected(at("2004-03-10T24:00:00+01:00"), "bad_timestamp", /not a real date/);
    rejected(at("2004-03-10T18:00:00+15:00"), "bad_timestamp", /not a real date/);
    rejected(at("1970-01-01T00:00:00Z"), "bad_timestamp", /before 1990-01-01/);
    rejected(at("2025-01-01T02:00:00Z"), "bad_timestamp", /120 min after/);
    accepted(at("2025-01-01T01:00:00Z")); // exactly maxFutureMs ahead
    rejected(at("2004-03-10T18:30:00+01:00"), "bad_timestamp", /whole hour/);
    rejected(at("2004-03-10T18:00:00.5+01:00"), "bad_timestamp", /whole hour/);
    accepted(at("2004-03-10T18:00:00.000+05:30")); // whole hour in local time
  },
);

Deno.test("validateMessage() computes ts_utc_ms from the timestamp's own offset", pure, () => {
  const ms = (ts: string) => accepted(check(makeReading({}, { ts }))).ts_utc_ms;
  assert.equal(ms("2004-03-10T18:00:00+01:00"), Date.UTC(2004, 2, 10, 17));
  assert.equal(ms("2004-03-10T18:00:00Z"), Date.UTC(2004, 2, 10, 18));
  assert.equal(ms("2004-03-10T18:00:00-05:30"), Date.UTC(2004, 2, 10, 23, 30));
  assert.equal(ms("2004-02-29T00:00:00+01:00"), Date.UTC(2004, 1, 28, 23));
  assert.equal(parseTimestamp("2005-02-29T00:00:00Z"), null, "2005 is not a leap year");
});

Deno.test(
  "validateMessage() stores a reading with every measurement missing as an outage",
  pure,
  () => {
    const nulls = Object.fromEntries(Object.keys(makeReading().measurements).map((k) => [k, null]));
    const r = accepted(check(makeReading(nulls)));
    assert.equal(r.status, "outage");
    assert.equal(Object.values(r.flags).length, 13);
    for (const flags of Object.values(r.flags)) assert.deepEqual(flags, ["missing"]);
  },
);

Deno.test(
  "validateMessage() turns a literal -200 into a missing value flagged sentinel",
  pure,
  () => {
    const r = accepted(check(makeReading({ co_mg_m3: -200, t_c: -200, nox_ppb: null })));
    assert.equal(r.measurements.co_mg_m3, null);
    assert.deepEqual(r.flags.co_mg_m3, ["missing", "sentinel"]);
    assert.deepEqual(r.flags.t_c, ["missing", "sentinel"]);
    assert.deepEqual(r.flags.nox_ppb, ["missing"]);
    assert.deepEqual(r.rejected, {}, "a sentinel is not a rejected value");
    assert.equal(r.status, "flagged");
    // -200.5 is not the sentinel: a plain implausible temperature.
    const other = accepted(check(makeReading({ t_c: -200.5 })));
    assert.deepEqual(other.flags.t_c, ["implausible"]);
    assert.equal(other.rejected.t_c, -200.5);
  },
);

Deno.test(
  "validateMessage() removes implausible values under reject and keeps them under flag",
  pure,
  () => {
    const r = accepted(
      check(makeReading({ rh_pct: 104, co_mg_m3: -0.5, pt08_s1_co: 7000, ah: 12 })),
    );
    assert.equal(r.measurements.rh_pct, null);
    assert.equal(r.rejected.rh_pct, 104);
    assert.deepEqual(r.flags.rh_pct, ["implausible"]);
    assert.equal(r.measurements.co_mg_m3, null);
    assert.equal(r.rejected.co_mg_m3, -0.5);
    assert.equal(r.measurements.pt08_s1_co, 7000, "flag keeps the value");
    assert.deepEqual(r.flags.pt08_s1_co, ["implausible"]);
    assert.equal(r.rejected.pt08_s1_co, undefined);
    assert.equal(r.measurements.ah, 12);
    assert.equal(r.status, "flagged");
    // Bounds are inclusive.
    const edge = accepted(check(makeReading({ rh_pct: 100, t_c: -50 })));
    assert.deepEqual(edge.flags.rh_pct, ["atypical"]);
    assert.deepEqual(edge.flags.t_c, ["atypical"]);
    assert.deepEqual(edge.rejected, {});
  },
);

Deno.test(
  "validateMessage() flags values outside the typical range as atypical and keeps them",
  pure,
  () => {
    const r = accepted(check(makeReading({ no2_ug_m3: 320, t_c: -3 })));
    assert.deepEqual(r.flags.no2_ug_m3, ["atypical"]);
    assert.equal(r.measurements.no2_ug_m3, 320);
    assert.deepEqual(r.flags.t_c, ["atypical"]);
    assert.equal(r.status, "flagged");
    const edge = accepted(check(makeReading({ no2_ug_m3: 306, t_c: -0.5 })));
    assert.equal(edge.status, "ok", "the typical bounds are inclusive");
  },
);

Deno.test("validateMessage() flags NO2 above NOx (after µg/m³ → ppb) as inconsistent", pure, () => {
  // 200 µg/m³ / 1.88 = 106.4 ppb NO2 > 100 ppb NOx + 5 ppb tolerance.
  const r = accepted(check(makeReading({ no2_ug_m3: 200, nox_ppb: 100 })));
  assert.deepEqual(r.flags.no2_ug_m3, ["inconsistent"]);
  assert.equal(r.flags.nox_ppb, undefined);
  assert.equal(r.status, "flagged");
  // 106.4 ppb ≤ 102 + 5: within tolerance.
  assert.equal(accepted(check(makeReading({ no2_ug_m3: 200, nox_ppb: 102 }))).status, "ok");
  // Not judged when one side is missing or rejected.
  assert.equal(
    accepted(check(makeReading({ no2_ug_m3: 200, nox_ppb: null }))).flags.no2_ug_m3,
    undefined,
  );
  const both = accepted(check(makeReading({ no2_ug_m3: 350, nox_ppb: 100 })));
  assert.deepEqual(both.flags.no2_ug_m3, ["atypical", "inconsistent"]);
});

Deno.test(
  "validateMessage() status: ok, flagged unless only missing, outage when all null",
  pure,
  () => {
    assert.equal(accepted(check(makeReading({ co_mg_m3: null, nmhc_ug_m3: null }))).status, "ok");
    assert.equal(accepted(check(makeReading({ co_mg_m3: 12 }))).status, "flagged");
    const nulls = Object.fromEntries(Object.keys(makeReading().measurements).map((k) => [k, null]));
    const allRejected = accepted(check(makeReading({ ...nulls, rh_pct: 150 })));
    assert.equal(allRejected.status, "outage", "every stored measurement is null");
    assert.deepEqual(allRejected.rejected, { rh_pct: 150 });
  },
);

Deno.test("validateMessage() never throws and judges by the injected clock", pure, () => {
  const future = makeReading({}, { ts: "2030-01-01T00:00:00Z" });
  rejected(check(future), "bad_timestamp");
  accepted(check(future, { now: Date.UTC(2030, 0, 1) }));
  assert.ok(NOW > 0);
});
