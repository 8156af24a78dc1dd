/**
 * `deno task test`: starts a private Kafka broker for the test run (a fresh
 * state folder in the temp dir, free loopback ports), runs `deno test` against
 * it with `AIRQ_KAFKA_BROKERS` set, and stops the broker whatever happens.
 * Its command line is lib/cli/command.ts's, like every task's: test files or
 * folders (relative to where it was run) and the few `deno test` flags it
 * passes on (`--filter`, `--fail-fast`, `--parallel`, `--trace-leaks`); `--help`
 * exits 0, anything else exits 2 with one line before a broker starts.
 *
 * The broker is started by the same code as `deno task broker up`
 * (lib/harness/broker), so the test run also proves that path works.
 *
 * Before anything starts, so that a fresh machine (empty HOME and DENO_DIR, no
 * `../shared`) passes like this one:
 * - `deno install --frozen` caches every npm package of deno.json at the locked
 *   versions, in the DENO_DIR the children inherit; the children run `deno run`
 *   with `--cached-only` (`AIRQ_DENO_CACHED_ONLY=1`, lib/harness/tasks.ts), so
 *   none of them downloads anything in the middle of a test.
 * - The dataset is resolved once, by the app's own rules (lib/dataset/source.ts:
 *   `AIRQ_DATASET`, the shared copy, the cache, or a download checked against its
 *   SHA-256), and copied into a private folder under /tmp, which every task's
 *   `--allow-read` covers; the tests get that copy in `AIRQ_DATASET`.
 *
 * @module
 */
import { join } from "node:path";
import { resolveDirs, startPrivateBroker } from "../lib/harness/broker/mod.ts";
import { type ArgsOf, runCommand } from "../lib/cli/command.ts";
import { env, eprintln } from "../lib/cli/io.ts";
import { resolveDatasetPath, UCI_CSV_NAME, UCI_CSV_SHA256 } from "../lib/dataset/mod.ts";
import { configureLogging } from "../lib/log.ts";
import { CLI, denoTestArgs } from "./_run_cli.ts";

/** `deno install --frozen`: every dependency in DENO_DIR before a child needs it. */
async function cacheDependencies(): Promise<void> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["install", "--frozen", "--quiet"],
    cwd: new URL("../", import.meta.url),
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) {
    throw new Error(
      "`deno install --frozen` failed (above): the tests need every dependency of deno.json cached; " +
        "check the network, or run `deno install` and commit deno.lock if deno.json changed",
    );
  }
  eprintln(`test deps: cached (deno install --frozen, ${Math.round(performance.now() - t0)} ms)`);
}

/** Resolves the dataset once and copies it where every task may read it. */
async function prepareDataset(dir: string): Promise<string> {
  const { path, origin } = await resolveDatasetPath();
  const bytes = await Deno.readFile(path);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const sha = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  const copy = join(dir, UCI_CSV_NAME);
  await Deno.writeFile(copy, bytes);
  eprintln(
    `test dataset: ${path} (${origin}), ` +
      (sha === UCI_CSV_SHA256
        ? "the official file (SHA-256 checked)"
        : `SHA-256 ${sha}, NOT the official file: tests that count its rows will fail`),
  );
  return copy;
}

async function main(args: ArgsOf<typeof CLI>): Promise<number> {
  await configureLogging({ format: "text", level: "info" });
  await cacheDependencies();
  const dataDir = await Deno.makeTempDir({ dir: "/tmp", prefix: "airq-test-data-" });
  const removeData = () => Deno.remove(dataDir, { recursive: true }).catch(() => {});
  try {
    const dataset = await prepareDataset(dataDir);
    const env = { AIRQ_DATASET: dataset, AIRQ_DENO_CACHED_ONLY: "1" };
    return await withBroker(denoTestArgs(args), env, removeData);
  } finally {
    await removeData();
  }
}

/** Starts the private broker, runs `deno test` against it, stops it; `onExit` runs on Ctrl-C. */
async function withBroker(
  testArgs: string[],
  childEnv: Record<string, string>,
  onExit: () => Promise<void>,
): Promise<number> {
  const t0 = performance.now();
  const priv = await startPrivateBroker({
    prefix: "airq-test-broker-",
    cacheDir: resolveDirs(env).cacheDir,
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
    exited.then(stop).then(onExit).finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    child = new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "--no-prompt",
        "--cached-only",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net=127.0.0.1,localhost",
        "--allow-run",
        ...testArgs,
      ],
      env: {
        ...childEnv,
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

await runCommand(CLI, main);
