/**
 * A private broker whose command was killed with SIGKILL (nothing in it can
 * run: its JVM, in a session of its own, goes on) is cleaned by the next
 * private broker's start (lib/harness/broker/orphans.ts): its JVM killed, its
 * folder removed; the folders of running owners, and folders that name no
 * owner, are left alone.
 *
 * The killed command is a `deno eval` that starts a private broker in a temp
 * root of the test's own (TMPDIR) and waits; the test kills it and then runs
 * the clean-up on that root.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { OWNER_FILE, reapOrphans } from "../../lib/harness/broker/orphans.ts";
import { kafkaJvms, pollUntil } from "../_group.ts";

const PRIVATE = new URL("../../lib/harness/broker/mod.ts", import.meta.url).href;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("a private broker left by a killed command is killed and removed by the next start; others are left alone", async () => {
  const root = await Deno.makeTempDir({ prefix: "airq-orphans-test-" });
  const script = `
    import { resolveDirs, startPrivateBroker } from ${JSON.stringify(PRIVATE)};
    const priv = await startPrivateBroker({
      prefix: "airq-orphan-",
      cacheDir: resolveDirs((k) => Deno.env.get(k)).cacheDir,
      kafkaHome: Deno.env.get("KAFKA_HOME"),
    });
    console.log(JSON.stringify({ stateDir: priv.stateDir, pid: priv.up.pid }));
    await new Promise(() => {});
  `;
  const owner = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { TMPDIR: root, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = owner.stderr.pipeTo(new WritableStream()).catch(() => {});
  let stateDir = "";
  try {
    const reader = owner.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    reader.releaseLock();
    owner.stdout.cancel().catch(() => {});
    ({ stateDir } = JSON.parse(text.trim()));
    assert.ok(stateDir.startsWith(root), stateDir);
    assert.ok(await exists(join(stateDir, OWNER_FILE)), "the folder names its owner");

    // folders that must survive: one of a running owner (this test), one that names nobody
    const alive = await Deno.makeTempDir({ dir: root, prefix: "airq-alive-" });
    await Deno.writeTextFile(
      join(alive, OWNER_FILE),
      JSON.stringify({ pid: Deno.pid, started: await lstart(Deno.pid) }),
    );
    const anonymous = await Deno.makeTempDir({ dir: root, prefix: "airq-anonymous-" });

    // nothing is reaped while the owner runs
    assert.deepEqual(await reapOrphans(root), []);
    owner.kill("SIGKILL");
    await owner.status;
    assert.equal((await kafkaJvms(stateDir)).length, 1, "the killed command's broker runs on");

    const reaped = await reapOrphans(root);
    assert.equal(reaped.length, 1);
    assert.equal(reaped[0]!.dir, stateDir);
    assert.equal(reaped[0]!.owner, owner.pid);
    assert.equal(reaped[0]!.killed.length, 1);
    assert.deepEqual(
      await pollUntil(() => kafkaJvms(stateDir), (j) => j.length === 0, 5000),
      [],
      "its JVM is gone",
    );
    assert.equal(await exists(stateDir), false, "its folder is removed");
    assert.equal(await exists(alive), true);
    assert.equal(await exists(anonymous), true);
  } finally {
    try {
      owner.kill("SIGKILL");
    } catch {
      // already gone
    }
    await owner.status;
    await stderr;
    for (const line of stateDir === "" ? [] : await kafkaJvms(stateDir)) {
      await new Deno.Command("kill", { args: ["-KILL", line.trim().split(/\s+/)[0]!] }).output();
    }
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

async function lstart(pid: number): Promise<string> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "lstart=", "-p", String(pid)],
    stdout: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}
