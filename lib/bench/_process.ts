/**
 * What the benchmarks watch from outside a process: its resident memory
 * (a consumer group's lag is `groupLag` in lib/kafka).
 *
 * @module
 */

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

/** Polls the resident memory of some processes until stopped; returns the peaks in MiB. */
export function watchRss(
  pids: Record<string, number>,
): { stop: () => Promise<Record<string, number>> } {
  const peaks: Record<string, number> = Object.fromEntries(Object.keys(pids).map((k) => [k, 0]));
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const [name, pid] of Object.entries(pids)) {
        peaks[name] = Math.max(peaks[name]!, await rssMb(pid));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peaks;
    },
  };
}
