/**
 * The processes of a cluster drill (lib/harness/cluster_drills.ts): the
 * consumer and the forecaster, started with their task permissions on the
 * drill's stores and consumer groups, stopped with SIGTERM and timed (every
 * child is tracked for a stop signal: lib/harness/interrupt.ts).
 *
 * @module
 */
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import type { ChildStop } from "../records/operations.ts";
import { spawnTask } from "./tasks.ts";

const log = getLogger(["airq", "drill"]);

/** The consumer groups of a drill's consumer and forecaster. */
export const DRILL_GROUPS = { consumer: "drill-consumer", forecaster: "drill-forecaster" } as const;

/** The children a drill stops with SIGTERM. */
export type StoppedProcess = ChildStop["process"];

/** The text lib/stop.ts prints when its grace ran out and it exits by force. */
const FORCED_EXIT_TEXT = "after the signal; exiting now";

/**
 * How long a child may take to exit after SIGTERM before the drill kills it
 * (SIGKILL, exit code 137): well past lib/stop.ts's own 4 s grace and its
 * forced-exit actions, which only a child whose event loop is stuck misses.
 */
export const KILL_AFTER_MS = 30_000;

/** A running child; its stderr goes to `log` as it comes (kept with --keep-dir). */
export interface Running {
  child: Deno.ChildProcess;
  log: string;
  done: Promise<Deno.CommandStatus>;
}

async function startChild(
  name: string,
  args: string[],
  env: Record<string, string>,
  log: string,
): Promise<Running> {
  const child = await spawnTask(name, args, env);
  const file = await Deno.open(log, { write: true, create: true, append: true });
  const copied = child.stderr.pipeTo(file.writable).catch(() => {});
  const drained = child.stdout.pipeTo(new WritableStream()).catch(() => {});
  const done = Promise.all([child.status, copied, drained]).then(([status]) => status);
  return { child, log, done };
}

/**
 * SIGTERM to a running child; resolves with how it ended once it has exited
 * (also pushed to `stops`). A child that had already exited is recorded with
 * the time it took to notice; one still running {@linkcode KILL_AFTER_MS}
 * later is killed (code 137), so a stuck child cannot hang the drill.
 */
async function stopChild(
  what: StoppedProcess,
  running: Running,
  when: ChildStop["when"],
  atS: number,
  lag: number | null,
  stops: ChildStop[],
): Promise<ChildStop> {
  const t = performance.now();
  try {
    running.child.kill("SIGTERM");
  } catch {
    // already exited
  }
  let exited = false;
  let killedPs: string | undefined;
  const kill = setTimeout(async () => {
    // spinning or waiting: what ps says of the child, for the next person to look at it
    const pid = running.child.pid;
    const seen = await psLine(pid);
    if (exited) return;
    killedPs = seen;
    log.warn(
      "The {process} (pid {pid}) still runs {s} s after SIGTERM (ps: {ps}); killing it",
      { process: what, pid, s: KILL_AFTER_MS / 1000, ps: seen },
    );
    try {
      running.child.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
  }, KILL_AFTER_MS);
  const status = await running.done.finally(() => {
    exited = true;
    clearTimeout(kill);
  });
  const exitS = Math.round((performance.now() - t) / 100) / 10;
  const stderr = await Deno.readTextFile(running.log);
  const stop: ChildStop = {
    process: what,
    when,
    at_s: atS,
    lag_at_signal: lag,
    exit_s: exitS,
    code: status.code,
    forced: stderr.includes(FORCED_EXIT_TEXT),
    ...(killedPs === undefined ? {} : { killed_ps: killedPs }),
  };
  stops.push(stop);
  return stop;
}

/** How a drill starts its consumer and forecaster. */
export interface ServiceLaunch {
  /** The drill's folder: the stores, the (empty) model folder and the children's logs. */
  dir: string;
  env: Record<string, string>;
  consumerArgs: string[];
  forecasterArgs: string[];
}

/** The launch of the consumer and forecaster in `dir` (creating its empty model folder). */
export async function serviceLaunch(
  dir: string,
  env: Record<string, string>,
): Promise<ServiceLaunch> {
  const modelDir = join(dir, "no-models");
  await Deno.mkdir(modelDir, { recursive: true });
  return {
    dir,
    env,
    consumerArgs: ["--db", readingsDbOf(dir), "--group", DRILL_GROUPS.consumer],
    forecasterArgs: [
      "--db",
      join(dir, "forecasts.db"),
      "--group",
      DRILL_GROUPS.forecaster,
      "--models",
      modelDir,
    ],
  };
}

/** The consumer's store of a drill in `dir`. */
export function readingsDbOf(dir: string): string {
  return join(dir, "readings.db");
}

/** A drill's running consumer and forecaster. */
export type Services = Record<StoppedProcess, Running>;

/**
 * Starts the consumer and the forecaster; `suffix` names this run's logs
 * (`consumer${suffix}.log`: a graceful-stop starts them twice).
 */
export async function startServices(launch: ServiceLaunch, suffix: string): Promise<Services> {
  const consumer = await startChild(
    "consume",
    launch.consumerArgs,
    launch.env,
    join(launch.dir, `consumer${suffix}.log`),
  );
  const forecaster = await startChild(
    "forecast",
    launch.forecasterArgs,
    launch.env,
    join(launch.dir, `forecaster${suffix}.log`),
  );
  return { consumer, forecaster };
}

/** SIGTERM to both services at once; resolves once both have exited (each pushed to `stops`). */
export async function stopServices(
  services: Services,
  when: ChildStop["when"],
  atS: number,
  lag: Record<StoppedProcess, number | null>,
  stops: ChildStop[],
): Promise<[ChildStop, ChildStop]> {
  return await Promise.all([
    stopChild("consumer", services.consumer, when, atS, lag.consumer, stops),
    stopChild("forecaster", services.forecaster, when, atS, lag.forecaster, stops),
  ]);
}

/**
 * `ps`'s view of a process: its state three times 200 ms apart (R: running,
 * S: waiting), its average CPU share since it started and its resident MB
 * (`ps`, because Deno reads /proc/PID only with --allow-all). "gone" when it
 * has exited.
 */
export async function psLine(pid: number): Promise<string> {
  const states: string[] = [];
  let last = "";
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    const out = await new Deno.Command("ps", {
      args: ["-o", "state=,pcpu=,rss=", "-p", String(pid)],
      stdout: "piped",
      stderr: "null",
    }).output().catch(() => null);
    last = out === null ? "" : new TextDecoder().decode(out.stdout).trim();
    if (last === "") return "gone";
    states.push(last.split(/\s+/)[0]!);
  }
  const [, cpu, rssKb] = last.split(/\s+/);
  return `states ${states.join("")}, ${cpu} % CPU since start, ${
    Math.round(Number(rssKb) / 1024)
  } MB`;
}
