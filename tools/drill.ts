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
import { startPrivateBroker } from "../lib/harness/broker/mod.ts";
import { resolveDatasetPath } from "../lib/dataset/mod.ts";
import { brokerRestartDrill, consumerKillDrill, type DrillReport } from "../lib/harness/drills.ts";
import { env, println } from "../lib/cli/io.ts";
import { envPath } from "../lib/cli/paths.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "../lib/cli/command.ts";
import { configureLogging } from "../lib/log.ts";
import { DrillReportSchema } from "../lib/records/mod.ts";

const CLI = defineCommand({
  task: "drill",
  description: "Reliability drills on a private broker: exits 1 unless the store holds every " +
    "produced reading exactly once. The report is JSON (on stdout, or in the file of --json PATH).",
  commands: {
    "consumer-kill": "kill the consumer with SIGKILL --kills times during a full-speed replay",
    "broker-restart": "stop the broker and start it again on the same data mid-replay",
  },
  options: {
    stations: opt.int("virtual stations to replay", { min: 1, default: 20 }),
    kills: opt.int("consumer-kill: how many times", { min: 1, default: 10 }),
    input: opt.path("dataset", { input: true, default: "AIRQ_DATASET, the shared copy or cache" }),
    json: opt.json("where the report goes: stdout (the default), or with PATH that file"),
  },
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  const name = values.command;
  await configureLogging();
  const home = env("HOME") ?? "";
  const dataset = await resolveDatasetPath({
    explicitPath: values.input ?? envPath("AIRQ_DATASET"),
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
      stations: values.stations,
    };
    report = name === "consumer-kill"
      ? await consumerKillDrill({
        ...common,
        kills: values.kills,
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
  const checked = DrillReportSchema.parse(report);
  if (values.json?.path) {
    await writeJson(values.json, checked);
    println(`wrote ${values.json.path}: ${checked.ok ? "ok" : "FAILED"}`);
  } else println(JSON.stringify(checked, null, 2));
  return report.ok ? 0 : 1;
}

if (import.meta.main) await runCommand(CLI, main);
