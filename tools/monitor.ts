/**
 * `deno task monitor --db PATH|URL [--alerts N] [--json [PATH]]`: the forecaster's live model
 * monitoring as JSON — live MAE per station, target and horizon beside the
 * offline expectation, the Page-Hinkley and PSI drift state, and the latest
 * alerts — as the forecaster last stored it (at most once a second, in the
 * same write as its forecasts). Exits 1 with a clear message when the store
 * holds no snapshot yet.
 *
 * Prints `{"db", "updated_at", "age_s", "store": {"forecasts", "estimates", "alerts"},
 * "monitor": <snapshot, docs/monitoring.md>, "recent_alerts": [...]}`.
 *
 * Permissions: those of `quality` (read the store; SQLite opens its WAL files).
 *
 * @module
 */
import { storeTarget } from "../lib/cli/paths.ts";
import { CONFIG_DIR, ConsumerConfigSchema, loadConfig } from "../lib/config/mod.ts";
import { MONITOR_SNAPSHOT } from "../lib/realtime/observers.ts";
import { MonitorOutputSchema } from "../lib/monitoring/mod.ts";
import { openStore, requireExistingStore, storeLabel } from "../lib/storage/mod.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "../lib/cli/command.ts";

const CLI = defineCommand({
  task: "monitor",
  description: "The forecaster's live metrics and drift state, as JSON (what the forecaster " +
    "last stored with its forecasts).",
  options: {
    db: opt.string("the forecaster's store: SQLite file or postgres:// URL", {
      value: "PATH|URL",
      expected: "a SQLite file path or a postgres:// URL",
      default: undefined,
    }),
    alerts: opt.int("how many of the latest alerts to include", { min: 0, default: 20 }),
    json: opt.json("where the JSON goes: stdout (the default), or with PATH that file"),
  },
  notes: "--db defaults to AIRQ_DB, else db of config/consumer.json.",
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  const limit = values.alerts;
  const config = await loadConfig(new URL("consumer.json", CONFIG_DIR), ConsumerConfigSchema);
  const dbTarget = storeTarget(values.db, config.db);
  const label = storeLabel(dbTarget);
  await requireExistingStore(dbTarget, `run \`deno task forecast --db ${label}\` first`);
  const store = await openStore(dbTarget);
  try {
    const snapshot = await store.snapshot(MONITOR_SNAPSHOT);
    if (snapshot === null) {
      throw new Error(
        `${label} holds no monitoring snapshot yet: the forecaster stores one with its ` +
          "first forecasts (`deno task forecast --db " + label + "`)",
      );
    }
    const summary = await store.summary();
    // the one schema of the output, checked by its writer as by its reader (the final report)
    await writeJson(
      values.json ?? { path: null },
      MonitorOutputSchema.parse({
        db: label,
        updated_at: new Date(snapshot.updated_at_ms).toISOString(),
        age_s: Math.round((Date.now() - snapshot.updated_at_ms) / 100) / 10,
        store: {
          forecasts: summary.forecasts,
          estimates: summary.estimates,
          alerts: summary.alerts,
        },
        monitor: snapshot.value,
        recent_alerts: limit === 0 ? [] : await store.alerts(limit),
      }),
    );
    return 0;
  } finally {
    await store.close();
  }
}

if (import.meta.main) await runCommand(CLI, main);
