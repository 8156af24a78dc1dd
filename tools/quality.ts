/**
 * `deno task quality --db PATH|URL [--json [PATH]]`: what the store (a SQLite file or a
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
import { CONFIG_DIR, ConsumerConfigSchema, loadConfig } from "../lib/config/mod.ts";
import {
  openStore,
  requireExistingStore,
  type StoreDetails,
  storeLabel,
} from "../lib/storage/mod.ts";
import { println } from "../lib/cli/io.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "../lib/cli/command.ts";
import { StoreSummarySchema } from "../lib/records/mod.ts";

const CLI = defineCommand({
  task: "quality",
  description: "What the store holds: readings, stations, missing values per column, dead " +
    "letters, forecasts, estimates and alert events; and the details (time range, statuses, " +
    "flags, dead-letter reasons).",
  options: {
    db: opt.string("SQLite file or postgres:// URL", {
      value: "PATH|URL",
      expected: "a SQLite file path or a postgres:// URL",
      default: undefined,
    }),
    json: opt.json("print the counts as JSON; with PATH, write them to that file"),
  },
  notes: "--db defaults to AIRQ_DB, else db of config/consumer.json.",
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
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
    if (values.json !== undefined) {
      await writeJson(values.json, StoreSummarySchema.parse(summary)); // its one schema
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
    for (const line of detailLines(await store.details())) println(line);
    return 0;
  } finally {
    await store.close();
  }
}

/** The store's details as text lines (the JSON counts are `--json`'s). */
function detailLines(details: StoreDetails): string[] {
  const time = (ms: number | null) => ms === null ? "-" : new Date(ms).toISOString();
  const pairs = (record: Record<string, number | undefined>) =>
    Object.entries(record).map(([k, n]) => `${k} ${n ?? 0}`).join(", ") || "-";
  const lines = [
    `time range (UTC): ${time(details.first_ts_utc_ms)} to ${time(details.last_ts_utc_ms)}`,
    `readings per status: ${pairs(details.status)}`,
    `readings rewritten by a redelivery or a later message: ${details.rewritten_readings}`,
    "flags per column:",
  ];
  const flagged = Object.entries(details.flags);
  if (flagged.length === 0) lines.push("  -");
  for (const [column, flags] of flagged) lines.push(`  ${column.padEnd(14)} ${pairs(flags)}`);
  lines.push(`dead letters per reason: ${pairs(details.dead_letter_reasons)}`);
  return lines;
}

if (import.meta.main) await runCommand(CLI, main);
