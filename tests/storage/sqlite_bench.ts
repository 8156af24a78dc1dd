/**
 * Write and read throughput of the SQLite reading store, on a temp file:
 *
 * ```sh
 * deno bench --no-prompt --allow-read --allow-write tests/storage/sqlite_bench.ts
 * ```
 *
 * @module
 */
import { CLEAN_SCHEMA_VERSION, type CleanReading } from "../../lib/records/mod.ts";
import { openSqliteStore } from "../../lib/storage/mod.ts";
import { UCI_FIRST_ROW } from "../_uci_rows.ts";

const HOUR_MS = 3_600_000;
const T0 = Date.UTC(2004, 2, 10, 17);

const dir = await Deno.makeTempDir({ prefix: "airq-bench-" });
const normal = await openSqliteStore(`${dir}/normal.db`);
const full = await openSqliteStore(`${dir}/full.db`, { synchronous: "FULL" });
globalThis.addEventListener("unload", () => {
  // close() runs synchronously inside; the promises are settled already.
  void normal.close();
  void full.close();
  Deno.removeSync(dir, { recursive: true });
});

const STATIONS = 5;
let nextHour = 0;
let nextOffset = 0;
/** `n` readings of 5 stations, in the hours after the previous call: keys no batch used before. */
function freshReadings(n: number): CleanReading[] {
  const first = nextHour;
  nextHour += Math.ceil(n / STATIONS);
  return Array.from({ length: n }, (_, i) => {
    const h = first + Math.floor(i / STATIONS);
    return {
      schema_version: CLEAN_SCHEMA_VERSION,
      station_id: `station-${i % STATIONS}`,
      ts: `${new Date(T0 + (h + 1) * HOUR_MS).toISOString().slice(0, 19)}+01:00`,
      ts_utc_ms: T0 + h * HOUR_MS,
      measurements: { ...UCI_FIRST_ROW, nmhc_ug_m3: h % 10 === 0 ? 150 : null },
      flags: h % 10 === 0 ? {} : { nmhc_ug_m3: ["missing"] },
      rejected: {},
      status: "ok",
      source: { topic: "airq.readings.raw", partition: 0, offset: String(nextOffset++) },
    };
  });
}

const redelivered = freshReadings(10_000);
await normal.writeBatch({ readings: redelivered, deadLetters: [] });

Deno.bench({
  name: "writeBatch(): 10,000 new readings (NORMAL)",
  group: "write 10k",
  baseline: true,
  n: 100,
  warmup: 5,
  async fn(b) {
    const readings = freshReadings(10_000);
    b.start();
    await normal.writeBatch({ readings, deadLetters: [] });
    b.end();
  },
});

Deno.bench({
  name: "writeBatch(): 10,000 redelivered readings, all duplicates (NORMAL)",
  group: "write 10k",
  n: 100,
  warmup: 5,
  async fn() {
    await normal.writeBatch({ readings: redelivered, deadLetters: [] });
  },
});

Deno.bench({
  name: "writeBatch(): 10,000 new readings (FULL)",
  group: "write 10k",
  n: 100,
  warmup: 5,
  async fn(b) {
    const readings = freshReadings(10_000);
    b.start();
    await full.writeBatch({ readings, deadLetters: [] });
    b.end();
  },
});

Deno.bench({
  name: "writeBatch(): 100,000 new readings in one batch (NORMAL)",
  n: 10,
  warmup: 1,
  async fn(b) {
    const readings = freshReadings(100_000);
    b.start();
    await normal.writeBatch({ readings, deadLetters: [] });
    b.end();
  },
});

Deno.bench({
  name: "readings(): 10,000 readings (2,000 hours of 5 stations), validated",
  n: 30,
  warmup: 3,
  async fn() {
    await normal.readings({ from_ms: T0, to_ms: T0 + 2_000 * HOUR_MS });
  },
});
