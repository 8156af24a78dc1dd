/**
 * `deno task drill consumer-kill|broker-restart [--stations N] [--kills N] [--json PATH]`:
 * the long versions of the reliability drills, on a private broker (fresh
 * state folder, free ports) that is stopped afterwards. Prints a JSON report
 * and exits 1 when the store does not hold every produced reading exactly once.
 *
 * - consumer-kill: replay N stations at full speed while the consumer is killed
 *   with SIGKILL `--kills` times (default 10) and restarted each time.
 * - broker-restart: replay N stations with a consumer running; stop the broker
 *   (SIGTERM) and start it again on the same data mid-replay.
 *
 * Permissions: those of `broker`, `produce`, `consume` and `quality`, plus
 * running Deno (the scripts run as their own processes with their task flags).
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startPrivateBroker } from "../lib/harness/broker/mod.ts";
import { resolveDatasetPath } from "../lib/dataset/mod.ts";
import { brokerRestartDrill, consumerKillDrill, type DrillReport } from "../lib/harness/drills.ts";
import { env, println, runMain } from "../lib/cli/io.ts";
import { userPath } from "../lib/cli/paths.ts";
import { configureLogging } from "../lib/log.ts";
import { DrillReportSchema } from "../lib/records/mod.ts";

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      stations: { type: "string", default: "20" },
      kills: { type: "string", default: "10" },
      json: { type: "string" },
      input: { type: "string" },
    },
  });
  const name = positionals[0];
  if (name !== "consumer-kill" && name !== "broker-restart") {
    throw new Error(
      "usage: deno task drill consumer-kill|broker-restart [--stations N] [--kills N] [--json PATH]",
    );
  }
  await configureLogging({ format: Deno.stderr.isTerminal() ? "text" : "json" });
  const home = env("HOME") ?? "";
  const dataset = await resolveDatasetPath({
    explicitPath: values.input ?? env("AIRQ_DATASET") ?? undefined,
  });
  const priv = await startPrivateBroker({
    prefix: "airq-drill-",
    cacheDir: env("AIRQ_CACHE_DIR") || `${home}/.cache/airq`,
    kafkaHome: env("KAFKA_HOME"),
  });
  const { broker, brokers, stateDir } = priv;
  const childEnv = {
    HOME: home,
    AIRQ_KAFKA_BROKERS: brokers,
    AIRQ_LOG_FORMAT: "json",
    AIRQ_LOG_LEVEL: "warning",
  };
  let report: DrillReport;
  try {
    const common = {
      env: childEnv,
      dbPath: join(stateDir, "drill.db"),
      input: dataset.path,
      stations: Number(values.stations),
    };
    report = name === "consumer-kill"
      ? await consumerKillDrill({
        ...common,
        kills: Number(values.kills),
        lifeMs: [200, 1500],
        seed: 2004,
      })
      : await brokerRestartDrill({
        ...common,
        afterMs: 2000,
        restartBroker: async () => {
          await broker.down();
          await broker.up();
        },
      });
  } finally {
    await priv.stop();
  }
  // the one schema of the file, checked by its writer as by its reader (the final report)
  const text = JSON.stringify(DrillReportSchema.parse(report), null, 2);
  if (values.json) await Deno.writeTextFile(userPath(values.json), text + "\n");
  println(text);
  return report.ok ? 0 : 1;
}

if (import.meta.main) await runMain(main);
