/**
 * The CPU window of the realtime benchmark (lib/harness/bench/_process.ts):
 * a process's CPU seconds from /proc, the machine's busy seconds, and a
 * window over both, on real processes.
 */
import assert from "node:assert/strict";
import { cpuSeconds, machineBusySeconds, watchCpu } from "../../lib/harness/bench/_process.ts";
import { CpuUseSchema } from "../../lib/records/mod.ts";

/**
 * A child that spins until it has used `ms` milliseconds of CPU (its own
 * count, so a busy machine only makes it take longer), then waits to be killed.
 */
function spinner(ms: number): Deno.ChildProcess {
  const code = `import process from "node:process"; let x = 0; ` +
    `const used = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; ` +
    `while (used() < ${ms}) x++; console.log(x > 0 ? "spun" : "?"); setTimeout(() => {}, 60_000);`;
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "null",
  }).spawn();
}

async function firstLine(child: Deno.ChildProcess): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  return value?.trim() ?? "";
}

Deno.test("watchCpu() counts a spinning child's CPU seconds, within the machine's, and leaves out an unreadable pid", async () => {
  const child = spinner(1_000);
  try {
    const idle = await watchCpu({ child: child.pid, gone: 2 ** 22 + 12_345, none: null });
    // the window opens before the child has started: all of its 1 s of CPU falls inside
    assert.equal(await firstLine(child), "spun");
    const use = CpuUseSchema.parse(await idle.stop());
    assert.deepEqual(Object.keys(use.process_cpu_s), ["child"]);
    const spent = use.process_cpu_s["child"]!;
    // most of the 1.2 s were spent inside the window (the child's start may fall before it)
    assert.ok(
      spent >= 0.6 && spent <= use.window_s + 0.05,
      `child ${spent} s in ${use.window_s} s`,
    );
    assert.ok(use.machine_cpu_s !== null && use.machine_cpu_s + 0.05 >= spent);
    assert.ok(use.machine_cpu_s <= use.window_s * use.cores + 0.05);
    assert.equal(use.cores, navigator.hardwareConcurrency);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
});

Deno.test("cpuSeconds() is null for a pid that does not exist; this process's CPU time only grows", async () => {
  assert.equal(await cpuSeconds(2 ** 22 + 12_345), null);
  const before = (await cpuSeconds(Deno.pid))!;
  const end = performance.now() + 200;
  while (performance.now() < end) Math.sqrt(Math.random());
  const after = (await cpuSeconds(Deno.pid))!;
  assert.ok(after >= before + 0.1, `${before} -> ${after}`);
  const busy = await machineBusySeconds();
  assert.ok(busy !== null && busy >= after);
});
