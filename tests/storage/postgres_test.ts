/**
 * The PostgreSQL store against a real server that this file starts (Debian's
 * binaries; see `_postgres.ts`): the same behaviour as the SQLite and memory
 * stores (tests/storage/_store_cases.ts), its migrations, agreement with
 * MemoryStore on random batches, and the time a 10,000-reading batch takes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { CLEAN_SCHEMA_VERSION, type CleanReading } from "../../lib/records/mod.ts";
import {
  isPostgresUrl,
  MemoryStore,
  openPostgresStore,
  openStore,
  POSTGRES_SCHEMA_VERSION,
  storeLabel,
} from "../../lib/storage/mod.ts";
import {
  arbBatch,
  BAD_UTF8,
  deadLetter,
  HOUR_MS,
  reading,
  STORE_CASES,
  T0,
  withTempDir,
} from "./_store_cases.ts";
import { startTestPostgres } from "./_postgres.ts";
import { freePort } from "../_kafka.ts";
import { eprintln } from "../../lib/cli.ts";

Deno.test("openPostgresStore() on a private PostgreSQL server", async (t) => {
  const pg = await startTestPostgres();
  try {
    for (const { title, fn } of STORE_CASES) {
      await t.step(title, async () => {
        const store = await openPostgresStore(await pg.scratchDatabase());
        try {
          await fn(store);
        } finally {
          await store.close();
        }
      });
    }

    await t.step("migrates an empty database once and keeps data across reopening", async () => {
      const url = await pg.createDatabase();
      const database = new URL(url).pathname.slice(1);
      const batch = {
        readings: [reading("a", 0), reading("a", 1)],
        deadLetters: [deadLetter(1, BAD_UTF8)],
      };
      // Two openers at once: the advisory lock lets one migrate, the other waits.
      const [first, second] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
      await first.writeBatch(batch);
      await first.close();
      await second.close();
      assert.equal(
        (await pg.psql(database, "SELECT version FROM airq_schema")).trim(),
        String(POSTGRES_SCHEMA_VERSION),
      );
      const again = await openStore(url);
      try {
        assert.deepEqual(await again.readings(), batch.readings);
        assert.deepEqual(await again.deadLetters(), batch.deadLetters);
        assert.equal((await again.writeBatch(batch)).duplicates, 2);
      } finally {
        await again.close();
      }
    });

    await t.step("refuses a database from a newer airq and leaves it alone", async () => {
      const url = await pg.createDatabase();
      const database = new URL(url).pathname.slice(1);
      await (await openPostgresStore(url)).close();
      const newer = POSTGRES_SCHEMA_VERSION + 1;
      await pg.psql(database, `UPDATE airq_schema SET version = ${newer}`);
      await assert.rejects(
        openPostgresStore(url),
        new Error(
          `Cannot open reading store "${url}": its schema version is ${newer}, but this airq ` +
            `knows versions up to ${POSTGRES_SCHEMA_VERSION}. A newer airq wrote it: run that ` +
            "version, or use another database.",
        ),
      );
      assert.equal((await pg.psql(database, "SELECT version FROM airq_schema")).trim(), `${newer}`);
    });

    await t.step("refuses text PostgreSQL cannot hold, naming the item", async () => {
      const store = await openPostgresStore(await pg.scratchDatabase());
      try {
        const letter = { ...deadLetter(5, null), key: "a\0b" };
        await assert.rejects(
          store.writeBatch({ readings: [reading("a", 0)], deadLetters: [letter] }),
          /nothing was written.*dead letter 0 \(airq.readings.raw\/1@5\): .*U\+0000/,
        );
        assert.equal((await store.summary()).stored_readings, 0);
      } finally {
        await store.close();
      }
    });

    await t.step("agrees with MemoryStore on any sequence of batches", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(arbBatch, { minLength: 1, maxLength: 6 }), async (batches) => {
          const postgres = await openPostgresStore(await pg.scratchDatabase());
          const memory = new MemoryStore();
          try {
            for (const { poisoned, readings, deadLetters } of batches) {
              // A poisoned batch ends in a reading every store refuses (a fractional ts_utc_ms).
              const poison = { ...reading("p", 0), ts_utc_ms: 0.5 };
              const batch = { readings: poisoned ? [...readings, poison] : readings, deadLetters };
              const [a, b] = await Promise.allSettled([
                postgres.writeBatch(batch),
                memory.writeBatch(batch),
              ]);
              assert.equal(a.status, b.status);
              if (a.status === "fulfilled" && b.status === "fulfilled") {
                assert.deepEqual(a.value, b.value);
              }
            }
            assert.deepEqual(await postgres.readings(), await memory.readings());
            assert.deepEqual(await postgres.deadLetters(), await memory.deadLetters());
            assert.deepEqual(await postgres.summary(), await memory.summary());
            assert.deepEqual(await postgres.details(), await memory.details());
          } finally {
            await postgres.close();
            await memory.close();
          }
        }),
        // Fewer runs than SQLite's 60: each one empties a database on a server.
        { numRuns: 25, plugins: [fc.interruptAfterTimeLimit(10_000, { failOnInterrupt: true })] },
      );
    });

    await t.step("writes a batch of 10,000 readings in one transaction", async () => {
      const store = await openPostgresStore(await pg.scratchDatabase());
      try {
        const batch = (first: number, offset: number): CleanReading[] =>
          Array.from({ length: 10_000 }, (_, i) => ({
            ...reading(`station-${i % 5}`, first + Math.floor(i / 5), { offset: offset + i }),
            schema_version: CLEAN_SCHEMA_VERSION,
          }));
        const timed = async (readings: CleanReading[]) => {
          const t0 = performance.now();
          const result = await store.writeBatch({ readings, deadLetters: [] });
          return { result, ms: Math.round(performance.now() - t0) };
        };
        const fresh = await timed(batch(0, 0));
        const redelivered = await timed(batch(0, 0));
        const later = await timed(batch(0, 10_000));
        assert.deepEqual(fresh.result, { inserted: 10_000, duplicates: 0, deadLetters: 0 });
        assert.deepEqual(redelivered.result, { inserted: 0, duplicates: 10_000, deadLetters: 0 });
        assert.deepEqual(later.result, { inserted: 0, duplicates: 10_000, deadLetters: 0 });
        assert.equal((await store.details()).rewritten_readings, 10_000);
        const last = await store.readings({ from_ms: T0 + 1999 * HOUR_MS, limit: 5 });
        assert.deepEqual(last.map((r) => r.source.offset), [
          "19995",
          "19996",
          "19997",
          "19998",
          "19999",
        ]);
        // Printed for the record (docs/architecture.md quotes them); bounds only catch pathologies.
        eprintln(
          `postgres: 10,000 readings: new ${fresh.ms} ms, redelivered ${redelivered.ms} ms, ` +
            `replacing ${later.ms} ms`,
        );
        assert.ok(fresh.ms < 10_000, `a fresh batch took ${fresh.ms} ms`);
      } finally {
        await store.close();
      }
    });
  } finally {
    await pg.stop();
  }
});

Deno.test("openPostgresStore() names the server it cannot reach, without the password", async () => {
  const url = `postgres://airq:s3cret@127.0.0.1:${freePort()}/airq`;
  await assert.rejects(openPostgresStore(url, { connectTimeoutS: 5 }), (e: Error) => {
    assert.match(
      e.message,
      /^Cannot open reading store "postgres:\/\/airq:\*\*\*@127\.0\.0\.1:\d+\/airq": /,
    );
    assert.doesNotMatch(e.message, /s3cret/);
    return true;
  });
});

Deno.test("openStore() opens PostgreSQL for postgres:// and postgresql:// URLs, SQLite for paths", () =>
  withTempDir(async (dir) => {
    assert.equal(isPostgresUrl("postgres://h/db"), true);
    assert.equal(isPostgresUrl("postgresql://u:p@h:5433/db"), true);
    assert.equal(isPostgresUrl("var/airq.db"), false);
    assert.equal(isPostgresUrl(`${dir}/postgres.db`), false);
    assert.equal(storeLabel("postgresql://u:p@h:5433/db"), "postgresql://u:***@h:5433/db");
    assert.equal(storeLabel("var/airq.db"), "var/airq.db");
    const sqlite = await openStore(`${dir}/airq.db`, { synchronous: "FULL" });
    try {
      await sqlite.writeBatch({ readings: [reading("a", 0)], deadLetters: [] });
      assert.equal((await sqlite.summary()).stored_readings, 1);
    } finally {
      await sqlite.close();
    }
    await Deno.stat(`${dir}/airq.db`);
  }));
