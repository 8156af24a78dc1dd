/**
 * The launcher in front of every Kafka task in deno.json:
 *
 *     deno run --allow-read=config,$HOME/.config/airq --allow-env=AIRQ_* --allow-run=deno \
 *       tools/_launch.ts deno run <the task's permissions> SCRIPT [args]
 *
 * It loads the Kafka settings the script will load (config/kafka.json, the
 * AIRQ_KAFKA_PROPERTIES file, AIRQ_KAFKA_*), widens the task's `--allow-net` by
 * exactly the configured brokers and `allowHosts`, and its `--allow-read` by the
 * configured TLS, token and properties files (lib/cli/launch.ts), then runs it
 * with stdin, stdout and stderr passed through and exits with its code. A stop
 * signal it receives is passed on to the script, which decides when to exit.
 * It has no network, no write and no environment beyond AIRQ_*.
 *
 * `AIRQ_LAUNCH_PRINT=1` prints the widened command instead of running it.
 *
 * @module
 */
import { loadKafkaConfig } from "../lib/config/mod.ts";
import { kafkaGrants, widenArgv } from "../lib/cli/launch.ts";
import { env, eprintln, println } from "../lib/cli/io.ts";

async function main(): Promise<number> {
  let argv: string[];
  try {
    const config = await loadKafkaConfig(env);
    argv = widenArgv(Deno.args, kafkaGrants(config, env("AIRQ_KAFKA_PROPERTIES")?.trim()));
  } catch (error) {
    eprintln(`error: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
  if (env("AIRQ_LAUNCH_PRINT") === "1") {
    println(argv.join(" "));
    return 0;
  }
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const forward = (signal: "SIGINT" | "SIGTERM") => () => {
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
  };
  // never removed: a second copy of a signal must not kill the launcher before its child
  Deno.addSignalListener("SIGINT", forward("SIGINT"));
  Deno.addSignalListener("SIGTERM", forward("SIGTERM"));
  // a script ended by a signal has code 128 + its number, as a shell reports it
  return (await child.status).code;
}

Deno.exit(await main());
