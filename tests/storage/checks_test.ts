/**
 * The record checks every store runs (lib/storage/_checks.ts, _shapes.ts): forecasts and
 * estimates have their known fields checked directly, yet are refused exactly
 * when, and with exactly the message, the generic walk of every value refused
 * them; the id prefix a forecast set needs is the one new rule.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type EstimateRecord, type ForecastRecord, IsoTimestamp } from "../../lib/records/mod.ts";
import { checkForecast, estimateProblem, forecastProblem } from "../../lib/storage/_checks.ts";
import { jsonProblem } from "../../lib/storage/_shapes.ts";
import { estimate, forecast } from "./_store_cases.ts";

// ---- The checks as they were, walking every value ----------------------------------------------

function idProblem(name: string, value: unknown): string | undefined {
  return typeof value === "string" && value !== ""
    ? undefined
    : `${name} must be a non-empty string`;
}

function timeProblem(name: string, value: unknown): string | undefined {
  return IsoTimestamp.safeParse(value).success && Number.isFinite(Date.parse(value as string))
    ? undefined
    : `${name} must be an ISO 8601 timestamp with an offset, not ${JSON.stringify(value)}`;
}

function walkedForecastProblem(f: ForecastRecord): string | undefined {
  return idProblem("forecast_id", f.forecast_id) ?? idProblem("station_id", f.station_id) ??
    idProblem("target", f.target) ?? timeProblem("ts", f.ts) ??
    timeProblem("target_ts", f.target_ts) ??
    (Number.isFinite(f.horizon_h) ? undefined : `horizon_h must be finite, not ${f.horizon_h}`) ??
    (typeof f.baseline === "boolean" ? undefined : "baseline must be true or false") ??
    jsonProblem(f, "forecast");
}

function walkedEstimateProblem(e: EstimateRecord): string | undefined {
  return idProblem("estimate_id", e.estimate_id) ?? idProblem("station_id", e.station_id) ??
    idProblem("target", e.target) ?? timeProblem("ts", e.ts) ??
    (Number.isFinite(e.value) ? undefined : `value must be finite, not ${e.value}`) ??
    jsonProblem(e, "estimate");
}

// ---- Records with anything anywhere ------------------------------------------------------------

class Reading {
  value = 1;
}

/** Values that JSON carries, does not carry, or that break a field's type. */
const anything = fc.constantFrom<unknown>(
  NaN,
  Infinity,
  -Infinity,
  -0,
  0,
  2.5e-300,
  1e308,
  "",
  "text",
  "2004-03-10T18:00:00+01:00",
  "2004-03-10 18:00",
  null,
  undefined,
  true,
  [],
  [1, NaN],
  {},
  { lower: 1 },
  new Map(),
  new Date(0),
  new Reading(),
  Object.create(null),
  10n,
  () => 1,
  Symbol("s"),
);

/** A path into a record: a field, a field of its interval or source, or a new field. */
const where = fc.constantFrom(
  ...[
    "schema_version",
    "kind",
    "forecast_id",
    "estimate_id",
    "station_id",
    "target",
    "field",
    "horizon_h",
    "value",
    "interval",
    "ts",
    "target_ts",
    "model_version",
    "baseline",
    "fallback",
    "fallback_reason",
    "source",
    "estimated",
    "extra",
  ].map((k) => [k]),
  ...["lower", "upper", "level", "source", "extra"].map((k) => ["interval", k]),
  ...["topic", "partition", "offset", "extra"].map((k) => ["source", k]),
);

/** `record` with `value` put at `path` (copied along the path), or the field deleted ("delete"). */
function changed<T extends object>(record: T, path: string[], value: unknown): T {
  const [key, ...rest] = path as [string, ...string[]];
  const copy = { ...record } as Record<string, unknown>;
  if (rest.length > 0) {
    const inner = copy[key];
    // Only into a plain object: a Map or class instance stays as it is.
    if (
      typeof inner === "object" && inner !== null &&
      Object.getPrototypeOf(inner) === Object.prototype
    ) {
      copy[key] = changed(inner, rest, value);
    }
  } else if (value === "delete") delete copy[key];
  else copy[key] = value;
  return copy as T;
}

/**
 * What `check` returns, or the error it throws: a message can fail to print
 * its value (a bigint in JSON, an object without a prototype in a template),
 * and then must fail in the same way.
 */
function outcome<T>(check: () => T): T | string {
  try {
    return check();
  } catch (e) {
    return `threw ${e instanceof Error ? e.name : e}`;
  }
}

/** `record` with its `source` field first. */
function sourceFirst<T extends { source: unknown }>(record: T): T {
  const { source, ...rest } = record;
  return { source, ...rest } as unknown as T;
}

const changes = fc.array(fc.tuple(where, fc.oneof(anything, fc.constant("delete"))), {
  maxLength: 3,
});
const base = fc.record({
  value: fc.constantFrom<number | null>(2.5, null, -0.000123),
  reordered: fc.boolean(),
});

Deno.test("checkForecast() refuses what the walk of every value refused, with its message", () => {
  fc.assert(
    fc.property(base, changes, ({ value, reordered }, edits) => {
      let f = forecast("a", 3, "NO2(GT)", 6, { value });
      if (reordered) f = sourceFirst(f); // fields in another order
      for (const [path, v] of edits) f = changed(f, path, v);
      const walked = outcome(() => walkedForecastProblem(f));
      // The one new rule: the id names the station and time (all ids above do, unless edited).
      const prefix = typeof f.station_id === "string" && typeof f.ts === "string"
        ? `${f.station_id}|${f.ts}|`
        : undefined;
      const prefixed = prefix !== undefined && typeof f.forecast_id === "string" &&
        f.forecast_id.startsWith(prefix) && f.forecast_id.length > prefix.length;
      const problem = outcome(() => forecastProblem(f));
      if (walked === undefined && !prefixed) {
        assert.match(problem ?? "", /^forecast_id must begin with /);
      } else assert.equal(problem, walked);
      // With what the calls of a batch remember, the same answers.
      const seen = {};
      checkForecast(forecast("a", 3, "NO2(GT)", 1), seen);
      const again = outcome(() => checkForecast(f, seen));
      assert.equal(typeof again === "string" ? again : undefined, problem);
    }),
    { numRuns: 3000 },
  );
});

Deno.test("estimateProblem() refuses what the walk of every value refused, with its message", () => {
  fc.assert(
    fc.property(base, changes, ({ reordered }, edits) => {
      let e = estimate("a", 3, "NO2(GT)");
      if (reordered) e = sourceFirst(e);
      for (const [path, v] of edits) e = changed(e, path, v);
      assert.equal(outcome(() => estimateProblem(e)), outcome(() => walkedEstimateProblem(e)));
    }),
    { numRuns: 3000 },
  );
});

Deno.test("forecastProblem() names what is wrong, where, and what is valid", () => {
  const f = forecast("a", 0, "CO(GT)", 1);
  const cases: [unknown, string | undefined][] = [
    [f, undefined],
    [{ ...f, value: NaN }, "forecast.value must be finite, not NaN"],
    [
      { ...f, interval: { ...f.interval!, upper: -Infinity } },
      "forecast.interval.upper must be finite, not -Infinity",
    ],
    [
      { ...f, source: { ...f.source!, partition: NaN } },
      "forecast.source.partition must be finite, not NaN",
    ],
    [{ ...f, horizon_h: Infinity }, "horizon_h must be finite, not Infinity"],
    [
      { ...f, model_version: new Map() },
      "forecast.model_version must be JSON (null, boolean, finite number, string, array, " +
      "plain object), not Map",
    ],
    [{ ...f, extra: [1, Infinity] }, "forecast.extra[1] must be finite, not Infinity"],
    [{ ...f, extra: undefined }, undefined], // dropped, as JSON.stringify drops it
    [{ ...f, value: "2.5" }, undefined], // JSON, if not of the documented type
    [
      { ...f, forecast_id: "b|2004-03-10T18:00:00+01:00|CO(GT)|1" },
      'forecast_id must begin with "a|2004-03-10T18:00:00+01:00|" (station|ts|target|horizon), ' +
      'not "b|2004-03-10T18:00:00+01:00|CO(GT)|1"',
    ],
    [
      { ...f, forecast_id: "a|2004-03-10T18:00:00+01:00|" },
      'forecast_id must begin with "a|2004-03-10T18:00:00+01:00|" (station|ts|target|horizon), ' +
      'not "a|2004-03-10T18:00:00+01:00|"',
    ],
  ];
  for (const [record, problem] of cases) {
    assert.equal(forecastProblem(record as ForecastRecord), problem);
  }
  // Of the documented shape or not (then stored as its JSON).
  assert.equal(checkForecast(f), true);
  assert.equal(checkForecast({ ...f, value: "2.5" } as unknown as ForecastRecord), false);
  assert.equal(checkForecast(sourceFirst(f)), false);
});
