/**
 * `deno task monitor --db PATH|URL [--alerts N]`: the forecaster's live model
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
import { parseArgs } from "node:util";
import { CONFIG_DIR, ConsumerConfigSchema, loadConfig } from "../lib/config/mod.ts";
import { MONITOR_SNAPSHOT } from "../lib/realtime/observers.ts";
import { MonitorOutputSchema } from "../lib/monitoring/mod.ts";
import { openStore, requireExistingStore, storeLabel } from "../lib/storage/mod.ts";
import { println, runMain } from "../lib/cli/io.ts";

const HELP = `The forecaster's live metrics and drift state, as JSON.

  --db PATH|URL   the forecaster's store (default: AIRQ_DB or db of config/consumer.json)
  --alerts N      how many of the latest alerts to include (default 20)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      db: { type: "string" },
      alerts: { type: "string", default: "20" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    println(HELP);
    return 0;
  }
  const limit = Number(values.alerts);
  if (!Number.isInteger(limit) || limit < 0) {
    throw new Error(`--alerts must be a whole number >= 0, got "${values.alerts}"`);
  }
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
    println(JSON.stringify(MonitorOutputSchema.parse({
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
    })));
    return 0;
  } finally {
    await store.close();
  }
}

if (import.meta.main) await runMain(main);
