/**
 * `deno task bench` and `deno task drill` stopped halfway (lib/harness/interrupt.ts):
 * Ctrl-C to the command's process group, or SIGTERM to the command alone (a
 * service manager, `kill PID`). Within 5 s nothing they started may be left:
 * no process of their group (their children: producer, consumer,
 * forecaster, Kafka's perf tool), no Kafka JVM of their private broker (it
 * runs in a session of its own, so only the command can stop it) and no
 * folder of that broker; the exit code is the signal's (130 or 143). Before
 * the fix, a stopped bench died at once and left its 512 MB broker JVM, its
 * temp folder and its forecaster running.
 *
 * Each run gets its own TMPDIR, where the private broker makes its folder,
 * so the JVM and the folder are found by that path.
 */
import assert from "node:assert/strict";
import { UCI_PATH } from "../_data.ts";
import { reapOrphans } from "../../lib/harness/broker/orphans.ts";

const ROOT = new URL("../../", import.meta.url);
const STOP_LIMIT_MS = 5000;

/** Processes of group `pgid` that are not zombies (ps). */
async function liveInGroup(pgid: number): Promise<string[]> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "pid=,stat=,args=", "-g", String(pgid)],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !/^\d+\s+Z/.test(l));
}

/** Kafka JVMs whose command line names a path under `dir` (ps). */
async function kafkaJvms(dir: string): Promise<string[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,stat=,args="], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((l) => l.includes("kafka.Kafka") && l.includes(dir) && !/^\s*\d+\s+Z/.test(l));
}

/**
 * The group's processes once `ready` holds for them (at most 10 s): a command
 * spawns its children just after the log line the tests wait for.
 */
async function waitForGroup(pgid: number, ready: (group: string[]) => boolean): Promise<string[]> {
  const t0 = performance.now();
  for (;;) {
    const group = await liveInGroup(pgid);
    if (ready(group) || performance.now() - t0 > 10_000) return group;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

interface Case {
  name: string;
  task: string[];
  /** A line of the command's stderr after which its children run. */
  busy: RegExp;
  /** Ctrl-C reaches the whole group; `kill PID` only the command (`deno task` passes it on). */
  to: "group" | "leader";
  signal: "INT" | "TERM";
  code: number;
}

const CASES: Case[] = [
  {
    name: "Ctrl-C to `deno task bench ingest` mid-replay",
    task: ["bench", "ingest", "--stations", "20"],
    busy: /Ingest: \d+ readings/,
    to: "group",
    signal: "INT",
    code: 130,
  },
  {
    name: "SIGTERM to `deno task drill consumer-kill` alone, mid-drill",
    task: ["drill", "consumer-kill", "--stations", "20", "--kills", "50"],
    busy: /kill 1: SIGKILL after/,
    to: "leader",
    signal: "TERM",
    code: 143,
  },
];

for (const c of CASES) {
  Deno.test(`${c.name}: its children, broker JVM and broker folder are gone within 5 s`, async () => {
    const tmp = await Deno.makeTempDir({ prefix: "airq-harness-signal-" });
    // setsid: `deno task` leads a new process group (its pid is the group id)
    const command = new Deno.Command("setsid", {
      args: [Deno.execPath(), "task", ...c.task],
      cwd: ROOT,
      env: { TMPDIR: tmp, AIRQ_DATASET: UCI_PATH, AIRQ_LOG_FORMAT: "json", NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pgid = command.pid;
    const dec = new TextDecoder();
    let stderr = "";
    let markBusy: () => void = () => {};
    const busy = new Promise<void>((resolve) => (markBusy = resolve));
    const drained = Promise.all([
      command.stdout.pipeTo(new WritableStream()),
      (async () => {
        for await (const chunk of command.stderr) {
          stderr += dec.decode(chunk, { stream: true });
          if (c.busy.test(stderr)) markBusy();
        }
      })(),
    ]);
    const exited = command.status;
    try {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const reached = await Promise.race([
        busy.then(() => true),
        exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 120_000))),
      ]);
      clearTimeout(timer);
      assert.ok(reached, `never reached ${c.busy}:\n${stderr.slice(-3000)}`);
      const before = await waitForGroup(pgid, (group) => group.length >= 3);
      assert.equal((await kafkaJvms(tmp)).length, 1, "one private broker runs");
      assert.ok(before.length >= 3, `the command and its children run:\n${before.join("\n")}`);
      assert.equal((await entries(tmp)).length, 1, "the broker's folder is in TMPDIR");

      const t0 = performance.now();
      const target = c.to === "group" ? `-${pgid}` : String(pgid);
      const kill = await new Deno.Command("kill", { args: [`-${c.signal}`, "--", target] })
        .output();
      assert.ok(kill.success);
      let left: string[] = [];
      for (;;) {
        left = [...await liveInGroup(pgid), ...await kafkaJvms(tmp)];
        if (left.length === 0 || performance.now() - t0 > STOP_LIMIT_MS) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const ms = Math.round(performance.now() - t0);
      assert.deepEqual(left, [], `still alive ${ms} ms after SIG${c.signal}`);
      Deno.stderr.writeSync(new TextEncoder().encode(`stopped ${ms} ms after SIG${c.signal}\n`));
      const status = await exited;
      await drained;
      assert.equal(status.code, c.code, stderr.slice(-2000));
      assert.deepEqual(await entries(tmp), [], "the broker's folder is removed");
      assert.match(stderr, new RegExp(`SIG${c.signal}.*stopped`));
    } finally {
      // whatever the outcome, leave nothing behind
      await new Deno.Command("kill", { args: ["-KILL", "--", `-${pgid}`], stderr: "null" })
        .output();
      for (const line of await kafkaJvms(tmp)) {
        await new Deno.Command("kill", { args: ["-KILL", line.trim().split(/\s+/)[0]!] }).output();
      }
      await exited;
      await drained.catch(() => {});
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  });
}

Deno.test("kill -9 of `deno task bench ingest` mid-replay: its children stop themselves, the next private broker's start reaps its broker", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "airq-harness-signal-" });
  const command = new Deno.Command("setsid", {
    args: [Deno.execPath(), "task", "bench", "ingest", "--stations", "20"],
    cwd: ROOT,
    env: { TMPDIR: tmp, AIRQ_DATASET: UCI_PATH, AIRQ_LOG_FORMAT: "json", NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const pgid = command.pid;
  const dec = new TextDecoder();
  let stderr = "";
  let markBusy: () => void = () => {};
  const busy = new Promise<void>((resolve) => (markBusy = resolve));
  const drained = Promise.all([
    command.stdout.pipeTo(new WritableStream()),
    (async () => {
      for await (const chunk of command.stderr) {
        stderr += dec.decode(chunk, { stream: true });
        if (/Ingest: \d+ readings/.test(stderr)) markBusy();
      }
    })(),
  ]);
  const exited = command.status;
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reached = await Promise.race([
      busy.then(() => true),
      exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 120_000))),
    ]);
    clearTimeout(timer);
    assert.ok(reached, `never reached the replay:\n${stderr.slice(-3000)}`);
    const spawned = (group: string[]) => group.filter((l) => /producer\.ts|consumer\.ts/.test(l));
    const group = await waitForGroup(pgid, (group) => spawned(group).length === 2);
    const bench = group.find((l) => l.includes("tools/bench.ts"));
    assert.ok(bench, group.join("\n"));
    assert.equal(
      spawned(group).length,
      2,
      `the bench's producer and consumer run:\n${group.join("\n")}`,
    );

    const t0 = performance.now();
    const kill = await new Deno.Command("kill", { args: ["-KILL", bench.split(/\s+/)[0]!] })
      .output();
    assert.ok(kill.success);
    let left: string[] = [];
    for (;;) {
      left = await liveInGroup(pgid);
      if (left.length === 0 || performance.now() - t0 > STOP_LIMIT_MS + 2000) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const ms = Math.round(performance.now() - t0);
    assert.deepEqual(left, [], `still alive ${ms} ms after the bench was killed`);
    Deno.stderr.writeSync(new TextEncoder().encode(`children gone ${ms} ms after kill -9\n`));
    // nothing in a killed process runs: its broker is left, until the next private broker starts
    assert.equal((await kafkaJvms(tmp)).length, 1, "the killed bench's broker runs on");
    const reaped = await reapOrphans(tmp);
    assert.equal(reaped.length, 1);
    const t1 = performance.now();
    while ((await kafkaJvms(tmp)).length > 0 && performance.now() - t1 < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(await kafkaJvms(tmp), []);
    assert.deepEqual(await entries(tmp), []);
    await exited;
    await drained;
  } finally {
    await new Deno.Command("kill", { args: ["-KILL", "--", `-${pgid}`], stderr: "null" })
      .output();
    for (const line of await kafkaJvms(tmp)) {
      await new Deno.Command("kill", { args: ["-KILL", line.trim().split(/\s+/)[0]!] }).output();
    }
    await exited;
    await drained.catch(() => {});
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
});
