/**
 * The broker JVM as a process: spawned in a session of its own (`setsid`: a
 * Ctrl-C in the terminal does not reach it, and it outlives `broker up`) and
 * unref'd; signalled by pid, and reaped once it is gone. `local.ts` decides when.
 *
 * @module
 */
import { join } from "node:path";
import type { KafkaJars } from "./jars.ts";
import type { BrokerFiles } from "./paths.ts";
import { isAlive } from "./ports.ts";

/** The JVMs this process started, by pid, until they are reaped. */
const children = new Map<number, Deno.ChildProcess>();

/** Starts `kafka.Kafka` on the node's properties with a heap of `heapMb`; returns its pid. */
export function spawnBroker(
  jars: KafkaJars,
  files: BrokerFiles,
  heapMb: number,
  logProps: string[],
): number {
  const child = new Deno.Command("setsid", {
    args: [
      "java",
      `-Xms${heapMb}m`,
      `-Xmx${heapMb}m`,
      "-XX:+UseG1GC",
      "-XX:MaxGCPauseMillis=20",
      "-Djava.awt.headless=true",
      `-XX:ErrorFile=${join(files.logsDir, "hs_err_pid%p.log")}`,
      ...logProps,
      "-cp",
      jars.classpath,
      "kafka.Kafka",
      files.properties,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  children.set(child.pid, child);
  return child.pid;
}

/** Waits until the process `pid` (stopped or killed) is gone, and collects its status if ours. */
export async function reap(pid: number): Promise<void> {
  const child = children.get(pid);
  if (child) {
    // it was unref'd so that a running broker does not keep this process alive; awaiting its
    // status must, or the event loop may end with the await pending (seen after SIGSTOP/SIGCONT)
    child.ref();
    await child.status;
    children.delete(pid);
  }
  while (await isAlive(pid)) await delay(50);
}

/** Sends `sig` to `pid` with kill(1). */
export async function signal(pid: number, sig: "TERM" | "KILL" | "STOP" | "CONT"): Promise<void> {
  await new Deno.Command("kill", { args: [`-${sig}`, String(pid)], stdout: "null", stderr: "null" })
    .output();
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
