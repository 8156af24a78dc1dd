/**
 * The producer's hang (issue 14, part 3): a replay whose broker stops
 * answering mid-stream (SIGSTOP on a private broker: sends block in kafkajs's
 * retries) must still obey SIGINT within 5 s, and its summary must say what
 * was acknowledged, what was left unconfirmed and what was never sent. Nothing
 * acknowledged is lost: the topic holds at least every acknowledged reading.
 */
import assert from "node:assert/strict";
import { resolveDirs, startPrivateBroker } from "../../lib/harness/broker/mod.ts";
import { createKafka, topicEndOffset, withAdmin } from "../../lib/kafka/mod.ts";
import { loadTopicsConfig, topicByRole } from "../../lib/config/mod.ts";
import { taskArgv } from "../../lib/harness/tasks.ts";
import { UCI_PATH } from "../_data.ts";

const ROOT = new URL("../../", import.meta.url);

async function signal(pid: number, name: "STOP" | "CONT"): Promise<void> {
  const out = await new Deno.Command("kill", { args: [`-${name}`, String(pid)] }).output();
  assert.ok(out.success, `kill -${name} ${pid}`);
}

Deno.test("produce with a frozen broker stops within 5 s of SIGINT and reports what was not confirmed", async () => {
  const priv = await startPrivateBroker({
    prefix: "airq-producer-stop-",
    cacheDir: resolveDirs((name) => Deno.env.get(name)).cacheDir,
    kafkaHome: Deno.env.get("KAFKA_HOME"),
  });
  const pid = priv.up.pid!;
  let frozen = false;
  try {
    const [cmd, ...args] = await taskArgv("produce", {});
    // paced: 5 stations at 36,000x is 50 readings/s, a send every few linger periods
    const producer = new Deno.Command(cmd!, {
      args: [...args, "--input", UCI_PATH, "--stations", "5", "--speed", "36000", "--json"],
      cwd: ROOT,
      env: { AIRQ_KAFKA_BROKERS: priv.brokers, AIRQ_LOG_FORMAT: "json", NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const collect = async (stream: ReadableStream<Uint8Array>) =>
      new TextDecoder().decode(await new Response(stream).arrayBuffer());
    const streams = Promise.all([collect(producer.stdout), collect(producer.stderr)]);
    const exited = producer.status.then((status) => ({ status, atMs: performance.now() }));
    // let it send for a while, then freeze the broker: the sends in flight block
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await signal(pid, "STOP");
    frozen = true;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const t0 = performance.now();
    producer.kill("SIGINT");
    // a producer that hangs (as it did) fails the test instead of hanging it
    const hung = setTimeout(() => producer.kill("SIGKILL"), 15_000);
    const { status, atMs } = await exited;
    clearTimeout(hung);
    const stoppedMs = atMs - t0;
    const [stdout, stderr] = await streams;
    assert.ok(stoppedMs < 5000, `stopped ${Math.round(stoppedMs)} ms after SIGINT`);
    assert.equal(status.code, 130, stderr);
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
    Deno.stderr.writeSync(new TextEncoder().encode(
      `stopped ${Math.round(stoppedMs)} ms after SIGINT: ${JSON.stringify(summary)}\n`,
    ));
    assert.equal(summary.outcome, "interrupted");
    assert.ok(summary.sent > 0, "it was sending before the freeze");
    assert.ok(
      summary.unconfirmed + summary.not_sent > 0,
      `readings built after the freeze are reported: ${JSON.stringify(summary)}`,
    );
    assert.equal(summary.failed, 0);

    await signal(pid, "CONT");
    frozen = false;
    // nothing acknowledged is lost; what was unconfirmed may or may not have been written
    const raw = topicByRole(await loadTopicsConfig(), "raw").name;
    const end = await withAdmin(
      createKafka(priv.config, { clientId: "producer-stop-test" }),
      (admin) => topicEndOffset(admin, raw),
    );
    assert.ok(end >= summary.sent, `${end} records in the topic, ${summary.sent} acknowledged`);
    assert.ok(end <= summary.sent + summary.unconfirmed);
  } finally {
    if (frozen) await signal(pid, "CONT");
    await priv.stop();
  }
});
