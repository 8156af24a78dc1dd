/**
 * `deno task bench clients` end to end with the task's own permissions, on a
 * tiny workload: it starts its private broker, measures both clients, and its
 * exactly-once check passes for each (the Java console consumer reads exactly
 * the N outputs at read_committed and the 100 aborted records only at
 * read_uncommitted). Rates are not judged here, only that they were measured.
 */
import assert from "node:assert/strict";
import type { ClientsResult } from "../../lib/bench/clients.ts";

const ROOT = new URL("../../", import.meta.url);
const MESSAGES = 600;

Deno.test("bench clients measures both clients and checks exactly once for each", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-bench-clients-test-" });
  try {
    const json = `${dir}/clients.json`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "--quiet",
        "bench",
        "clients",
        "--messages",
        String(MESSAGES),
        "--perf-records",
        "1000",
        "--json",
        json,
      ],
      cwd: ROOT,
      env: { NO_COLOR: "1", AIRQ_LOG_LEVEL: "warning" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr.slice(-3000));
    const result = JSON.parse(await Deno.readTextFile(json)) as ClientsResult;
    assert.deepEqual(result.clients.map((c) => c.name), ["kafkajs", "@platformatic/kafka"]);
    const imports = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).imports;
    for (const c of result.clients) {
      assert.equal(imports[c.name], `npm:${c.name}@${c.version}`);
      assert.ok(c.produce_per_s > 0 && c.transform_per_s > 0, JSON.stringify(c));
      assert.deepEqual(c.checks, {
        read_committed: MESSAGES,
        read_committed_distinct_keys: MESSAGES,
        read_committed_aborted_keys: 0,
        read_uncommitted: MESSAGES + 100,
        raw_group_lag: 0,
      });
      assert.equal(c.exactly_once_ok, true);
    }
    assert.ok(result.kafka_producer_perf_per_s > 0);
    // the task grants no --allow-ffi, so the native CRC32C addon is not loaded
    assert.equal(result.platformatic_crc32c, "wasm");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
