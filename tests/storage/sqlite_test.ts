import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { type CleanReading, MEASUREMENT_FIELDS } from "../../lib/records/mod.ts";
import {
  MemoryStore,
  openSqliteStore,
  type ReadingStore,
  SQLITE_SCHEMA_VERSION,
} from "../../lib/storage/mod.ts";
import {
  alert,
  arbBatch,
  BAD_UTF8,
  contents,
  deadLetter,
  estimate,
  forecast,
  forecastOrder,
  reading,
  STORE_CASES,
  withTempDir,
} from "./_store_cases.ts";

/** Registers the behaviour every ReadingStore must have (tests/storage/_store_cases.ts), for one implementation. */
function testReadingStore(name: string, openStore: (dir: string) => Promise<ReadingStore>) {
  for (const { title, fn } of STORE_CASES) {
    Deno.test(`${name}: ${title}`, () =>
      withTempDir(async (dir) => {
        const store = await openStore(dir);
        try {
          await fn(store);
        } finally {
          await store.close();
        }
      }));
  }
}

testReadingStore("openSqliteStore()", (dir) => openSqliteStore(`${dir}/airq.db`));
testReadingStore("MemoryStore", () => Promise.resolve(new MemoryStore()));

// ---- SQLite only -------------------------------------------------------------------------------

/** `PRAGMA user_version` from the file header (big-endian u32 at byte 60); the store is closed. */
async function userVersion(path: string): Promise<number> {
  const header = await Deno.readFile(path);
  return new DataView(header.buffer).getUint32(60);
}

Deno.test("openSqliteStore() migrates an empty file and keeps data across reopening", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/empty.db`;
    await Deno.writeFile(path, new Uint8Array());
    const batch = {
      readings: [reading("a", 0), reading("a", 1)],
      deadLetters: [deadLetter(1, BAD_UTF8)],
    };
    const first = await openSqliteStore(path);
    await first.writeBatch(batch);
    await first.close();
    assert.equal(await userVersion(path), SQLITE_SCHEMA_VERSION);
    const again = await openSqliteStore(path, { synchronous: "FULL" });
    try {
      assert.deepEqual(await again.readings(), batch.readings);
      assert.deepEqual(await again.deadLetters(), batch.deadLetters);
      assert.equal((await again.writeBatch(batch)).duplicates, 2);
    } finally {
      await again.close();
    }
  }));

Deno.test("openSqliteStore() creates the parent folders of a new database", () =>
  withTempDir(async (dir) => {
    const store = await openSqliteStore(`${dir}/var/deep/airq.db`);
    await store.close();
    assert.equal(await userVersion(`${dir}/var/deep/airq.db`), SQLITE_SCHEMA_VERSION);
  }));

Deno.test("openSqliteStore() refuses a database from a newer airq", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/newer.db`;
    await (await openSqliteStore(path)).close();
    const bytes = await Deno.readFile(path);
    new DataView(bytes.buffer).setUint32(60, SQLITE_SCHEMA_VERSION + 1);
    await Deno.writeFile(path, bytes);
    const [newer, known] = [SQLITE_SCHEMA_VERSION + 1, SQLITE_SCHEMA_VERSION];
    await assert.rejects(
      openSqliteStore(path),
      new Error(
        `Cannot open reading store "${path}": its schema version is ${newer}, but this airq ` +
          `knows versions up to ${known}. A newer airq wrote it: run that version, or use another file.`,
      ),
    );
    assert.equal(await userVersion(path), SQLITE_SCHEMA_VERSION + 1); // left alone
  }));

Deno.test("openSqliteStore() refuses a file that is not a database, and unknown options", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/notes.txt`;
    await Deno.writeTextFile(path, "not a database\n".repeat(300));
    await assert.rejects(
      openSqliteStore(path),
      /^Error: Cannot open reading store ".*notes.txt": file is not a database/,
    );
    await assert.rejects(
      openSqliteStore(`${dir}/x.db`, { synchronous: "OFF" as "FULL" }),
      RangeError,
    );
  }));

/** Inserts `r` into the readings table of a version 1 to 3 database, as its `revision`. */
function insertReading(db: DatabaseSync, r: CleanReading, revision = 1): void {
  db.prepare(
    `INSERT INTO readings (station_id, ts_utc_ms, ts_local, ${MEASUREMENT_FIELDS.join(", ")},
    flags, rejected, status, source_topic, source_partition, source_offset, revision, stored_at)
    VALUES (${Array(MEASUREMENT_FIELDS.length + 11).fill("?").join(", ")})`,
  ).run(
    r.station_id,
    r.ts_utc_ms,
    r.ts,
    ...MEASUREMENT_FIELDS.map((f) => r.measurements[f]),
    JSON.stringify(r.flags),
    JSON.stringify(r.rejected),
    r.status,
    r.source.topic,
    r.source.partition,
    BigInt(r.source.offset),
    revision,
    "2026-05-01T12:00:00.000Z",
  );
}

/** Migration 1 of lib/storage/sqlite.ts as released: a database of schema version 1. */
const SQLITE_V1 = `CREATE TABLE readings (
    station_id TEXT NOT NULL CHECK (length(station_id) > 0),
    ts_utc_ms INTEGER NOT NULL,
    ts_local TEXT NOT NULL,
    co_mg_m3 REAL, pt08_s1_co REAL, nmhc_ug_m3 REAL, c6h6_ug_m3 REAL, pt08_s2_nmhc REAL,
    nox_ppb REAL, pt08_s3_nox REAL, no2_ug_m3 REAL, pt08_s4_no2 REAL, pt08_s5_o3 REAL,
    t_c REAL, rh_pct REAL, ah REAL,
    flags TEXT NOT NULL,
    rejected TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'flagged', 'outage')),
    source_topic TEXT NOT NULL,
    source_partition INTEGER NOT NULL CHECK (source_partition >= 0),
    source_offset INTEGER NOT NULL CHECK (source_offset >= 0),
    revision INTEGER NOT NULL DEFAULT 1,
    stored_at TEXT NOT NULL,
    PRIMARY KEY (station_id, ts_utc_ms)
  ) STRICT;
  CREATE INDEX readings_ts ON readings (ts_utc_ms);
  CREATE TABLE dead_letters (
    source_topic TEXT NOT NULL,
    source_partition INTEGER NOT NULL CHECK (source_partition >= 0),
    source_offset INTEGER NOT NULL CHECK (source_offset >= 0),
    msg_key TEXT,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    original BLOB,
    rejected_at TEXT NOT NULL,
    PRIMARY KEY (source_topic, source_partition, source_offset)
  ) STRICT;
  CREATE INDEX dead_letters_reason ON dead_letters (reason);`;

Deno.test("openSqliteStore() upgrades a version-1 database: readings kept, new tables added", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/v1.db`;
    const r = reading("a", 0);
    const d = deadLetter(1, BAD_UTF8);
    const v1 = new DatabaseSync(path);
    try {
      v1.exec(`PRAGMA journal_mode = WAL; ${SQLITE_V1}; PRAGMA user_version = 1`);
      insertReading(v1, r);
      v1.prepare("INSERT INTO dead_letters VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(
        d.source.topic,
        d.source.partition,
        BigInt(d.source.offset),
        d.key,
        d.reason,
        d.detail,
        d.original,
        d.rejected_at,
      );
    } finally {
      v1.close();
    }
    assert.equal(await userVersion(path), 1);
    const store = await openSqliteStore(path);
    try {
      assert.deepEqual(await store.readings(), [r]);
      assert.deepEqual(await store.deadLetters(), [d]);
      const f = forecast("a", 0, "CO(GT)", 1);
      const result = await store.writeBatch({
        readings: [r],
        deadLetters: [],
        forecasts: [f],
        estimates: [estimate("a", 0, "NO2(GT)")],
        alerts: [alert(1, "firing", "warning")],
        snapshots: [{ name: "m", value: { ok: true }, updated_at_ms: 5 }],
      });
      assert.deepEqual(result, {
        inserted: 0,
        duplicates: 1,
        deadLetters: 0,
        forecasts: 1,
        estimates: 1,
        alerts: 1,
      });
      assert.deepEqual(await store.forecasts(), [f]);
      const { stored_readings, dead_letters, forecasts, estimates, alerts } = await store.summary();
      assert.deepEqual(
        { stored_readings, dead_letters, forecasts, estimates, alerts },
        { stored_readings: 1, dead_letters: 1, forecasts: 1, estimates: 1, alerts: 1 },
      );
    } finally {
      await store.close();
    }
    assert.equal(await userVersion(path), SQLITE_SCHEMA_VERSION);
  }));

/** Migration 2 of lib/storage/sqlite.ts as released: with SQLITE_V1, a database of version 2. */
const SQLITE_V2 = `CREATE TABLE IF NOT EXISTS forecasts (
    forecast_id TEXT PRIMARY KEY CHECK (length(forecast_id) > 0),
    station_id TEXT NOT NULL CHECK (length(station_id) > 0),
    ts_ms INTEGER NOT NULL,
    target TEXT NOT NULL,
    horizon_h REAL NOT NULL,
    target_ts_ms INTEGER NOT NULL,
    value REAL,
    baseline INTEGER NOT NULL CHECK (baseline IN (0, 1)),
    record TEXT NOT NULL CHECK (json_valid(record)),
    stored_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS forecasts_ts ON forecasts (ts_ms, station_id, target, horizon_h);
  CREATE INDEX IF NOT EXISTS forecasts_station ON forecasts (station_id, ts_ms);
  CREATE TABLE IF NOT EXISTS estimates (
    estimate_id TEXT PRIMARY KEY CHECK (length(estimate_id) > 0),
    station_id TEXT NOT NULL CHECK (length(station_id) > 0),
    ts_ms INTEGER NOT NULL,
    target TEXT NOT NULL,
    value REAL NOT NULL,
    record TEXT NOT NULL CHECK (json_valid(record)),
    stored_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS estimates_ts ON estimates (ts_ms, station_id, target);
  CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT NOT NULL,
    state TEXT NOT NULL,
    severity TEXT NOT NULL,
    kind TEXT NOT NULL,
    station_id TEXT,
    raised_at_ms INTEGER NOT NULL,
    record TEXT NOT NULL CHECK (json_valid(record)),
    stored_at TEXT NOT NULL,
    PRIMARY KEY (alert_id, state, severity)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS alerts_raised ON alerts (raised_at_ms);
  CREATE TABLE IF NOT EXISTS snapshots (
    name TEXT PRIMARY KEY CHECK (length(name) > 0),
    value TEXT NOT NULL CHECK (json_valid(value)),
    updated_at_ms INTEGER NOT NULL,
    stored_at TEXT NOT NULL
  ) STRICT;`;

Deno.test("openSqliteStore() upgrades a version-2 database: its forecasts become sets", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/v2.db`;
    const targets = ["CO(GT)", "NO2(GT)"] as const;
    const v2Forecasts = ["b", "a"].flatMap((station) =>
      [0, 1].flatMap((hour) =>
        targets.flatMap((t) => [1, 24].map((h) => forecast(station, hour, t, h)))
      )
    );
    const unusual = { ...forecast("a", 2, "CO(GT)", 6), forecast_id: "made-by-hand" };
    const v2 = new DatabaseSync(path);
    try {
      v2.exec(`PRAGMA journal_mode = WAL; ${SQLITE_V1}; ${SQLITE_V2}; PRAGMA user_version = 2`);
      const insert = v2.prepare(`INSERT INTO forecasts (forecast_id, station_id, ts_ms, target,
        horizon_h, target_ts_ms, value, baseline, record, stored_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const f of [...v2Forecasts, unusual]) {
        insert.run(
          f.forecast_id,
          f.station_id,
          Date.parse(f.ts),
          f.target,
          f.horizon_h,
          Date.parse(f.target_ts),
          f.value,
          f.baseline ? 1 : 0,
          JSON.stringify(f),
          "2026-05-01T12:00:00.000Z",
        );
      }
    } finally {
      v2.close();
    }
    const store = await openSqliteStore(path);
    try {
      const all = [...v2Forecasts, unusual].sort(forecastOrder);
      assert.deepEqual(await store.forecasts(), all);
      assert.equal((await store.summary()).forecasts, all.length);
      assert.deepEqual(
        await store.forecasts({ station_id: "a", target: "NO2(GT)", horizon_h: 24 }),
        [0, 1].map((hour) => forecast("a", hour, "NO2(GT)", 24)),
      );
      // A forecast re-made after the upgrade replaces its version-2 row; the others stay.
      const remade = forecast("a", 1, "CO(GT)", 1, { value: 7, model: "gbt-2026-05-02" });
      const added = forecast("a", 1, "CO(GT)", 6);
      await store.writeBatch({ readings: [], deadLetters: [], forecasts: [remade, added] });
      const now = [...all.filter((f) => f.forecast_id !== remade.forecast_id), remade, added];
      assert.deepEqual(await store.forecasts(), now.sort(forecastOrder));
      assert.equal((await store.summary()).forecasts, all.length + 1);
    } finally {
      await store.close();
    }
    assert.equal(await userVersion(path), SQLITE_SCHEMA_VERSION);
    const tables = new DatabaseSync(path, { readOnly: true });
    try {
      const names = tables.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all();
      assert.ok(!names.some((t) => t.name === "forecasts"), "the version-2 table is dropped");
    } finally {
      tables.close();
    }
  }));

/** Migration 3 of lib/storage/sqlite.ts as released: with SQLITE_V1 and SQLITE_V2, version 3. */
const SQLITE_V3 = `CREATE TABLE forecast_templates (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
  ) STRICT;
  CREATE TABLE forecast_sets (
    station_id TEXT NOT NULL CHECK (length(station_id) > 0),
    ts_ms INTEGER NOT NULL,
    n INTEGER NOT NULL,
    records TEXT NOT NULL,
    numbers BLOB,
    stored_at TEXT NOT NULL,
    PRIMARY KEY (station_id, ts_ms)
  ) STRICT;
  CREATE INDEX forecast_sets_ts ON forecast_sets (ts_ms, station_id, n);
  INSERT INTO forecast_sets (station_id, ts_ms, n, records, numbers, stored_at)
    SELECT station_id, ts_ms, count(*), '[' || group_concat(record, ',') || ']', NULL,
      max(stored_at)
    FROM forecasts GROUP BY station_id, ts_ms;
  DROP TABLE forecasts;`;

Deno.test("openSqliteStore() upgrades a version-3 database: readings keyed by time first", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/v3.db`;
    const stored = ["c", "a", "b"].flatMap((s) => [2, 0, 1].map((h) => reading(s, h)));
    const rewritten = reading("a", 3, { offset: 9, missing: ["co_mg_m3"] });
    const v3 = new DatabaseSync(path);
    try {
      v3.exec(`PRAGMA journal_mode = WAL; ${SQLITE_V1}; ${SQLITE_V2}; ${SQLITE_V3};
        PRAGMA user_version = 3`);
      for (const r of stored) insertReading(v3, r);
      insertReading(v3, rewritten, 2);
    } finally {
      v3.close();
    }
    const store = await openSqliteStore(path);
    try {
      const all = [...stored, rewritten].sort((x, y) =>
        x.ts_utc_ms - y.ts_utc_ms || x.station_id.localeCompare(y.station_id)
      );
      assert.deepEqual(await store.readings(), all);
      assert.deepEqual(
        await store.readings({ station_id: "b", from_ms: all[0]!.ts_utc_ms }),
        [0, 1, 2].map((h) => reading("b", h)),
      );
      assert.equal((await store.details()).rewritten_readings, 1);
      // The conflict policy holds on the new key: a redelivery is a duplicate, a later offset
      // replaces the row, an earlier one does not.
      const later = reading("c", 1, { offset: 50, co: 9 });
      const earlier = reading("a", 3, { offset: 8 });
      const result = await store.writeBatch({
        readings: [reading("c", 0), later, earlier, reading("d", 0)],
        deadLetters: [],
      });
      assert.equal(result.inserted, 1);
      assert.equal(result.duplicates, 3);
      assert.deepEqual(await store.readings({ station_id: "c", from_ms: later.ts_utc_ms }), [
        later,
        reading("c", 2),
      ]);
      assert.deepEqual(await store.readings({ station_id: "a", from_ms: rewritten.ts_utc_ms }), [
        rewritten,
      ]);
      assert.equal((await store.details()).rewritten_readings, 2);
    } finally {
      await store.close();
    }
    assert.equal(await userVersion(path), SQLITE_SCHEMA_VERSION);
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const indexes = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index'").all();
      assert.ok(!indexes.some((i) => i.name === "readings_ts"), "the time index is dropped");
      const key = db.prepare("SELECT name FROM pragma_index_info(?)")
        .all("sqlite_autoindex_readings_1").map((c) => c.name);
      assert.deepEqual(key, ["ts_utc_ms", "station_id"]);
    } finally {
      db.close();
    }
  }));

Deno.test("openSqliteStore(): a template numbered in a rolled-back batch is numbered again", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/airq.db`;
    const store = await openSqliteStore(path);
    const made = (model: string) => [1, 6].map((h) => forecast("a", 0, "CO(GT)", h, { model }));
    try {
      // A new template is numbered, then the batch fails on a snapshot (written after the
      // forecasts): rolled back.
      const bad = { name: "m", value: new Map(), updated_at_ms: 1 };
      await assert.rejects(
        store.writeBatch({
          readings: [],
          deadLetters: [],
          forecasts: made("first"),
          snapshots: [bad],
        }),
        /nothing was written.*snapshot 0/,
      );
      // Another template takes the number the rolled-back one had.
      await store.writeBatch({ readings: [], deadLetters: [], forecasts: made("second") });
      assert.deepEqual(await store.forecasts(), made("second"));
      await store.writeBatch({ readings: [], deadLetters: [], forecasts: made("first") });
      assert.deepEqual(await store.forecasts(), made("first"));
    } finally {
      await store.close();
    }
    const again = await openSqliteStore(path);
    try {
      assert.deepEqual(await again.forecasts(), made("first"));
    } finally {
      await again.close();
    }
  }));

Deno.test("openSqliteStore(): two processes write one file at once (readings and forecasts)", () =>
  withTempDir(async (dir) => {
    const config = new URL("../../deno.json", import.meta.url);
    const storage = new URL("../../lib/storage/mod.ts", import.meta.url);
    const cases = new URL("./_store_cases.ts", import.meta.url);
    const path = `${dir}/db/airq.db`;
    const batches = 150;
    // The child opens (racing the parent to migrate the new file), says so, then writes forecasts.
    await Deno.writeTextFile(
      `${dir}/forecaster.ts`,
      `import { openSqliteStore } from ${JSON.stringify(storage.href)};
import { forecast } from ${JSON.stringify(cases.href)};
const store = await openSqliteStore(Deno.args[0]);
await Deno.writeTextFile(Deno.args[1], "ready");
for (let hour = 0; hour < ${batches}; hour++) {
  const forecasts = ["a", "b"].flatMap((s) => [1, 6, 24].map((h) => forecast(s, hour, "CO(GT)", h)));
  await store.writeBatch({ readings: [], deadLetters: [], forecasts });
}
await store.close();
`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--cached-only",
        "--frozen", // the lock's versions, whose packages deno task test cached; never written
        `--config=${config.pathname}`,
        `--allow-read=${dir}`,
        `--allow-write=${dir}`,
        `${dir}/forecaster.ts`,
        path,
        `${dir}/ready`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let exited = false;
    const store = await openSqliteStore(path);
    try {
      for (let waited = 0;; waited += 10) {
        try {
          await Deno.stat(`${dir}/ready`);
          break;
        } catch {
          if (waited > 30_000) throw new Error("the child never opened the store");
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      for (let hour = 0; hour < batches; hour++) {
        const readings = ["a", "b"].map((s) => reading(s, hour));
        // Forecasts too, of their own template: the two processes number templates in turn.
        const forecasts = [forecast("c", hour, "NO2(GT)", hour % 3, { model: `m${hour % 5}` })];
        await store.writeBatch({
          readings,
          deadLetters: [],
          forecasts,
          alerts: [alert(hour, "firing", "info")],
        });
      }
      const out = await child.output();
      exited = true;
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const summary = await store.summary();
      assert.equal(summary.stored_readings, 2 * batches);
      assert.equal(summary.forecasts, 7 * batches);
      const written = await store.forecasts({ station_id: "a" });
      assert.deepEqual(
        written,
        Array.from(
          { length: batches },
          (_, hour) => [1, 6, 24].map((h) => forecast("a", hour, "CO(GT)", h)),
        ).flat(),
      );
      assert.deepEqual(
        await store.forecasts({ station_id: "c" }),
        Array.from(
          { length: batches },
          (_, hour) => forecast("c", hour, "NO2(GT)", hour % 3, { model: `m${hour % 5}` }),
        ),
      );
      assert.equal(summary.alerts, batches);
    } finally {
      await store.close();
      if (!exited) {
        child.kill("SIGKILL");
        await child.output();
      }
    }
  }));

/** `deadLetter(9, BAD_UTF8)` as source text, for the child process. */
const DEAD_LETTER_SOURCE = `{ ...${JSON.stringify(deadLetter(9, null))}, original: new Uint8Array(${
  JSON.stringify([...BAD_UTF8])
}) }`;

Deno.test("writeBatch() is durable when it resolves: the writer is killed with SIGKILL", async (t) => {
  const config = new URL("../../deno.json", import.meta.url);
  const storage = new URL("../../lib/storage/mod.ts", import.meta.url);
  for (const synchronous of ["NORMAL", "FULL"] as const) {
    await t.step(`synchronous ${synchronous}`, () =>
      withTempDir(async (dir) => {
        const readings = Array.from({ length: 500 }, (_, h) => reading("kill-9", h));
        await Deno.writeTextFile(`${dir}/batch.json`, JSON.stringify(readings));
        await Deno.writeTextFile(
          `${dir}/writer.ts`,
          `import { openSqliteStore } from ${JSON.stringify(storage.href)};
const readings = JSON.parse(await Deno.readTextFile(${JSON.stringify(`${dir}/batch.json`)}));
const store = await openSqliteStore(Deno.args[0], { synchronous: ${JSON.stringify(synchronous)} });
await store.writeBatch({ readings, deadLetters: [${DEAD_LETTER_SOURCE}] });
Deno.kill(Deno.pid, "SIGKILL");
`,
        );
        const path = `${dir}/db/airq.db`;
        const child = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--no-prompt",
            "--cached-only",
            "--frozen",
            `--config=${config.pathname}`,
            `--allow-read=${dir}`,
            `--allow-write=${dir}`,
            "--allow-run",
            `${dir}/writer.ts`,
            path,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const stderr = new TextDecoder().decode(child.stderr);
        assert.equal(child.signal, "SIGKILL", `writer did not die by SIGKILL: ${stderr}`);
        assert.ok(
          (await Deno.stat(`${path}-wal`)).size > 0,
          "the batch should still be in the WAL",
        );
        const store = await openSqliteStore(path);
        try {
          assert.deepEqual(await store.readings(), readings);
          assert.deepEqual(await store.deadLetters(), [deadLetter(9, BAD_UTF8)]);
        } finally {
          await store.close();
        }
      }));
  }
});

// ---- Both stores agree -------------------------------------------------------------------------

Deno.test("openSqliteStore() and MemoryStore agree on any sequence of batches", () =>
  withTempDir(async (dir) => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(arbBatch, { minLength: 1, maxLength: 6 }), async (batches) => {
        const path = `${dir}/run-${run++}.db`;
        const sqlite = await openSqliteStore(path);
        const memory = new MemoryStore();
        try {
          for (const { poisoned, readings, ...records } of batches) {
            // A poisoned batch ends in a reading SQLite refuses (REAL in a STRICT INTEGER column).
            const poison = { ...reading("p", 0), ts_utc_ms: 0.5 };
            const batch = { ...records, readings: poisoned ? [...readings, poison] : readings };
            const [a, b] = await Promise.allSettled([
              sqlite.writeBatch(batch),
              memory.writeBatch(batch),
            ]);
            assert.equal(a.status, b.status);
            if (a.status === "fulfilled" && b.status === "fulfilled") {
              assert.deepEqual(a.value, b.value);
            }
          }
          assert.deepEqual(await contents(sqlite), await contents(memory));
        } finally {
          await sqlite.close();
          await memory.close();
          await Deno.remove(path);
        }
      }),
      // Shrinking nested batches can take minutes: report the best counterexample found in 10 s.
      { numRuns: 60 },
    );
  }));
