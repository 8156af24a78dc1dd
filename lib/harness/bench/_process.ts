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
