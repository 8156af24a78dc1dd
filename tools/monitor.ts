/**
 * `deno task monitor --db PATH|URL [--alerts N] [--episodes] [--json [PATH]]`: the forecaster's live model
 * monitoring as JSON — live MAE per station, target and horizon beside the
 * offline expectation, the Page-Hinkley and PSI drift state, and the latest
 * alerts — as the forecaster last stored it (at most once a second, in the
 * same write as its forecasts). Each forecaster process stores its own snapshot;
 * they are merged (lib/monitoring/merge.ts), and `members` says which process
 * each station came from. Exits 1 with a clear message when the store holds no
 * snapshot yet.
 *
 * Prints `{"db", "updated_at", "age_s", "store": {"forecasts", "estimates", "alerts"},
 * "monitor": <snapshot, docs/monitoring.md>, "members": [...], "recent_alerts": [...]}`; with
 * `--episodes`, also `"drift_episodes": [...]`, every drift episode in the
 * store (lib/monitoring/episodes.ts).
 *
 * Permissions: those of `quality` (read the store; SQLite opens its WAL files).
 *
 * @module
 */
import { storeTarget } from "../lib/cli/paths.ts";
import { CONFIG_DIR, ConsumerConfigSchema, loadConfig } from "../lib/config/mod.ts";
import { MONITOR_SNAPSHOT } from "../lib/realtime/observers.ts";
import {
  driftEpisodes,
  mergeMonitorSnapshots,
  MonitorEpisodesOutputSchema,
  MonitorOutputSchema,
  MonitorSnapshotSchema,
} from "../lib/monitoring/mod.ts";
import { z } from "zod";
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
    episodes: opt.flag(
      "also list every drift episode in the store (detector, field, target, horizon, when it " +
        "fired and resolved, evidence) as drift_episodes",
    ),
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
    // one snapshot per forecaster process (group members each watch their own stations)
    const stored = await store.snapshots(MONITOR_SNAPSHOT);
    if (stored.length === 0) {
      throw new Error(
        `${label} holds no monitoring snapshot yet: the forecaster stores one with its ` +
          "first forecasts (`deno task forecast --db " + label + "`)",
      );
    }
    const snapshot = mergeMonitorSnapshots(stored.map((row) => {
      const parsed = MonitorSnapshotSchema.safeParse(row.value);
      if (!parsed.success) {
        throw new TypeError(
          `${label}: snapshot "${row.name}" is not a monitoring snapshot: ` +
            z.prettifyError(parsed.error),
        );
      }
      return { ...row, value: parsed.data };
    }));
    const summary = await store.summary();
    // the readings the monitor saw (the store may hold earlier ones: a warm start's history)
    const range = snapshot.monitor.event_range;
    const monitoredReadings = () =>
      range.from === null || range.to === null ? Promise.resolve([]) : store.readings({
        from_ms: Date.parse(range.from),
        to_ms: Date.parse(range.to) + 1,
      });
    const output = {
      db: label,
      updated_at: new Date(snapshot.updated_at_ms).toISOString(),
      age_s: Math.round((Date.now() - snapshot.updated_at_ms) / 100) / 10,
      store: {
        forecasts: summary.forecasts,
        estimates: summary.estimates,
        alerts: summary.alerts,
      },
      monitor: snapshot.monitor,
      members: snapshot.members,
      recent_alerts: limit === 0 ? [] : await store.alerts(limit),
    };
    // the one schema of the output, checked by its writer as by its readers (the final report)
    await writeJson(
      values.json ?? { path: null },
      values.episodes
        ? MonitorEpisodesOutputSchema.parse({
          ...output,
          drift_episodes: driftEpisodes(await store.alerts(), await monitoredReadings()),
        })
        : MonitorOutputSchema.parse(output),
    );
    return 0;
  } finally {
    await store.close();
  }
}

if (import.meta.main) await runCommand(CLI, main);
