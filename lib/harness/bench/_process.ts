/**
 * What the benchmarks watch from outside a process: its resident memory and
 * its CPU time (a consumer group's lag is `groupLag` in lib/kafka).
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { CpuUse } from "../../records/mod.ts";

/** Resident memory of process `pid` in MiB (from `ps`), 0 when gone. */
export async function rssMb(pid: number): Promise<number> {
  try {
    const out = await new Deno.Command("ps", {
      args: ["-o", "rss=", "-p", String(pid)],
      stdout: "piped",
    })
      .output();
    const kb = Number(new TextDecoder().decode(out.stdout).trim());
    return Number.isFinite(kb) ? kb / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Samples the resident memory of some processes every 200 ms until stopped;
 * returns each one's samples in MiB, in order (a process that is gone, or not
 * yet visible to `ps`, gives no sample).
 */
export function sampleRss(
  pids: Record<string, number>,
): { stop: () => Promise<Record<string, number[]>> } {
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(pids).map((k) => [k, []]),
  );
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const [name, pid] of Object.entries(pids)) {
        const mb = await rssMb(pid);
        if (mb > 0) samples[name]!.push(mb);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** Polls the resident memory of some processes until stopped; returns the peaks in MiB (0 if never seen). */
export function watchRss(
  pids: Record<string, number>,
): { stop: () => Promise<Record<string, number>> } {
  const sampling = sampleRss(pids);
  return {
    stop: async () =>
      Object.fromEntries(
        Object.entries(await sampling.stop()).map(([name, xs]) => [name, Math.max(0, ...xs)]),
      ),
  };
}

/** The last line of a task's stdout parsed as JSON (its `--json` summary); `{}` when it is not JSON. */
export function lastJsonLine(bytes: Uint8Array): Record<string, unknown> {
  const line = new TextDecoder().decode(bytes).trim().split("\n").at(-1) ?? "{}";
  try {
    return JSON.parse(line);
  } catch {
    return {};
  }
}

/** Most distinct messages of a child's log {@linkcode relayLog} passes on. */
const RELAYED_MESSAGES = 10;

/**
 * Passes a benchmarked child's log on to this process's (children run with
 * `AIRQ_LOG_LEVEL=warning`, so what they logged is a warning or worse), as
 * its distinct messages with their counts and the first such line in full.
 * Without it a run whose forecaster aborted transactions said so in its
 * summary and nowhere why.
 */
export function relayLog(name: string, output: { stderr: Uint8Array }): void {
  const lines = new TextDecoder().decode(output.stderr).split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) return;
  const byMessage = new Map<string, { count: number; first: string }>();
  for (const line of lines) {
    let message = line;
    try {
      const parsed = JSON.parse(line);
      if (typeof parsed?.message === "string") message = parsed.message;
    } catch {
      // a line that is not one of airq's JSON log lines: counted as it is
    }
    const seen = byMessage.get(message);
    if (seen) seen.count++;
    else byMessage.set(message, { count: 1, first: line });
  }
  const logger = getLogger(["airq", "bench"]);
  logger.warn("{name} logged {n} warnings or errors, {distinct} distinct messages", {
    name,
    n: lines.length,
    distinct: byMessage.size,
  });
  const top = [...byMessage.values()].sort((a, b) => b.count - a.count).slice(0, RELAYED_MESSAGES);
  for (const { count, first } of top) {
    logger.warn("{name}: {count} x {first}", { name, count, first });
  }
}

/** Linux's USER_HZ: /proc counts CPU time in ticks of 1/100 s. */
const TICKS_PER_S = 100;

/**
 * A /proc file's text, through `cat`: Deno refuses to read /proc without
 * `--allow-all` (docs/setup.md), and the bench task may run `cat` instead.
 * Null when it cannot be read (no such process, or no /proc).
 */
async function readProc(path: string): Promise<string | null> {
  try {
    const out = await new Deno.Command("cat", { args: [path], stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) process `pid` has used so far, from /proc; null when unreadable. */
export async function cpuSeconds(pid: number): Promise<number | null> {
  const stat = await readProc(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // the fields after the command name, which is in parentheses and may hold spaces
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return Number.isFinite(ticks) ? ticks / TICKS_PER_S : null;
}

/** CPU seconds the whole machine has spent busy (all but idle and iowait) so far; null off Linux. */
export async function machineBusySeconds(): Promise<number | null> {
  const line = (await readProc("/proc/stat"))?.split("\n")[0];
  if (line === undefined) return null;
  const [, ...ticks] = line.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice: guest time is in user already
  const busy = ticks.reduce((s, t, i) => (i === 3 || i === 4 || i >= 8 ? s : s + t), 0);
  return Number.isFinite(busy) && ticks.length >= 4 ? busy / TICKS_PER_S : null;
}

/**
 * Starts a CPU window over some processes (Linux /proc): `stop` reads each
 * process's and the machine's CPU time again and returns the differences.
 * Call `stop` before a watched process exits (its /proc entry goes with it).
 */
export async function watchCpu(
  pids: Record<string, number | null>,
): Promise<{ stop: () => Promise<CpuUse> }> {
  const read = async () => ({
    t: performance.now(),
    machine: await machineBusySeconds(),
    processes: Object.fromEntries(
      await Promise.all(
        Object.entries(pids).map(async (
          [name, pid],
        ) => [name, pid === null ? null : await cpuSeconds(pid)]),
      ),
    ) as Record<string, number | null>,
  });
  const start = await read();
  return {
    stop: async () => {
      const end = await read();
      const process_cpu_s: Record<string, number> = {};
      for (const [name, before] of Object.entries(start.processes)) {
        const after = end.processes[name];
        if (before !== null && after !== null && after !== undefined) {
          process_cpu_s[name] = Math.round((after - before) * 100) / 100;
        }
      }
      return {
        window_s: Math.round(end.t - start.t) / 1000,
        process_cpu_s,
        machine_cpu_s: start.machine === null || end.machine === null
          ? null
          : Math.round((end.machine - start.machine) * 100) / 100,
        cores: navigator.hardwareConcurrency,
      };
    },
  };
}
