/**
 * `deno task broker up|down|status` end to end, with the exact permissions of
 * the task, on a second broker in its own state folder and ports: up twice
 * leaves one JVM, status reports topics by role, down leaves none, a taken
 * port gives an error that names it.
 */
import assert from "node:assert/strict";
import { loadTopicsConfig } from "../../lib/config/mod.ts";
import { freePort } from "../_kafka.ts";

const ROOT = new URL("../../", import.meta.url);

async function task(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "broker", ...args],
    cwd: ROOT,
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function javaProcessesFor(stateDir: string): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-eo", "args"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((l) => l.includes("kafka.Kafka") && l.includes(stateDir)).length;
}

Deno.test("broker up twice leaves one broker; status reports it; down leaves none", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "airq-lifecycle-" });
  const env = {
    AIRQ_STATE_DIR: stateDir,
    AIRQ_KAFKA_BROKERS: `127.0.0.1:${freePort()}`,
    AIRQ_KAFKA_CONTROLLER_PORT: String(freePort()),
  };
  try {
    const first = await task(["up", "--json"], env);
    assert.equal(first.code, 0, first.stderr);
    const up1 = JSON.parse(first.stdout);
    assert.equal(up1.outcome, "started");
    const configured = (await loadTopicsConfig()).topics.map((t) => t.name).sort();
    assert.deepEqual(up1.topics_created.sort(), configured, "every configured topic created");

    const second = await task(["up", "--json"], env);
    assert.equal(second.code, 0, second.stderr);
    const up2 = JSON.parse(second.stdout);
    assert.equal(up2.outcome, "reused");
    assert.equal(up2.pid, up1.pid);
    assert.equal(await javaProcessesFor(stateDir), 1, "exactly one JVM");

    const status = await task(["status", "--json"], env);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout);
    assert.equal(report.brokers, env.AIRQ_KAFKA_BROKERS);
    assert.equal(report.running, true);
    assert.equal(report.pid, up1.pid);
    const roles = Object.fromEntries(
      report.topics.map((t: { name: string; role: string }) => [t.name, t.role]),
    );
    assert.equal(roles["airq.readings.raw"], "raw");
    assert.equal(roles["airq.readings.dlq"], "dead_letter");
    assert.equal(
      report.topics.find((t: { name: string }) => t.name === "airq.readings.raw").partitions,
      6,
    );

    const down = await task(["down", "--json"], env);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(JSON.parse(down.stdout).outcome, "stopped");
    assert.equal(await javaProcessesFor(stateDir), 0, "no JVM left");

    const again = await task(["down", "--json"], env);
    assert.equal(JSON.parse(again.stdout).outcome, "not-running");
    const gone = await task(["status", "--json"], env);
    assert.equal(gone.code, 1, "status exits 1 when no broker answers");
    assert.equal(JSON.parse(gone.stdout).running, false);
  } finally {
    await task(["down"], env);
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("broker up on a taken port fails with the port and its owner, and starts nothing", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "airq-porttaken-" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const env = {
    AIRQ_STATE_DIR: stateDir,
    AIRQ_KAFKA_BROKERS: `127.0.0.1:${port}`,
    AIRQ_KAFKA_CONTROLLER_PORT: String(freePort()),
  };
  try {
    const result = await task(["up"], env);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(`Port ${port} on 127\\.0\\.0\\.1 \\(the broker port\\)`),
    );
    assert.match(result.stderr, new RegExp(`pid ${Deno.pid}`), "names the process holding it");
    assert.match(result.stderr, /AIRQ_KAFKA_BROKERS/, "says what to do");
    assert.equal(await javaProcessesFor(stateDir), 0);
  } finally {
    listener.close();
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("an external cluster is never started or stopped", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "airq-external-" });
  const env = { AIRQ_STATE_DIR: stateDir, AIRQ_KAFKA_BROKERS: "kafka-1.example.com:9092" };
  try {
    const down = await task(["down", "--json"], env);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(JSON.parse(down.stdout).outcome, "external");
    assert.equal(await javaProcessesFor(stateDir), 0);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});
