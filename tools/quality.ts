/**
 * `deno task quality --db PATH|URL [--json]`: what the store (a SQLite file or a
 * `postgres://` URL) holds — readings, stations, missing values per source
 * column, dead letters, and the forecasts, virtual-sensor estimates and alert
 * events stored beside them — and, without `--json`, the details (time range,
 * statuses, flags, dead-letter reasons).
 *
 * `--json` prints `{"stored_readings", "stations", "missing": {"CO(GT)": n, ...},
 * "dead_letters", "forecasts", "estimates", "alerts"}` (row counts).
 *
 * Permissions: `--allow-read=.,$HOME,/tmp` (config and the database),
 * `--allow-write=var,$HOME,/tmp` (SQLite opens its WAL files),
 * `--allow-env=AIRQ_*,INIT_CWD,PG*` (npm `postgres` reads the libpq variables),
 * `--allow-net=127.0.0.1,localhost` (a local PostgreSQL).
 *
 * @module
 */
import { storeTarget } from "../lib/cli/paths.ts";
import { parseArgs } from "node:util";
import { CONFIG_DIR, ConsumerConfigSchema, loadConfig } from "../lib/config/mod.ts";
import { openStore, requireExistingStore, storeLabel } from "../lib/storage/mod.ts";
import { println, runMain } from "../lib/cli/io.ts";
import { StoreSummarySchema } from "../lib/records/mod.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { db: { type: "string" }, json: { type: "boolean", default: false } },
  });
  const config = await loadConfig(new URL("consumer.json", CONFIG_DIR), ConsumerConfigSchema);
  const dbTarget = storeTarget(values.db, config.db);
  const dbPath = storeLabel(dbTarget); // no password in output
  await requireExistingStore(
    dbTarget,
    `run \`deno task consume --db ${dbPath}\` first, or pass --db PATH`,
  );
  const store = await openStore(dbTarget);
  try {
    const summary = await store.summary();
    if (values.json) {
      println(JSON.stringify(StoreSummarySchema.parse(summary))); // its one schema, as its readers parse it
      return 0;
    }
    println(
      `${dbPath}: ${summary.stored_readings} readings from ${summary.stations} station(s), ${summary.dead_letters} dead letters`,
    );
    println(
      `forecasts: ${summary.forecasts}, estimates: ${summary.estimates}, alert events: ${summary.alerts}`,
    );
    println("missing values per column:");
    for (const [column, n] of Object.entries(summary.missing)) {
      const share = summary.stored_readings > 0
        ? ((100 * n) / summary.stored_readings).toFixed(1)
        : "0.0";
      println(`  ${column.padEnd(14)} ${String(n).padStart(8)}  (${share} %)`);
    }
    println(JSON.stringify(await store.details(), null, 2));
    return 0;
  } finally {
    await store.close();
  }
}

if (import.meta.main) await runMain(main);
