import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { MEASUREMENT_FIELDS } from "../../lib/records/mod.ts";
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
      v1.prepare(
        `INSERT INTO readings (station_id, ts_utc_ms, ts_local, ${MEASUREMENT_FIELDS.join(", ")},
        flags, rejected, status, source_topic, source_partition, source_offset, stored_at)
        VALUES (${Array(MEASUREMENT_FIELDS.length + 10).fill("?").join(", ")})`,
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
        "2026-05-01T12:00:00.000Z",
      );
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
        "--no-lock",
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
        await store.writeBatch({
          readings,
          deadLetters: [],
          alerts: [alert(hour, "firing", "info")],
        });
      }
      const out = await child.output();
      exited = true;
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const summary = await store.summary();
      assert.equal(summary.stored_readings, 2 * batches);
      assert.equal(summary.forecasts, 6 * batches);
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
            "--no-lock",
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
      { numRuns: 60, plugins: [fc.interruptAfterTimeLimit(10_000, { failOnInterrupt: true })] },
    );
  }));
