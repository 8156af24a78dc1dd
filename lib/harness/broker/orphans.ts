/**
 * Private brokers whose command was killed outright. A bench, a drill or a
 * test run stops its private broker when it ends and on Ctrl-C
 * (../interrupt.ts), but a SIGKILL (an OOM killer, a time limit, `kill -9`)
 * leaves the broker's JVM running in its own session, with its folder in the
 * temp dir: 512 MB of heap each, for ever.
 *
 * So each private broker's folder names its owner (`owner.json`: the pid and
 * that process's start time, as `ps` gives it), and every new private broker
 * first looks at its siblings in the temp dir: a folder whose owner is gone
 * (no process with that pid and start time) has its Kafka JVMs killed and is
 * removed. A folder without `owner.json` is never touched, nor one whose
 * owner runs, nor anything when `ps` is missing.
 *
 * @module
 */
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { z } from "zod";
import { runTool } from "./ports.ts";
import { signal } from "./jvm.ts";

const log = getLogger(["airq", "broker"]);

/** The file in a private broker's folder that names the process that started it. */
export const OWNER_FILE = "owner.json";

const OwnerSchema = z.object({
  pid: z.number().int().positive(),
  /** `ps -o lstart=` of the owner: a reused pid has another start time. */
  started: z.string().min(1),
});

/** One folder of a killed owner, cleaned. */
export interface Reaped {
  dir: string;
  owner: number;
  /** The Kafka JVMs of that folder that were still running, now killed. */
  killed: number[];
}

/** `ps -o lstart=` of `pid`; null when no such process or no `ps`. */
async function startTime(pid: number): Promise<string | null> {
  const ps = await runTool("ps", ["-o", "lstart=", "-p", String(pid)]);
  const text = ps?.ok ? ps.out.trim() : "";
  return text === "" ? null : text;
}

/** This process's own start time (null without `ps`): asked once, it does not change. */
let own: Promise<string | null> | undefined;
const ownStartTime = () => own ??= startTime(Deno.pid);

/** Writes `owner.json` into a private broker's new folder: this process, and when it started. */
export async function claimFolder(dir: string): Promise<void> {
  const started = await ownStartTime();
  if (started === null) return; // no ps: nobody could tell later whether we are gone
  await Deno.writeTextFile(join(dir, OWNER_FILE), JSON.stringify({ pid: Deno.pid, started }));
}

/** Kafka JVMs whose command line names a path inside `dir` (ps). */
async function jvmsIn(dir: string): Promise<number[]> {
  const ps = await runTool("ps", ["-eo", "pid=,args="]);
  if (!ps?.ok) return [];
  return ps.out.split("\n")
    .filter((line) => line.includes("kafka.Kafka") && line.includes(`${dir}/`))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

async function ownerOf(dir: string): Promise<z.infer<typeof OwnerSchema> | null> {
  try {
    return OwnerSchema.parse(JSON.parse(await Deno.readTextFile(join(dir, OWNER_FILE))));
  } catch {
    return null; // not a private broker's folder, or one of a version that did not say
  }
}

/**
 * Kills the Kafka JVMs of every `airq-*` folder in `root` whose owner is gone,
 * and removes the folder. Never throws: a clean-up that fails is logged.
 */
export async function reapOrphans(root: string): Promise<Reaped[]> {
  const reaped: Reaped[] = [];
  // without ps nobody can tell a gone owner from a running one: leave everything alone
  if ((await ownStartTime()) === null) return reaped;
  try {
    for await (const entry of Deno.readDir(root)) {
      if (!entry.isDirectory || !entry.name.startsWith("airq-")) continue;
      const dir = join(root, entry.name);
      const owner = await ownerOf(dir);
      if (owner === null) continue;
      if ((await startTime(owner.pid)) === owner.started) continue; // its owner runs
      const killed = await jvmsIn(dir);
      for (const pid of killed) await signal(pid, "KILL");
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      log.warn(
        "Removed {dir}, a private broker's folder whose process (pid {owner}) is gone; killed its Kafka JVMs {killed}",
        { dir, owner: owner.pid, killed: JSON.stringify(killed) },
      );
      reaped.push({ dir, owner: owner.pid, killed });
    }
  } catch (error) {
    log.warn("Looking for private brokers left by killed processes in {root} failed: {error}", {
      root,
      error: String(error),
    });
  }
  return reaped;
}
