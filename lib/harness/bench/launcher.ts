/**
 * The launcher's cost (`deno task bench launcher`): a Kafka task's script run
 * with the flags the launcher would give it, against the same script behind
 * tools/_launch.ts, and the launcher alone, alternating, `runs` times each.
 * `vote --help` is the script: it starts, loads its config and exits, so the
 * difference is the launcher's own process start and settings load.
 *
 * @module
 */
import type { LauncherResult } from "../../records/mod.ts";
import { taskArgv } from "../tasks.ts";
import { LAUNCHER } from "../../cli/launch.ts";

const ROOT = new URL("../../../", import.meta.url);

async function wallMs(argv: string[], env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(`${argv.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return ms;
}

function timing(values: number[]): LauncherResult["direct_ms"] {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    median: Math.round(median),
    min: Math.round(sorted[0]!),
    max: Math.round(sorted.at(-1)!),
  };
}

/** Runs the comparison `runs` times (after one warm-up of each). */
export async function benchLauncher(
  options: { runs: number; home: string },
): Promise<LauncherResult> {
  const env = { HOME: options.home };
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const task: string[] = config.tasks.vote.command.replaceAll("$HOME", options.home).split(/\s+/);
  if (!task.includes(LAUNCHER)) throw new Error("the vote task has no launcher");
  const launched = [...task, "--help"];
  const direct = [...await taskArgv("vote", env), "--help"];
  const print = { ...env, AIRQ_LAUNCH_PRINT: "1" };
  await wallMs(direct, env);
  await wallMs(launched, env);
  const d: number[] = [];
  const l: number[] = [];
  const p: number[] = [];
  let load: number | null = null;
  try {
    load = Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]);
  } catch {
    // not Linux, or /proc not readable (Deno asks --allow-all for parts of /proc): null
  }
  for (let i = 0; i < options.runs; i++) {
    d.push(await wallMs(direct, env));
    l.push(await wallMs(launched, env));
    p.push(await wallMs(launched, print));
  }
  const result = {
    runs: options.runs,
    direct_ms: timing(d),
    launched_ms: timing(l),
    launcher_only_ms: timing(p),
    overhead_ms_median: 0,
    load_average_1m: load,
    machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
  };
  result.overhead_ms_median = result.launched_ms.median - result.direct_ms.median;
  return result;
}
