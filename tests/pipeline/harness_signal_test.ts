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
 * And `kill -9` of a bench, where nothing in it can run: its children stop
 * themselves (`AIRQ_PARENT_PID`, lib/stop.ts), and its broker is reaped by
 * the next private broker's start (lib/harness/broker/orphans.ts).
 *
 * Each run gets its own TMPDIR, where the private broker makes its folder,
 * so the JVM and the folder are found by that path.
 */
import assert from "node:assert/strict";
import { UCI_PATH } from "../_data.ts";
import { GroupCommand, kafkaJvms, liveInGroup, pollUntil } from "../_group.ts";
import { reapOrphans } from "../../lib/harness/broker/orphans.ts";

const STOP_LIMIT_MS = 5000;

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** A bench or drill in its own group, with TMPDIR of its own; `test` gets both. */
async function withHarness(
  task: string[],
  test: (command: GroupCommand, tmp: string) => Promise<void>,
): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "airq-harness-signal-" });
  const command = new GroupCommand(task, {
    TMPDIR: tmp,
    AIRQ_DATASET: UCI_PATH,
    AIRQ_LOG_FORMAT: "json",
  });
  try {
    await test(command, tmp);
  } finally {
    // whatever the outcome, leave nothing behind
    await command.cleanUp(tmp);
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

interface Case {
  name: string;
  task: string[];
  /** A line of the command's stderr after which it starts its children. */
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
    await withHarness(c.task, async (command, tmp) => {
      assert.ok(await command.printed(c.busy), `never reached ${c.busy}:\n${command.stderr}`);
      // the wrapper, the command and at least one child (started just after that line)
      const before = await pollUntil(() => liveInGroup(command.pgid), (g) => g.length >= 3, 10_000);
      assert.ok(before.length >= 3, `the command and its children run:\n${before.join("\n")}`);
      assert.equal((await kafkaJvms(tmp)).length, 1, "one private broker runs");
      assert.equal((await entries(tmp)).length, 1, "the broker's folder is in TMPDIR");

      const t0 = performance.now();
      assert.ok(await command.kill(c.signal, c.to === "group" ? undefined : command.pgid));
      const left = await pollUntil(
        async () => [...await liveInGroup(command.pgid), ...await kafkaJvms(tmp)],
        (l) => l.length === 0,
        STOP_LIMIT_MS,
      );
      const ms = Math.round(performance.now() - t0);
      assert.deepEqual(left, [], `still alive ${ms} ms after SIG${c.signal}`);
      Deno.stderr.writeSync(new TextEncoder().encode(`stopped ${ms} ms after SIG${c.signal}\n`));
      const status = await command.exited;
      await command.drained();
      assert.equal(status.code, c.code, command.stderr.slice(-2000));
      assert.deepEqual(await entries(tmp), [], "the broker's folder is removed");
      assert.match(command.stderr, new RegExp(`SIG${c.signal}.*stopped`));
    });
  });
}

Deno.test("kill -9 of `deno task bench ingest` mid-replay: its children stop themselves, the next private broker's start reaps its broker", async () => {
  await withHarness(["bench", "ingest", "--stations", "20"], async (command, tmp) => {
    assert.ok(await command.printed(/Ingest: \d+ readings/), command.stderr.slice(-3000));
    const spawned = (group: string[]) => group.filter((l) => /producer\.ts|consumer\.ts/.test(l));
    const group = await pollUntil(
      () => liveInGroup(command.pgid),
      (g) => spawned(g).length === 2,
      10_000,
    );
    assert.equal(spawned(group).length, 2, `its producer and consumer run:\n${group.join("\n")}`);
    const bench = group.find((l) => l.includes("tools/bench.ts"));
    assert.ok(bench, group.join("\n"));

    const t0 = performance.now();
    assert.ok(await command.kill("KILL", Number(bench.split(/\s+/)[0])));
    const left = await pollUntil(
      () => liveInGroup(command.pgid),
      (l) => l.length === 0,
      STOP_LIMIT_MS + 2000,
    );
    const ms = Math.round(performance.now() - t0);
    assert.deepEqual(left, [], `still alive ${ms} ms after the bench was killed`);
    Deno.stderr.writeSync(new TextEncoder().encode(`children gone ${ms} ms after kill -9\n`));
    // nothing in a killed process runs: its broker is left, until the next private broker starts
    assert.equal((await kafkaJvms(tmp)).length, 1, "the killed bench's broker runs on");
    assert.equal((await reapOrphans(tmp)).length, 1);
    assert.deepEqual(await pollUntil(() => kafkaJvms(tmp), (j) => j.length === 0, 5000), []);
    assert.deepEqual(await entries(tmp), []);
  });
});
