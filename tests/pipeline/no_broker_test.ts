/**
 * `deno task produce` with no broker (issue 14, part 3), run as a user runs
 * it, with the task's exact permissions, against a loopback port nobody
 * listens on: it exits 1 after `clusterWaitMs` with one line (the address it
 * tried, what to do) and no kafkajs error lines; SIGINT to it, or SIGTERM to
 * its whole process group, while it waits, ends it within 5 s.
 */
import assert from "node:assert/strict";
import { taskArgv } from "../../lib/harness/tasks.ts";
import { freePort } from "../_kafka.ts";
import { UCI_PATH } from "../_data.ts";

const ROOT = new URL("../../", import.meta.url);
const STOP_LIMIT_MS = 5000;

interface Running {
  process: Deno.ChildProcess;
  /** Resolves once stderr has a line containing `text`. */
  stderrHas: (text: string) => Promise<void>;
  finished: Promise<{ code: number; stdout: string; stderr: string; atMs: number }>;
}

/** Spawns `produce --limit 10` with the task's permissions; `setsid` puts it in its own group. */
async function produce(env: Record<string, string>, ownGroup = false): Promise<Running> {
  const [cmd, ...args] = await taskArgv("produce", {});
  const argv = [...args, "--limit", "10", "--input", UCI_PATH];
  const process = new Deno.Command(ownGroup ? "setsid" : cmd!, {
    args: ownGroup ? [Deno.execPath(), ...argv] : argv,
    cwd: ROOT,
    env: { AIRQ_LOG_FORMAT: "json", NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const waiting: { text: string; resolve: () => void }[] = [];
  const dec = new TextDecoder();
  const drain = async (stream: ReadableStream<Uint8Array>, onText: (t: string) => void) => {
    for await (const chunk of stream) onText(dec.decode(chunk, { stream: true }));
  };
  let stdout = "";
  const drained = Promise.all([
    drain(process.stdout, (t) => void (stdout += t)),
    drain(process.stderr, (t) => {
      stderr += t;
      for (const w of waiting.filter((w) => stderr.includes(w.text))) w.resolve();
    }),
  ]);
  const finished = process.status.then(async ({ code }) => {
    const atMs = performance.now();
    await drained;
    return { code, stdout, stderr, atMs };
  });
  return {
    process,
    stderrHas: (text) =>
      stderr.includes(text)
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push({ text, resolve })),
    finished,
  };
}

Deno.test("produce with no broker exits 1 after clusterWaitMs with one line: the address and what to do", async () => {
  const address = `127.0.0.1:${freePort()}`;
  const t0 = performance.now();
  const run = await produce({ AIRQ_KAFKA_BROKERS: address, AIRQ_KAFKA_CLUSTER_WAIT_MS: "3000" });
  const { code, stderr, stdout, atMs } = await run.finished;
  const elapsed = atMs - t0;
  assert.equal(code, 1, stderr);
  assert.equal(stdout, "", "no summary: nothing was replayed");
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line, got:\n${stderr}`);
  assert.match(lines[0]!, new RegExp(`^error: no Kafka broker answered at ${address} within 3 s`));
  assert.ok(lines[0]!.includes("start one with `deno task broker up`, or set AIRQ_KAFKA_BROKERS"));
  assert.doesNotMatch(stderr, /kafkajs|"level":"ERROR"/);
  // it waited the configured time, and not much more (process start-up on a busy machine)
  assert.ok(elapsed >= 3000, `exited after ${Math.round(elapsed)} ms, before the 3 s wait`);
  assert.ok(elapsed < 3000 + 5000, `exited after ${Math.round(elapsed)} ms`);
});

Deno.test("produce waiting for a broker stops within 5 s of SIGINT to it, and of SIGTERM to its group", async (t) => {
  const env = {
    AIRQ_KAFKA_BROKERS: `127.0.0.1:${freePort()}`,
    AIRQ_KAFKA_CLUSTER_WAIT_MS: "60000",
    AIRQ_LOG_LEVEL: "debug", // "No answer from ... yet": it is waiting
  };
  await t.step("SIGINT to the process", async () => {
    const run = await produce(env);
    await run.stderrHas("No answer from");
    const t0 = performance.now();
    run.process.kill("SIGINT");
    const { code, stderr, atMs } = await run.finished;
    assert.ok(atMs - t0 < STOP_LIMIT_MS, `stopped after ${Math.round(atMs - t0)} ms`);
    assert.equal(code, 130, stderr);
  });
  await t.step("SIGTERM to its process group", async () => {
    const run = await produce(env, true);
    await run.stderrHas("No answer from");
    const t0 = performance.now();
    // setsid made the process the leader of a new group: its pid is the group id
    const kill = await new Deno.Command("kill", {
      args: ["-TERM", "--", `-${run.process.pid}`],
    }).output();
    assert.ok(kill.success);
    const { code, stderr, atMs } = await run.finished;
    assert.ok(atMs - t0 < STOP_LIMIT_MS, `stopped after ${Math.round(atMs - t0)} ms`);
    assert.equal(code, 143, stderr);
  });
});
