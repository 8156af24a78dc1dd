/**
 * Running airq's own `deno.json` tasks as child processes with their exact
 * permissions: used by the drills, the demo and the tests.
 *
 * @module
 */

import { loadKafkaConfig } from "../config/mod.ts";
import { afterLauncher, kafkaGrants, widenArgv } from "../cli/launch.ts";
import { PARENT_PID_ENV } from "../stop.ts";

const ROOT = new URL("../../", import.meta.url);

/**
 * The argv of a `deno.json` task, with `$HOME` expanded and `deno` replaced by
 * the `deno` on PATH (what `deno task` would run). Spawning it directly (not through `deno task`) runs the script
 * with the task's exact permissions and makes its pid the script's own, so
 * kill -9 hits the script and not a wrapper shell. For a Kafka task (one that
 * starts with the launcher, tools/_launch.ts) the launcher's work is done here:
 * the script's own command, widened for the cluster that `env` (over this
 * process's environment) configures, with the same `widenArgv`.
 *
 * With `AIRQ_DENO_CACHED_ONLY=1` (in `env` or this process's environment; `deno
 * task test` sets it after caching every dependency) the task runs with
 * `--cached-only`: a dependency missing from the cache fails at once, naming it,
 * instead of being downloaded in the middle of a test.
 */
export async function taskArgv(name: string, env: Record<string, string>): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const task = config.tasks[name];
  const command: string = typeof task === "string" ? task : task.command;
  const home = env["HOME"] ?? Deno.env.get("HOME") ?? "";
  const argv = command.replaceAll("$HOME", home).split(/\s+/);
  if (argv[0] !== "deno") throw new Error(`task ${name} does not start with deno: ${command}`);
  const script = afterLauncher(argv);
  let out = argv;
  if (script !== null) {
    const read = (key: string) => key in env ? env[key] : Deno.env.get(key);
    const kafka = await loadKafkaConfig(read);
    out = widenArgv(script, kafkaGrants(kafka, read("AIRQ_KAFKA_PROPERTIES")?.trim()));
  }
  if (out[0] !== "deno" || out[1] !== "run") {
    throw new Error(`task ${name} does not start with deno run: ${command}`);
  }
  const cachedOnly = (env["AIRQ_DENO_CACHED_ONLY"] ?? readEnv("AIRQ_DENO_CACHED_ONLY")) === "1";
  return ["deno", "run", ...(cachedOnly ? ["--cached-only"] : []), ...out.slice(2)];
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env for it: the variable cannot be meant for us
  }
}

/** The children of this process started by {@linkcode spawnTask} or tracked, until they exit. */
const live = new Set<Deno.ChildProcess>();

/** Keeps `child` in the set {@linkcode killChildren} kills, until it exits. */
export function trackChild(child: Deno.ChildProcess): Deno.ChildProcess {
  live.add(child);
  child.status.finally(() => live.delete(child));
  return child;
}

/**
 * SIGKILL for every child started by {@linkcode spawnTask} (or tracked) that
 * still runs: for a command told to stop halfway. A stop signal sent to the
 * command alone (a service manager, `kill PID`) does not reach its children.
 */
export function killChildren(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Starts task `name` with extra `args`, from the repository root, with the task's permissions. */
export async function spawnTask(
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<Deno.ChildProcess> {
  const [cmd, ...rest] = await taskArgv(name, env);
  return trackChild(
    new Deno.Command(cmd!, {
      args: [...rest, ...args],
      cwd: ROOT,
      // the child stops itself if this process is killed outright (lib/stop.ts)
      env: { [PARENT_PID_ENV]: String(Deno.pid), ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
}

/** Runs task `name` with extra `args` to the end. */
export async function runTask(
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await (await spawnTask(name, args, env)).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
