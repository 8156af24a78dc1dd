/**
 * `deno task dashboard`: the live dashboard on http://127.0.0.1:PORT/. Follows
 * the raw, dead-letter and alerts topics (and the forecasts and estimates
 * topics as soon as they exist) from a recent window, shows the store's counts
 * when `--db` is given, and pushes updates to the page over Server-Sent
 * Events. Read-only; Ctrl-C stops it. It starts no broker: run
 * `deno task broker up` or `deno task demo` for that.
 *
 * ```
 * deno task dashboard [--port N] [--db PATH] [--group ID] [--hostname HOST]
 * ```
 *
 * Permissions (the `dashboard` task; see docs/dashboard.md):
 * `--allow-read=.,$HOME,/tmp` (config, the page, uPlot in Deno's npm cache, the
 * database), `--allow-write=var,$HOME,/tmp` (SQLite's WAL index of `--db`),
 * `--allow-env=AIRQ_*,INIT_CWD,NODE_ENV,KAFKAJS_*`, `--allow-net=127.0.0.1,localhost`.
 *
 * @module
 */
import { CONFIG_DIR, loadConfig, loadKafkaConfig, loadTopicsConfig } from "../lib/config/mod.ts";
import { ForecastConfigSchema } from "../lib/offline/mod.ts";
import { type ExpectedMae, ExpectedMaeSchema } from "../lib/records/mod.ts";
import { join } from "node:path";
import { loadDashboardConfig, startDashboard } from "../lib/dashboard/mod.ts";
import { QUALITY_CONFIG_FILE, QualityRulesSchema } from "../lib/quality/mod.ts";
import { openSqliteStore, type ReadingStore } from "../lib/storage/mod.ts";
import { env, println } from "../lib/cli/io.ts";
import { type ArgsOf, defineCommand, opt, runCommand } from "../lib/cli/command.ts";
import { configureLogging, getLogger } from "../lib/log.ts";
import { awaitCluster } from "../lib/kafka/mod.ts";
import { stopOnSignals, stopped } from "../lib/stop.ts";

const CLI = defineCommand({
  task: "dashboard",
  description:
    "The live dashboard: readings, forecasts, alerts and pipeline health in the browser.",
  options: {
    port: opt.int("port on 127.0.0.1 (default from config/dashboard.json; 0 = any free one)", {
      min: 0,
      max: 65535,
    }),
    db: opt.path("also show the counts of this SQLite store (read every few seconds at most)", {
      input: true,
    }),
    group: opt.string("the consumer group whose lag is shown (default: airq-consumer)", {
      value: "ID",
    }),
    hostname: opt.string("bind to HOST instead of 127.0.0.1 (exposes the page; read-only)", {
      value: "HOST",
    }),
  },
  notes: "Environment: AIRQ_KAFKA_BROKERS, AIRQ_TOPIC_PREFIX, AIRQ_LOG_LEVEL, AIRQ_LOG_FORMAT.",
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  await configureLogging();
  const log = getLogger(["airq", "dashboard"]);
  const port = values.port;
  const config = await loadDashboardConfig();
  const kafka = await loadKafkaConfig(env);
  const topics = (await loadTopicsConfig(env)).topics;
  const rules = await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema);
  const hostname = values.hostname ?? config.server.hostname;
  if (!["127.0.0.1", "localhost", "::1"].includes(hostname)) {
    log.warn("Binding to {hostname}: the page is reachable from the network", { hostname });
  }
  let store: ReadingStore | undefined;
  if (values.db !== undefined) store = await openSqliteStore(values.db);

  // the offline MAE of the trained version, for the live MAE to be compared with
  const forecastConfig = await loadConfig(
    new URL("forecast.json", CONFIG_DIR),
    ForecastConfigSchema,
  );
  const expectedPath = join(forecastConfig.modelDir, "expected.json");
  let expected: ExpectedMae | null = null;
  try {
    expected = ExpectedMaeSchema.parse(JSON.parse(await Deno.readTextFile(expectedPath)));
  } catch (error) {
    log.info("No expected MAE ({path}: {error}): the page shows live MAE alone", {
      path: expectedPath,
      error: error instanceof Error ? error.message : String(error),
    });
  }

  const stops = stopOnSignals();
  try {
    await awaitCluster(kafka, { signal: stops.signal });
    const dashboard = await startDashboard({
      kafka,
      topics,
      prefix: env("AIRQ_TOPIC_PREFIX") ?? "",
      config,
      rules,
      store,
      port,
      hostname,
      watchGroup: values.group,
      expected,
    });
    println(`Dashboard ready: ${dashboard.url}  (Ctrl-C stops it)`);
    await stopped(stops.signal);
    log.info("{signal}: stopping", { signal: stops.received });
    await dashboard.stop();
    println("dashboard stopped");
    return 0;
  } finally {
    await store?.close();
  }
}

if (import.meta.main) await runCommand(CLI, main);
