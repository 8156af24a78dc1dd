/**
 * `deno task test`: starts a private Kafka broker for the test run (a fresh
 * state folder in the temp dir, free loopback ports), runs `deno test` against
 * it with `AIRQ_KAFKA_BROKERS` set, and stops the broker whatever happens.
 * Extra arguments go to `deno test` (e.g. a file or `--filter`).
 *
 * The broker is started by the same code as `deno task broker up`
 * (lib/harness/broker), so the test run also proves that path works.
 *
 * @module
 */
import { startPrivateBroker } from "../lib/harness/broker/mod.ts";
import { env, eprintln, println } from "../lib/cli/io.ts";
import { checkLogEnv, configureLogging } from "../lib/log.ts";

const HELP = `Usage: deno task test [options]

All tests, against a private Kafka broker started (and stopped) for the run.

Options:
  (any)         passed on to \`deno test\`: a file or folder, --filter TEXT, ...
  -h, --help    show this help and exit`;

async function main(): Promise<number> {
  // the other arguments belong to `deno test`, which checks them
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    println(HELP);
    return 0;
  }
  const problem = checkLogEnv();
  if (problem !== null) {
    eprintln(`deno task test: ${problem}`);
    return 2;
  }
  await configureLogging({ format: "text", level: "info" });
  const t0 = performance.now();
  const priv = await startPrivateBroker({
    prefix: "airq-test-broker-",
    cacheDir: env("AIRQ_CACHE_DIR") || `${env("HOME")}/.cache/airq`,
    kafkaHome: env("KAFKA_HOME"),
  });
  const { brokers, controllerPort, stateDir, up } = priv;
  eprintln(
    `test broker: Kafka ${up.version} on ${brokers} (controller ${controllerPort}), ` +
      `state ${stateDir}, ready in ${Math.round(performance.now() - t0)} ms`,
  );
  let code = 1;
  const stop = async () => {
    await priv.stop();
    eprintln("test broker: stopped");
  };
  let child: Deno.ChildProcess | null = null;
  const onSignal = () => {
    // stop the tests first (they use the broker), then the broker
    try {
      child?.kill("SIGTERM");
    } catch {
      // already gone
    }
    const exited = child ? child.status.catch(() => {}) : Promise.resolve();
    exited.then(stop).finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    child = new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "--no-prompt",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net=127.0.0.1,localhost",
        "--allow-run",
        ...Deno.args,
      ],
      env: {
        AIRQ_KAFKA_BROKERS: brokers,
        AIRQ_KAFKA_CONTROLLER_PORT: String(controllerPort),
        AIRQ_TEST_BROKER_STATE_DIR: stateDir,
        AIRQ_TEST_KAFKA: "1",
      },
      stdin: "null",
    }).spawn();
    code = (await child.status).code;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await stop();
  }
  return code;
}

Deno.exit(await main());
