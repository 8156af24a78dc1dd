/**
 * `deno task demo` stopped as a service manager or a closed terminal stops
 * it (issue 14, part 3): SIGTERM to its whole process group while it runs.
 * Within 5 s nothing it started may be left: no process of its group (the
 * `deno task` wrapper, the demo, its consumer and forecaster) and no Kafka
 * JVM of its state folder (the broker runs in a session of its own, so only
 * the demo can stop it). The signal is sent twice, 300 ms apart, as happens
 * when `deno task` forwards it or a person presses Ctrl-C again: before the
 * fix the demo died on the second copy (its listener was removed, Deno
 * restored the default action) and left a 411 MB JVM behind.
 *
 * It starts its own broker, in a temp state folder on free ports.
 */
import assert from "node:assert/strict";
import { freePort } from "../_kafka.ts";
import { UCI_PATH } from "../_data.ts";
import { kafkaJvms, liveInGroup } from "../_group.ts";

const ROOT = new URL("../../", import.meta.url);
const STOP_LIMIT_MS = 5000;

Deno.test("SIGTERM to the demo's process group stops the demo, its children and its broker within 5 s", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "airq-demo-signal-" });
  // setsid: `deno task demo` leads a new process group (its pid is the group id)
  const demo = new Deno.Command("setsid", {
    args: [
      Deno.execPath(),
      "task",
      "demo",
      "--duration",
      "300",
      "--port",
      "0",
      "--stations",
      "2",
    ],
    cwd: ROOT,
    env: {
      AIRQ_STATE_DIR: stateDir,
      AIRQ_KAFKA_BROKERS: `127.0.0.1:${freePort()}`,
      AIRQ_KAFKA_CONTROLLER_PORT: String(freePort()),
      AIRQ_DATASET: UCI_PATH,
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const pgid = demo.pid;
  const dec = new TextDecoder();
  let stdout = "";
  let stderr = "";
  let replaying: () => void = () => {};
  const started = new Promise<void>((resolve) => (replaying = resolve));
  const drained = Promise.all([
    (async () => {
      for await (const chunk of demo.stdout) {
        stdout += dec.decode(chunk, { stream: true });
        if (stdout.includes("6. replaying")) replaying();
      }
    })(),
    (async () => {
      for await (const chunk of demo.stderr) stderr += dec.decode(chunk, { stream: true });
    })(),
  ]);
  const exited = demo.status;
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const up = await Promise.race([
      started.then(() => true),
      exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 150_000))),
    ]);
    clearTimeout(timer);
    assert.ok(up, `the demo did not reach its replay:\n${stdout}\n${stderr.slice(-3000)}`);
    assert.equal((await kafkaJvms(stateDir)).length, 1, "the demo started one broker");
    await new Promise((resolve) => setTimeout(resolve, 1000)); // mid-replay

    const t0 = performance.now();
    const kill = await new Deno.Command("kill", { args: ["-TERM", "--", `-${pgid}`] }).output();
    assert.ok(kill.success);
    // the signal often comes twice (deno task forwards the one it got; people press Ctrl-C
    // again): a second copy while the demo cleans up must not cut its clean-up short
    await new Promise((resolve) => setTimeout(resolve, 300));
    await new Deno.Command("kill", { args: ["-TERM", "--", `-${pgid}`], stderr: "null" }).output();
    let left: string[] = [];
    for (;;) {
      left = [...await liveInGroup(pgid), ...await kafkaJvms(stateDir)];
      if (left.length === 0 || performance.now() - t0 > STOP_LIMIT_MS) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const ms = Math.round(performance.now() - t0);
    assert.deepEqual(left, [], `still alive ${ms} ms after SIGTERM to the group:\n${stdout}`);
    Deno.stderr.writeSync(
      new TextEncoder().encode(`stopped ${ms} ms after SIGTERM to the group\n`),
    );
    await exited;
    await drained;
    assert.match(stdout, /SIGTERM: shutting down/);
    assert.match(stdout, /stopped the broker airq started \(pid \d+, (stopped|killed)\)/);
  } finally {
    // whatever the outcome, leave nothing behind
    await new Deno.Command("kill", { args: ["-KILL", "--", `-${pgid}`], stderr: "null" }).output();
    for (const line of await kafkaJvms(stateDir)) {
      await new Deno.Command("kill", { args: ["-KILL", line.trim().split(/\s+/)[0]!] }).output();
    }
    await exited;
    await drained.catch(() => {});
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
});
