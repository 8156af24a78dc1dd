/**
 * The forecaster end to end on the real broker, through the `produce` and
 * `forecast` tasks with their permissions: 48 hours of one station in, exactly
 * 48 committed forecast sets out (one record per reading, each with its 12
 * targets x horizons and their intervals, valid against lib/records' schema);
 * the same after kill -9 and a restart, after a crash with a transaction open
 * (its records in the log, never committed), and with two members.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createKafka, type Kafka, readAllRecords } from "../../lib/kafka/mod.ts";
import { forecastRows, type ForecastSet, ForecastSetSchema } from "../../lib/records/mod.ts";
import { CHUNK_STAGES, MONITOR_SNAPSHOT } from "../../lib/realtime/mod.ts";
import { MonitorOutputSchema, MonitorSnapshotSchema } from "../../lib/monitoring/mod.ts";
import { openStore } from "../../lib/storage/mod.ts";
import { collect } from "../_browser.ts";
import {
  type PipelineContext,
  pipelineContext,
  readCommitted,
  runTask,
  spawnTask,
} from "../_pipeline.ts";

const FIXTURE = "tests/fixtures/uci_head.csv";
const READINGS = 48;
const PER_READING = 12;

async function produceFixture(ctx: PipelineContext): Promise<void> {
  const produced = await runTask(
    "produce",
    ["--input", FIXTURE, "--speed", "max", "--json"],
    ctx.env,
  );
  assert.equal(produced.code, 0, produced.stderr);
  const p = JSON.parse(produced.stdout.trim().split("\n").at(-1)!);
  assert.equal(p.sent, READINGS);
}

/** The committed forecast sets, each checked against the records' schema. */
async function readSets(
  kafka: Kafka,
  topic: string,
  expected: number,
  options: { timeoutMs?: number; readUncommitted?: boolean } = {},
): Promise<ForecastSet[]> {
  const records = await readCommitted(kafka, topic, expected, options);
  return records.map((r) => ForecastSetSchema.parse(r));
}

/** One set per reading (`expected` of them), each with every target and horizon once. */
function assertExactlyOnce(sets: ForecastSet[], expected = READINGS, stations = 1): void {
  assert.equal(sets.length, expected, "one record per reading");
  assert.equal(new Set(sets.map((s) => s.set_id)).size, expected, "no duplicates");
  assert.equal(new Set(sets.map((s) => s.station_id)).size, stations);
  for (const set of sets) {
    const rows = forecastRows(set);
    assert.equal(rows.length, PER_READING, "every target and horizon");
    assert.equal(new Set(rows.map((r) => r.forecast_id)).size, PER_READING);
    for (const r of rows) {
      // nothing observed yet for the target (a station's first readings in a process, here
      // without a store of readings to warm from): no value and no interval, and said so
      if (r.value === null) {
        assert.equal(r.fallback_reason, "no_observation", JSON.stringify(r));
        assert.equal(r.interval, null);
        continue;
      }
      assert.ok(r.value !== null && r.interval !== null, JSON.stringify(r));
      assert.ok(r.interval.lower <= r.value && r.value <= r.interval.upper, JSON.stringify(r));
    }
  }
}

Deno.test("produce 48 h -> forecast: exactly 48 committed forecast sets of 12, each inside its interval", async () => {
  const ctx = await pipelineContext();
  const kafka = createKafka(ctx.kafka);
  try {
    await produceFixture(ctx);
    const t0 = performance.now();
    const run = await runTask(
      "forecast",
      ["--db", join(ctx.dir, "airq.db"), "--exit-when-idle", "2", "--json"],
      ctx.env,
    );
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(run.code, 0, run.stderr);
    const s = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    assert.equal(s.outcome, "idle");
    assert.equal(s.readings, READINGS);
    assert.equal(s.forecasts, READINGS * PER_READING);
    assert.equal(s.forecast_sets, READINGS);
    // where the latency goes: every committed chunk's stages, the producer's header included
    assert.equal(s.chunk_ms.chunks, s.transactions);
    for (const q of ["p50", "p99"]) {
      for (const stage of CHUNK_STAGES) {
        const ms = s.chunk_ms[q][stage];
        assert.ok(typeof ms === "number" && ms >= 0, `${q} ${stage}: ${ms}`);
      }
      assert.ok(s.chunk_ms[q].total >= s.chunk_ms[q].fetch, "total includes the fetch");
    }
    assertExactlyOnce(await readSets(kafka, `${ctx.prefix}airq.forecasts`, READINGS));
    // deno-lint-ignore no-console
    console.log(
      `forecast task: ${s.forecasts} forecasts in ${s.duration_s} s inside the process ` +
        `(${s.forecasts_per_s}/s incl. joining the group and 2 s idle), ${
          seconds.toFixed(1)
        } s wall`,
    );
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});

Deno.test("kill -9 mid-stream and restart: still exactly one forecast set per reading", async () => {
  const ctx = await pipelineContext();
  const kafka = createKafka(ctx.kafka);
  const topic = `${ctx.prefix}airq.forecasts`;
  try {
    // readings trickle in (20 a second), so the forecaster commits many small transactions
    // and is killed between them, with later readings still to come
    const producer = await spawnTask(
      "produce",
      ["--input", FIXTURE, "--speed", "72000", "--json"],
      ctx.env,
    );
    const child = await spawnTask("forecast", [
      "--db",
      join(ctx.dir, "airq.db"),
      "--exit-when-idle",
      "30",
    ], ctx.env);
    const drain = child.stderr.pipeTo(new WritableStream());
    // killed once a first transaction has COMMITTED (its readings' offsets are in the group):
    // the forecasts topic's high watermark also counts records of a transaction still open
    const committedAtKill = await firstCommitted(kafka, ctx.raw, 15_000);
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel();
    await drain;
    const produced = await producer.output();
    assert.equal(produced.code, 0, new TextDecoder().decode(produced.stderr));
    assert.ok(committedAtKill > 0, "the first run published before it was killed");
    const run = await runTask("forecast", [
      "--db",
      join(ctx.dir, "airq.db"),
      "--exit-when-idle",
      "2",
      "--json",
    ], ctx.env);
    assert.equal(run.code, 0, run.stderr);
    const s = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    assert.ok(
      s.readings < READINGS,
      `the restart took over mid-stream (${s.readings} readings left)`,
    );
    assertExactlyOnce(await readSets(kafka, topic, READINGS));
    // deno-lint-ignore no-console
    console.log(
      `killed after ${committedAtKill} committed readings; the restart did ${s.readings}`,
    );
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});

Deno.test("crash with the transaction open: its records are in the log but never read_committed", async () => {
  const ctx = await pipelineContext();
  const kafka = createKafka(ctx.kafka);
  const topic = `${ctx.prefix}airq.forecasts`;
  try {
    await produceFixture(ctx);
    const crashed = await runTask("forecast", [
      "--db",
      join(ctx.dir, "airq.db"),
      "--exit-when-idle",
      "30",
    ], {
      ...ctx.env,
      AIRQ_FAULT_EXIT_BEFORE_COMMIT: "1",
    });
    assert.equal(crashed.code, 137, crashed.stderr);
    const uncommitted = await readSets(kafka, topic, READINGS, { readUncommitted: true });
    assert.ok(uncommitted.length > 0, "the crashed run wrote records it never committed");
    const run = await runTask("forecast", [
      "--db",
      join(ctx.dir, "airq.db"),
      "--exit-when-idle",
      "2",
      "--json",
    ], ctx.env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout.trim().split("\n").at(-1)!).readings, READINGS);
    assertExactlyOnce(await readSets(kafka, topic, READINGS));
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});

Deno.test("two forecasters share a group; one is killed -9 and the other takes its partitions: still exactly once", async () => {
  const ctx = await pipelineContext();
  const kafka = createKafka(ctx.kafka);
  const topic = `${ctx.prefix}airq.forecasts`;
  const stations = 12;
  const total = READINGS * stations;
  const forecast = (idle: string) =>
    spawnTask("forecast", ["--db", join(ctx.dir, "airq.db"), "--exit-when-idle", idle, "--json"], {
      ...ctx.env,
      AIRQ_LOG_LEVEL: "info",
    });
  try {
    // 12 stations over the 6 raw partitions, trickling in for about 10 s
    const producer = await spawnTask(
      "produce",
      ["--input", FIXTURE, "--speed", "18000", "--stations", String(stations), "--json"],
      ctx.env,
    );
    const doomed = await forecast("60");
    const doomedLog = collect(doomed.stderr);
    // the survivor outlives the killed member's session (10 s) before it takes its partitions
    const survivor = await forecast("15");
    const survivorOut = survivor.output();
    // the doomed member's partitions, from its log, once both have joined
    let mine: number[] = [];
    const joinedBy = Date.now() + 30_000;
    while (Date.now() < joinedBy) {
      const joins = doomedLog.text().split("\n").filter((l) => l.includes("Joined group"));
      const last = joins.at(-1);
      if (last !== undefined) {
        const assignment = JSON.parse(JSON.parse(last).properties.assignment);
        mine = (assignment[ctx.raw] ?? []) as number[];
        if (mine.length > 0 && mine.length < 6) break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(
      mine.length > 0 && mine.length < 6,
      `the two members split the partitions: ${mine}\n${doomedLog.text().slice(-3000)}`,
    );
    // killed once it has committed a transaction of its own partitions: the group's offsets
    // on them must move past where they were at the split (the other member may have
    // committed on them before, in the generation where it owned every partition)
    const atSplit = await committedOn(kafka, ctx.raw, mine);
    const committed = await firstCommitted(kafka, ctx.raw, 20_000, mine, atSplit) - atSplit;
    doomed.kill("SIGKILL");
    await doomed.status;
    await doomed.stdout.cancel();
    assert.ok(committed > 0, "the killed member committed forecasts of its partitions first");
    const produced = await producer.output();
    assert.equal(produced.code, 0, new TextDecoder().decode(produced.stderr));
    const out = await survivorOut;
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const s = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    assert.ok(
      s.readings < total,
      `the killed member did part of the work (survivor: ${s.readings})`,
    );

    assertExactlyOnce(await readSets(kafka, topic, total, { timeoutMs: 20_000 }), total, stations);
    // each member stored its own monitoring snapshot; `monitor` merges them: the union of the
    // members' stations (each monitor holds those of the partitions it kept), each from
    // the member that saw its latest reading, and the members' counts summed
    const db = join(ctx.dir, "airq.db");
    const monitor = await runTask("monitor", ["--db", db, "--alerts", "0"], ctx.env);
    assert.equal(monitor.code, 0, monitor.stderr);
    const merged = MonitorOutputSchema.parse(JSON.parse(monitor.stdout));
    const store = await openStore(db);
    const stored = await store.snapshots(MONITOR_SNAPSHOT).finally(() => store.close());
    assert.equal(stored.length, 2, stored.map((r) => r.name).join(", "));
    const values = stored.map((r) => MonitorSnapshotSchema.parse(r.value));
    const union = new Set(values.flatMap((v) => Object.keys(v.stations)));
    assert.deepEqual(Object.keys(merged.monitor.stations).sort(), [...union].sort());
    assert.deepEqual(merged.members!.map((m) => m.name).sort(), stored.map((r) => r.name).sort());
    assert.deepEqual(merged.members!.flatMap((m) => m.stations).sort(), [...union].sort());
    assert.equal(
      merged.monitor.counts.readings,
      values[0]!.counts.readings + values[1]!.counts.readings,
    );
    // the survivor kept its own partitions' stations through the rebalance after the kill (its
    // monitor forgets only the stations of partitions it gives away): its last snapshot, the
    // newest, holds every station of the partitions it had at the split
    const partitionOf = new Map<string, number>();
    for (const r of (await readAllRecords(kafka, ctx.raw, total)).records) {
      partitionOf.set(JSON.parse(new TextDecoder().decode(r.value)).station_id, r.partition);
    }
    const kept = [...partitionOf].filter(([, p]) => !mine.includes(p)).map(([id]) => id);
    const newest = stored.reduce((a, b) => (b.updated_at_ms > a.updated_at_ms ? b : a));
    const survivorStations = Object.keys(MonitorSnapshotSchema.parse(newest.value).stations);
    assert.ok(kept.length > 0);
    for (const id of kept) {
      assert.ok(survivorStations.includes(id), `${id} (kept) in ${survivorStations}`);
    }
    for (const id of union) {
      const latest = Math.max(
        ...values.map((v) => Date.parse(v.stations[id]?.event_range.to ?? "1970-01-01T00:00:00Z")),
      );
      assert.equal(Date.parse(merged.monitor.stations[id]!.event_range.to!), latest, id);
    }
    // deno-lint-ignore no-console
    console.log(
      `killed member owned partitions ${mine} and committed ${committed} readings; ` +
        `the survivor did ${s.readings}`,
    );
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});

Deno.test("a commit whose answer is lost: the batch is read again but not forecast twice", async () => {
  // what the hung-broker drill hit: a transaction committed on the broker while the client
  // was told it failed (its answer lost in a coordinator failover). kafkajs retries the
  // batch in the same member from the position before it, so the forecaster must learn the
  // group's offset (after a fresh initTransactions) and skip what that transaction consumed
  const ctx = await pipelineContext();
  const kafka = createKafka(ctx.kafka);
  try {
    await produceFixture(ctx);
    const run = await runTask(
      "forecast",
      ["--db", join(ctx.dir, "airq.db"), "--exit-when-idle", "3", "--json"],
      { ...ctx.env, AIRQ_FAULT_LOSE_FIRST_COMMIT_ANSWER: "1", AIRQ_LOG_LEVEL: "info" },
    );
    assert.equal(run.code, 0, run.stderr);
    const sets = await readSets(kafka, `${ctx.prefix}airq.forecasts`, READINGS, {
      timeoutMs: 5_000,
    });
    assertExactlyOnce(sets);
    const offsets = sets.map((x) => Number(x.source!.offset)).sort((a, b) => a - b);
    assert.deepEqual(offsets, [...Array(READINGS).keys()]);
    const s = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    assert.equal(s.aborted_transactions, 1, "the lost answer failed the batch once");
    // the first transaction took the whole fixture (one batch): all of it is skipped on the retry
    assert.equal(s.skipped_committed, READINGS);
    assert.match(run.stderr, /already consumed by a committed transaction/);
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
});

/**
 * Polls the forecaster group's committed offsets on `raw` (of `partitions`,
 * default all) until their sum is above 0 or `timeoutMs` passes; returns the sum.
 */
async function firstCommitted(
  kafka: Kafka,
  raw: string,
  timeoutMs: number,
  partitions?: readonly number[],
  above = 0,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let committed = above;
  while (Date.now() < deadline && committed <= above) {
    committed = await committedOn(kafka, raw, partitions);
    await new Promise((r) => setTimeout(r, 20));
  }
  return committed;
}

/** The forecaster group's committed offsets on `raw` (on `partitions`, else all), summed. */
async function committedOn(
  kafka: Kafka,
  raw: string,
  partitions?: readonly number[],
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const groups = await admin.fetchOffsets({ groupId: "airq-forecaster", topics: [raw] })
      .catch(() => []);
    return (groups[0]?.partitions ?? [])
      .filter((p) => partitions === undefined || partitions.includes(p.partition))
      .reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}
