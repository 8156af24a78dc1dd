/**
 * Scale-out: two consumer processes in one group share the raw topic's
 * partitions (disjoint assignments covering all of them), and together store
 * every reading exactly once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createKafka, withAdmin } from "../../lib/kafka/mod.ts";
import { pipelineContext, runTask, spawnTask } from "../_pipeline.ts";
import { UCI_PATH } from "../_data.ts";
import { waitFor } from "../_kafka.ts";

Deno.test("two consumers in one group split the partitions and store every reading once", async () => {
  const ctx = await pipelineContext();
  const db = join(ctx.dir, "airq.db");
  const group = `airq-scale-${ctx.prefix}`;
  const kafka = createKafka(ctx.kafka, { clientId: "airq-test-scale" });
  try {
    // the topics exist before the consumers subscribe
    const first = await runTask("produce", [
      "--input",
      UCI_PATH,
      "--speed",
      "max",
      "--stations",
      "12",
      "--limit",
      "24000",
      "--json",
    ], ctx.env);
    assert.equal(first.code, 0, first.stderr);
    const consumers = [
      await spawnTask(
        "consume",
        ["--db", db, "--group", group, "--exit-when-idle", "6", "--json"],
        ctx.env,
      ),
      await spawnTask(
        "consume",
        ["--db", db, "--group", group, "--exit-when-idle", "6", "--json"],
        ctx.env,
      ),
    ];
    const outputs = consumers.map((c) => c.output());
    // both members hold part of the topic at the same time
    let assignments: number[][] = [];
    await waitFor(async () => {
      const described = await withAdmin(kafka, (admin) => admin.describeGroups([group]));
      const g = described.groups[0];
      if (!g || g.state !== "Stable" || g.members.length !== 2) return false;
      const { AssignerProtocol } = await import("kafkajs");
      assignments = g.members.map((m) => {
        const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
        return a?.assignment[ctx.raw] ?? [];
      });
      return true;
    }, { timeoutMs: 30_000, what: "a stable group with two members" });
    const all = assignments.flat().sort((a, b) => a - b);
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5], "disjoint and complete");
    assert.ok(assignments.every((a) => a.length > 0), "each member has partitions");

    const results = await Promise.all(outputs);
    const summaries = results.map((r) => {
      assert.equal(r.code, 0, new TextDecoder().decode(r.stderr).slice(-2000));
      return JSON.parse(new TextDecoder().decode(r.stdout).trim().split("\n").at(-1)!);
    });
    const quality = await runTask("quality", ["--db", db, "--json"], ctx.env);
    const q = JSON.parse(quality.stdout);
    assert.equal(q.stored_readings, 24000);
    assert.equal(q.stations, 12);
    assert.equal(
      summaries[0].stored + summaries[1].stored,
      24000,
      "each reading stored by exactly one member",
    );
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});
