import assert from "node:assert/strict";
import fc from "fast-check";
import {
  MemoryStore,
  openSqliteStore,
  type ReadingStore,
  SQLITE_SCHEMA_VERSION,
} from "../../lib/storage/mod.ts";
import {
  arbBatch,
  BAD_UTF8,
  deadLetter,
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
          for (const { poisoned, readings, deadLetters } of batches) {
            // A poisoned batch ends in a reading SQLite refuses (REAL in a STRICT INTEGER column).
            const poison = { ...reading("p", 0), ts_utc_ms: 0.5 };
            const batch = { readings: poisoned ? [...readings, poison] : readings, deadLetters };
            const [a, b] = await Promise.allSettled([
              sqlite.writeBatch(batch),
              memory.writeBatch(batch),
            ]);
            assert.equal(a.status, b.status);
            if (a.status === "fulfilled" && b.status === "fulfilled") {
              assert.deepEqual(a.value, b.value);
            }
          }
          assert.deepEqual(await sqlite.readings(), await memory.readings());
          assert.deepEqual(await sqlite.deadLetters(), await memory.deadLetters());
          assert.deepEqual(await sqlite.summary(), await memory.summary());
          assert.deepEqual(await sqlite.details(), await memory.details());
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
