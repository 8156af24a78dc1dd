/**
 * The behaviour every ReadingStore must have, as test bodies shared by the
 * SQLite, memory and PostgreSQL tests, plus the readings, dead letters,
 * forecasts, estimates, alerts and fast-check arbitraries they are built from.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import {
  type Alert,
  ALERT_SCHEMA_VERSION,
  CLEAN_SCHEMA_VERSION,
  type CleanReading,
  COLUMNS,
  type DeadLetter,
  type EstimateRecord,
  FORECAST_SCHEMA_VERSION,
  type ForecastField,
  type ForecastRecord,
  type ForecastTarget,
  MEASUREMENT_FIELDS,
  type MeasurementField,
  type Measurements,
} from "../../lib/records/mod.ts";
import type { ReadingStore, Snapshot, WriteBatch, WriteResult } from "../../lib/storage/mod.ts";
import { UCI_FIRST_ROW } from "../_uci_rows.ts";

export const HOUR_MS = 3_600_000;
/** 10/03/2004 18.00.00 at the station (UTC+1), the first hour of the UCI file. */
export const T0 = Date.UTC(2004, 2, 10, 17);
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
  const measurements = { ...UCI_FIRST_ROW, co_mg_m3: options.co ?? UCI_FIRST_ROW.co_mg_m3 };
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

/** The part of a WriteResult for a batch without forecasts, estimates or alerts. */
export const NO_RECORDS: Pick<WriteResult, "forecasts" | "estimates" | "alerts"> = {
  forecasts: 0,
  estimates: 0,
  alerts: 0,
};

const FIELD: Record<ForecastTarget, ForecastField> = {
  "CO(GT)": "co_mg_m3",
  "NOx(GT)": "nox_ppb",
  "NO2(GT)": "no2_ug_m3",
  "C6H6(GT)": "c6h6_ug_m3",
};

export interface ForecastOptions {
  /** The forecast; default a value derived from hour and horizon. */
  value?: number | null;
  model?: string;
}

/** The forecast of `target` at `horizon` hours made from `reading(station, hour)`. */
export function forecast(
  station: string,
  hour: number,
  target: ForecastTarget,
  horizon: number,
  options: ForecastOptions = {},
): ForecastRecord {
  const from = reading(station, hour);
  const value = options.value === undefined ? 1.25 + hour + horizon / 10 : options.value;
  return {
    schema_version: FORECAST_SCHEMA_VERSION,
    kind: "forecast",
    forecast_id: `${station}|${from.ts}|${target}|${horizon}`,
    station_id: station,
    target,
    field: FIELD[target],
    horizon_h: horizon,
    value,
    interval: value === null
      ? null
      : { lower: value - 0.4, upper: value + 0.6, level: 0.9, source: "artifact" },
    ts: from.ts,
    target_ts: reading(station, hour + horizon).ts,
    model_version: options.model ?? "ridge-2026-05-01",
    baseline: value === null,
    fallback: value === null ? "persistence" : null,
    fallback_reason: value === null ? "no_observation" : null,
    source: value === null ? null : from.source,
  };
}

/** The virtual-sensor estimate of `target` for `reading(station, hour)`. */
export function estimate(
  station: string,
  hour: number,
  target: ForecastTarget,
  value = 0.1 + hour,
): EstimateRecord {
  const from = reading(station, hour);
  return {
    schema_version: FORECAST_SCHEMA_VERSION,
    kind: "estimate",
    estimated: true,
    estimate_id: `${station}|${from.ts}|${target}`,
    station_id: station,
    target,
    field: FIELD[target],
    ts: from.ts,
    value,
    interval: { lower: 0, upper: value * 2, level: 0.9, source: "evaluation" },
    model_version: "nowcast-1",
    source: from.source,
  };
}

/** An event of alert episode `n` (its id is `n` as 16 hex digits), raised `minute` minutes after 12:00. */
export function alert(
  n: number,
  state: Alert["state"],
  severity: Alert["severity"],
  minute = 0,
): Alert {
  const raised = new Date(Date.UTC(2026, 4, 1, 12, minute)).toISOString();
  return {
    schema_version: ALERT_SCHEMA_VERSION,
    alert_id: n.toString(16).padStart(16, "0"),
    kind: "data_quality.missing_rate",
    severity,
    station_id: n % 2 === 0 ? "station-a" : null,
    field: n % 2 === 0 ? "co_mg_m3" : null,
    state,
    reason: `CO(GT) missing in ${state === "firing" ? "40" : "5"} % of the last 24 hours`,
    evidence: {
      value: state === "firing" ? 0.4 : 0.05,
      threshold: 0.2,
      unit: "ratio",
      window: {
        start: "2026-04-30T12:00:00.000Z",
        end: raised,
        size: 24,
        size_unit: "hours",
      },
    },
    event_ts: "2004-03-11T18:00:00+01:00",
    raised_at: raised,
  };
}

/** The order of `forecasts()`: feature time, station, target, horizon, id (code units). */
export const forecastOrder = (a: ForecastRecord, b: ForecastRecord): number =>
  Date.parse(a.ts) - Date.parse(b.ts) || codeUnits(a.station_id, b.station_id) ||
  codeUnits(a.target, b.target) || a.horizon_h - b.horizon_h ||
  codeUnits(a.forecast_id, b.forecast_id);

const codeUnits = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0;

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
    assert.deepEqual(await store.writeBatch(batch), {
      inserted: 3,
      duplicates: 0,
      deadLetters: 1,
      ...NO_RECORDS,
    });
    assert.deepEqual(await store.writeBatch(batch), {
      inserted: 0,
      duplicates: 3,
      deadLetters: 0,
      ...NO_RECORDS,
    });
    const summary = await store.summary();
    assert.equal(summary.stored_readings, 3);
    assert.equal(summary.stations, 2);
    assert.equal(summary.dead_letters, 1);
    assert.deepEqual(await store.readings(), [...batch.readings].sort(byTime));
  });

  storeTest("writeBatch() counts a key repeated within one batch as a duplicate", async (store) => {
    const batch = { readings: [reading("a", 0), reading("a", 0, { offset: 9 })], deadLetters: [] };
    assert.deepEqual(await store.writeBatch(batch), {
      inserted: 1,
      duplicates: 1,
      deadLetters: 0,
      ...NO_RECORDS,
    });
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
    assert.deepEqual(result, { inserted: 10, duplicates: 90, deadLetters: 0, ...NO_RECORDS });
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
      forecasts: 0,
      estimates: 0,
      alerts: 0,
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

  storeTest(
    "forecasts, estimates, alerts and snapshots come back as written",
    async (store) => {
      const forecasts = [
        forecast("b", 0, "CO(GT)", 1),
        forecast("a", 0, "NOx(GT)", 24, { value: null }), // a baseline with nothing to persist
        forecast("a", 0, "CO(GT)", 6, { value: -0.000123456789 }),
      ];
      const estimates = [estimate("a", 1, "C6H6(GT)", 1e-9), estimate("a", 0, "NO2(GT)")];
      const alerts = [alert(1, "firing", "warning"), alert(2, "firing", "critical", 5)];
      const monitoring = {
        models: { "CO(GT)|1": { mae: 0.31, n: 120, drift: false, window: [0.1, null, -2] } },
        note: "ünïcödé \0 and \u{1f32b}",
      };
      const result = await store.writeBatch({
        readings: [reading("a", 0)],
        deadLetters: [],
        forecasts,
        estimates,
        alerts,
        snapshots: [{ name: "forecaster.monitoring", value: monitoring, updated_at_ms: 1_000 }],
      });
      assert.deepEqual(result, {
        inserted: 1,
        duplicates: 0,
        deadLetters: 0,
        forecasts: 3,
        estimates: 2,
        alerts: 2,
      });
      // Ordered by feature time, station, target (code point order), horizon.
      assert.deepEqual(await store.forecasts(), [forecasts[2], forecasts[1], forecasts[0]]);
      assert.deepEqual(await store.estimates(), [estimates[1], estimates[0]]);
      assert.deepEqual(await store.alerts(), [alerts[1], alerts[0]]); // most recently raised first
      assert.deepEqual(await store.snapshot("forecaster.monitoring"), {
        value: monitoring,
        updated_at_ms: 1_000,
      });
      assert.equal(await store.snapshot("nothing here"), null);
      const summary = await store.summary();
      assert.deepEqual([summary.forecasts, summary.estimates, summary.alerts], [3, 2, 2]);
      assert.equal(summary.stored_readings, 1);
    },
  );

  storeTest("a forecast, estimate or snapshot written again replaces the row", async (store) => {
    const first = forecast("a", 0, "CO(GT)", 1, { value: 2 });
    const other = forecast("a", 0, "CO(GT)", 6, { value: 3 });
    await store.writeBatch({
      readings: [],
      deadLetters: [],
      forecasts: [first, other],
      estimates: [estimate("a", 0, "CO(GT)", 1)],
      snapshots: [{ name: "m", value: { v: 1 }, updated_at_ms: 10 }],
    });
    // Re-made after a crash: a new value and model under the same forecast_id.
    const remade = forecast("a", 0, "CO(GT)", 1, { value: 2.5, model: "ridge-2026-05-02" });
    const twice = forecast("a", 0, "CO(GT)", 6, { value: 4 });
    const result = await store.writeBatch({
      readings: [],
      deadLetters: [],
      forecasts: [remade, { ...twice, value: 3.5 }, twice], // the same id twice: the last wins
      estimates: [estimate("a", 0, "CO(GT)", 1.5)],
      snapshots: [
        { name: "m", value: [1], updated_at_ms: 30 },
        { name: "m", value: { v: 2 }, updated_at_ms: 20 }, // the last write wins, not the newest
      ],
    });
    assert.deepEqual(result, {
      ...NO_RECORDS,
      inserted: 0,
      duplicates: 0,
      deadLetters: 0,
      forecasts: 3,
      estimates: 1,
    });
    assert.deepEqual(await store.forecasts(), [remade, twice]);
    assert.deepEqual(await store.estimates(), [estimate("a", 0, "CO(GT)", 1.5)]);
    assert.deepEqual(await store.snapshot("m"), { value: { v: 2 }, updated_at_ms: 20 });
    const summary = await store.summary();
    assert.deepEqual([summary.forecasts, summary.estimates], [2, 1]);
  });

  storeTest(
    "snapshots(prefix): every snapshot whose name starts with it, by name",
    async (store) => {
      const snapshots = [
        { name: "forecaster.monitor@b2", value: { member: "b2" }, updated_at_ms: 30 },
        { name: "forecaster.models", value: [1], updated_at_ms: 10 },
        { name: "forecaster.monitor", value: { member: null }, updated_at_ms: 5 },
        { name: "forecaster.monitor@a1", value: { member: "a1" }, updated_at_ms: 20 },
        // LIKE wildcards in a name are matched as themselves
        { name: "x%_", value: 1, updated_at_ms: 1 },
        { name: "xy_", value: 2, updated_at_ms: 2 },
      ];
      await store.writeBatch({ readings: [], deadLetters: [], snapshots });
      assert.deepEqual(
        await store.snapshots("forecaster.monitor"),
        [snapshots[2], snapshots[3], snapshots[0]],
      );
      assert.deepEqual(await store.snapshots("forecaster.monitor@"), [snapshots[3], snapshots[0]]);
      assert.deepEqual(await store.snapshots("x%"), [snapshots[4]]);
      assert.deepEqual(await store.snapshots("nothing"), []);
      assert.equal((await store.snapshots("")).length, snapshots.length);
    },
  );

  storeTest(
    "an alert event is stored once; escalation and resolution add events",
    async (store) => {
      const fired = alert(7, "firing", "warning", 0);
      assert.equal(
        (await store.writeBatch({ readings: [], deadLetters: [], alerts: [fired] })).alerts,
        1,
      );
      const redelivered = {
        ...fired,
        reason: "redelivered, changed",
        raised_at: "2026-05-01T13:00:00.000Z",
      };
      const escalated = alert(7, "firing", "critical", 10);
      const resolved = alert(7, "resolved", "critical", 10); // raised in the same minute: stored later
      const other = alert(8, "firing", "info", 3);
      const result = await store.writeBatch({
        readings: [],
        deadLetters: [],
        alerts: [redelivered, escalated, escalated, resolved, other],
      });
      assert.deepEqual(result, {
        inserted: 0,
        duplicates: 0,
        deadLetters: 0,
        ...NO_RECORDS,
        alerts: 3,
      });
      // Most recently raised first; at the same instant, the one stored last first.
      assert.deepEqual(await store.alerts(), [resolved, escalated, other, fired]);
      assert.deepEqual(await store.alerts(2), [resolved, escalated]);
      assert.deepEqual(await store.alerts(0), []);
      assert.equal((await store.summary()).alerts, 4);
      await assert.rejects(store.alerts(1.5), RangeError);
    },
  );

  storeTest(
    "forecasts() and estimates() filter by station, target, horizon and time",
    async (store) => {
      const targets = ["NO2(GT)", "CO(GT)"] as const;
      const forecasts = [0, 1, 2].flatMap((hour) =>
        ["b", "a"].flatMap((station) =>
          targets.flatMap((target) => [24, 1].map((h) => forecast(station, hour, target, h)))
        )
      );
      const estimates = [0, 1, 2].flatMap((hour) =>
        ["b", "a"].flatMap((station) => targets.map((target) => estimate(station, hour, target)))
      );
      await store.writeBatch({ readings: [], deadLetters: [], forecasts, estimates });
      const at = (h: number) => T0 + h * HOUR_MS;
      const time = (r: { ts: string }) => Date.parse(r.ts);
      const ordered = forecasts.toSorted((x, y) =>
        time(x) - time(y) || x.station_id.localeCompare(y.station_id) ||
        x.target.localeCompare(y.target) || x.horizon_h - y.horizon_h
      );
      assert.deepEqual(await store.forecasts(), ordered);
      assert.deepEqual(await store.forecasts({ limit: 5 }), ordered.slice(0, 5));
      assert.deepEqual(
        await store.forecasts({ station_id: "b", target: "CO(GT)", horizon_h: 24 }),
        [0, 1, 2].map((hour) => forecast("b", hour, "CO(GT)", 24)),
      );
      assert.deepEqual(
        await store.forecasts({ from_ms: at(1), to_ms: at(2), horizon_h: 1, station_id: "a" }),
        [forecast("a", 1, "CO(GT)", 1), forecast("a", 1, "NO2(GT)", 1)],
      );
      assert.deepEqual(await store.forecasts({ target: "C6H6(GT)" }), []);
      assert.deepEqual(await store.forecasts({ horizon_h: 6 }), []);
      assert.deepEqual(await store.estimates({ station_id: "a", from_ms: at(2) }), [
        estimate("a", 2, "CO(GT)"),
        estimate("a", 2, "NO2(GT)"),
      ]);
      assert.deepEqual(await store.estimates({ to_ms: at(1), limit: 3 }), [
        estimate("a", 0, "CO(GT)"),
        estimate("a", 0, "NO2(GT)"),
        estimate("b", 0, "CO(GT)"),
      ]);
      await assert.rejects(store.forecasts({ limit: -1 }), RangeError);
      await assert.rejects(store.estimates({ limit: 0.5 }), RangeError);
    },
  );

  storeTest(
    "a batch with a bad reading or record stores no forecast, alert or snapshot",
    async (store) => {
      const before = {
        readings: [reading("a", 0)],
        deadLetters: [],
        forecasts: [forecast("a", 0, "CO(GT)", 1)],
        alerts: [alert(1, "firing", "warning")],
        snapshots: [{ name: "m", value: 1, updated_at_ms: 1 }],
      };
      await store.writeBatch(before);
      const summary = await store.summary();
      const good = {
        readings: [reading("b", 0)],
        deadLetters: [deadLetter(4, null)],
        forecasts: [forecast("b", 0, "CO(GT)", 1), forecast("a", 0, "CO(GT)", 1, { value: 99 })],
        estimates: [estimate("b", 0, "CO(GT)")],
        alerts: [alert(2, "firing", "info"), alert(1, "resolved", "warning")],
        snapshots: [{ name: "m", value: 2, updated_at_ms: 2 }] as Snapshot[],
      };
      const bogus = { ...reading("c", 0), status: "bogus" } as unknown as CleanReading;
      const bad: [Partial<WriteBatch>, RegExp][] = [
        [{ readings: [...good.readings, bogus] }, /reading 1 \(station "c".*status/],
        [
          { forecasts: [...good.forecasts, forecast("c", 0, "CO(GT)", 1, { value: NaN })] },
          /forecast 2 \("c\|2004-03-10T18:00:00\+01:00\|CO\(GT\)\|1"\): .*value must be finite, not NaN/,
        ],
        [
          { forecasts: [{ ...forecast("c", 0, "CO(GT)", 1), ts: "2004-03-10 18:00" }] },
          /forecast 0 .*ts must be an ISO 8601 timestamp/,
        ],
        [
          { estimates: [{ ...estimate("c", 0, "CO(GT)"), estimate_id: "" }] },
          /estimate 0 \(""\): estimate_id must be a non-empty string/,
        ],
        [
          { alerts: [...good.alerts, { ...alert(3, "firing", "info"), alert_id: "x" }] },
          /alert 2 \(x firing info\): alert_id: /,
        ],
        [
          { snapshots: [{ name: "m", value: { at: new Map() }, updated_at_ms: 3 }] },
          /snapshot 0 \("m"\): value\.at must be JSON .*not Map/,
        ],
        [
          { snapshots: [{ name: "m", value: [Infinity], updated_at_ms: 3 }] },
          /snapshot 0 \("m"\): value\[0\] must be finite, not Infinity/,
        ],
        [
          { snapshots: [{ name: "m", value: 1, updated_at_ms: 1.5 }] },
          /snapshot 0 .*updated_at_ms/,
        ],
      ];
      for (const [change, item] of bad) {
        await assert.rejects(store.writeBatch({ ...good, ...change }), (e: Error) => {
          assert.match(e.message, /^Cannot write the batch to reading store .*nothing was written/);
          assert.match(e.message, item);
          return true;
        });
        assert.deepEqual(await store.summary(), summary);
        assert.deepEqual(await store.forecasts(), before.forecasts);
        assert.deepEqual(await store.estimates(), []);
        assert.deepEqual(await store.alerts(), before.alerts);
        assert.deepEqual(await store.snapshot("m"), { value: 1, updated_at_ms: 1 });
      }
      assert.equal((await store.writeBatch(good)).alerts, 2); // the good part alone is fine
    },
  );

  storeTest(
    "a reading's forecasts written again are merged by forecast_id",
    async (store) => {
      const targets = ["CO(GT)", "NOx(GT)", "NO2(GT)", "C6H6(GT)"] as const;
      const all = (hour: number, model = "ridge-2026-05-01") =>
        [1, 6, 24].flatMap((h) => targets.map((t) => forecast("a", hour, t, h, { model })));
      const write = (forecasts: ForecastRecord[]) =>
        store.writeBatch({ readings: [], deadLetters: [], forecasts });
      await write([...all(0), ...all(1)]);
      // Re-made after a crash: all twelve again, replacing the stored ones.
      await write(all(0, "ridge-2026-05-02"));
      // Fewer than twelve (a horizon dropped), and one more id: the others stay as they were.
      const fewer = [
        forecast("a", 1, "CO(GT)", 6, { value: 99, model: "gbt-2026-05-03" }),
        forecast("a", 1, "NO2(GT)", 6, { value: null }),
        forecast("a", 1, "CO(GT)", 48),
      ];
      assert.equal((await write(fewer)).forecasts, 3);
      const expected = [
        ...all(0, "ridge-2026-05-02"),
        ...all(1).filter((f) => !fewer.some((g) => g.forecast_id === f.forecast_id)),
        ...fewer,
      ].sort(forecastOrder);
      assert.deepEqual(await store.forecasts(), expected);
      assert.equal((await store.summary()).forecasts, 25);
      assert.deepEqual(
        await store.forecasts({ from_ms: T0 + HOUR_MS, horizon_h: 6, limit: 2 }),
        expected.filter((f) => Date.parse(f.ts) >= T0 + HOUR_MS && f.horizon_h === 6).slice(0, 2),
      );
    },
  );

  storeTest("forecasts of any JSON shape come back as written", async (store) => {
    const f = (target: ForecastTarget, horizon: number) => forecast("a", 0, target, horizon);
    const utc = "2004-03-10T17:00:00Z"; // the instant of reading("a", 0).ts, at another offset
    const unusual: ForecastRecord[] = [
      f("CO(GT)", 1),
      { ...f("CO(GT)", 6), note: { why: ["kept", 1.5] } } as ForecastRecord,
      { ...f("NOx(GT)", 1), schema_version: 2 } as unknown as ForecastRecord,
      { ...f("NOx(GT)", 6), ts: utc, forecast_id: `a|${utc}|NOx(GT)|6` },
      { ...f("NO2(GT)", 1), source: { topic: "t", partition: 3, offset: "12" } },
      { ...f("NO2(GT)", 6), forecast_id: `${f("NO2(GT)", 6).forecast_id}|retry` },
      { ...f("C6H6(GT)", 1), value: "2.5" } as unknown as ForecastRecord,
      { ...f("C6H6(GT)", 6), interval: null },
      { ...f("CO(GT)", 24), field: null, model_version: null } as unknown as ForecastRecord,
      {
        ...f("CO(GT)", 24),
        target: "O3(GT)" as ForecastTarget,
        forecast_id: "a|" + f("CO(GT)", 24).ts + "|O3",
      },
      { ...f("NOx(GT)", 24), horizon_h: 1.5, fallback: "persistence", fallback_reason: "x\0y" },
      (({ source, ...rest }) => ({ source, ...rest }))(f("NO2(GT)", 24)), // fields in another order
      {
        ...f("C6H6(GT)", 24),
        value: -0,
        interval: { lower: -0, upper: 1, level: 0.8 as 0.9, source: "fallback" },
      },
    ];
    await store.writeBatch({ readings: [], deadLetters: [], forecasts: unusual });
    // -0 comes back as 0, as from JSON; everything else as written.
    const expected = unusual.map((x) => JSON.parse(JSON.stringify(x)) as ForecastRecord);
    assert.deepEqual(await store.forecasts(), expected.toSorted(forecastOrder));
    assert.deepEqual(await store.forecasts({ target: "NO2(GT)" }), [
      expected[4],
      expected[5],
      expected[11],
    ]);
    // Written again, merged with what is stored: the same.
    await store.writeBatch({ readings: [], deadLetters: [], forecasts: unusual.slice(3, 9) });
    assert.deepEqual(await store.forecasts(), expected.toSorted(forecastOrder));
    assert.equal((await store.summary()).forecasts, unusual.length);
  });

  storeTest("a forecast whose id does not name its station and time is refused", async (store) => {
    const named = forecast("a", 0, "CO(GT)", 1);
    const other = { ...forecast("a", 0, "CO(GT)", 6), forecast_id: "CO(GT)|6" };
    await assert.rejects(
      store.writeBatch({ readings: [], deadLetters: [], forecasts: [named, other] }),
      /nothing was written.*forecast 1 \("CO\(GT\)\|6"\): forecast_id must begin with "a\|2004-03-10T18:00:00\+01:00\|"/,
    );
    assert.equal((await store.summary()).forecasts, 0);
  });

  storeTest("a closed store rejects calls; closing twice is fine", async (store) => {
    await store.close();
    await store.close();
    await assert.rejects(store.summary(), /is closed/);
    await assert.rejects(store.writeBatch({ readings: [], deadLetters: [] }), /is closed/);
    await assert.rejects(store.forecasts(), /is closed/);
    await assert.rejects(store.estimates(), /is closed/);
    await assert.rejects(store.alerts(), /is closed/);
    await assert.rejects(store.snapshot("m"), /is closed/);
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
const arbForecast = fc.record({
  station: fc.constantFrom("a", "b"),
  hour: fc.nat(2),
  target: fc.constantFrom("CO(GT)" as const, "NO2(GT)" as const),
  horizon: fc.constantFrom(1, 6),
  value: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
  model: fc.constantFrom("ridge-2026-05-01", "gbt-2026-05-01"),
  // Mostly as the forecaster makes them; sometimes as the stores must keep them anyway.
  unusual: fc.constantFrom("", "", "", "note", "utc", "source", "id"),
}).map(({ station, hour, target, horizon, value, model, unusual }) => {
  // JSON keeps no -0: the stores hand back 0, so the arbitrary never makes one.
  const f = forecast(station, hour, target, horizon, {
    value: Object.is(value, -0) ? 0 : value,
    model,
  });
  const utc = `${new Date(T0 + hour * HOUR_MS).toISOString().slice(0, 19)}Z`;
  return unusual === "note"
    ? { ...f, note: [unusual] } as ForecastRecord
    : unusual === "utc"
    ? { ...f, ts: utc, forecast_id: `${station}|${utc}|${target}|${horizon}` }
    : unusual === "source"
    ? { ...f, source: { topic: "other", partition: 1, offset: "7" } }
    : unusual === "id"
    ? { ...f, forecast_id: `${f.forecast_id}|2` }
    : f;
});
const arbAlert = fc.record({
  n: fc.nat(2),
  state: fc.constantFrom("firing" as const, "resolved" as const),
  severity: fc.constantFrom("info" as const, "critical" as const),
  minute: fc.nat(2),
}).map(({ n, state, severity, minute }) => alert(n, state, severity, minute));
const arbSnapshot = fc.record({
  name: fc.constantFrom("m", "n"),
  // Only values JSON gives back deep-equal (no -0).
  value: fc.jsonValue().filter((v) => isDeepStrictEqual(JSON.parse(JSON.stringify(v)), v)),
  updated_at_ms: fc.nat(),
});
export const arbBatch = fc.record({
  readings: fc.array(arbReading, { maxLength: 80, size: "max" }), // over 32: multi-row statements
  deadLetters: fc.array(arbDeadLetter, { maxLength: 3 }),
  forecasts: fc.array(arbForecast, { maxLength: 6 }),
  alerts: fc.array(arbAlert, { maxLength: 4 }),
  snapshots: fc.array(arbSnapshot, { maxLength: 2 }),
  poisoned: fc.boolean(),
});

/** What `store` holds, for comparing two stores. */
export async function contents(store: ReadingStore): Promise<unknown> {
  return {
    readings: await store.readings(),
    deadLetters: await store.deadLetters(),
    forecasts: await store.forecasts(),
    estimates: await store.estimates(),
    alerts: await store.alerts(),
    snapshots: [await store.snapshot("m"), await store.snapshot("n")],
    summary: await store.summary(),
    details: await store.details(),
  };
}
