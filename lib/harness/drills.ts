/**
 * Reliability drills, shared by the test suite (short) and `deno task drill`
 * (long): they run the real entry scripts as processes with their task
 * permissions, break them, and check the store afterwards.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { openSqliteStore } from "../storage/mod.ts";
import { sleep } from "../timing.ts";
import { runTask, spawnTask } from "./tasks.ts";

const log = getLogger(["airq", "drill"]);

/** Options of the consumer kill drill. */
export interface KillDrillOptions {
  /** Environment of the child processes (brokers, topic prefix, ...). */
  env: Record<string, string>;
  dbPath: string;
  /** Dataset path for the producer. */
  input: string;
  stations: number;
  /** How many times to kill -9 the consumer. */
  kills: number;
  /** Each consumer lives this long (ms) after it has stored something, then gets SIGKILL. */
  lifeMs: [number, number];
  seed: number;
}

/** What a drill measured (its one schema: lib/records/drill.ts). */
export type { DrillReport } from "../records/drill.ts";
import type { DrillReport } from "../records/drill.ts";
import { parseQualityOutput } from "../records/quality.ts";
import { parseLastLine } from "../records/file.ts";
import { ConsumeSummarySchema, ProduceSummarySchema } from "../records/summary.ts";

/** Readings in the drill's SQLite store; 0 before the consumer has created it. */
export async function storedCount(dbPath: string): Promise<number> {
  try {
    await Deno.stat(dbPath);
  } catch {
    return 0;
  }
  const store = await openSqliteStore(dbPath);
  try {
    return (await store.summary()).stored_readings;
  } finally {
    await store.close();
  }
}

const produceSummary = (stdout: string | Uint8Array) =>
  parseLastLine(ProduceSummarySchema, stdout, "deno task produce --json");
const consumeSummary = (stdout: string | Uint8Array) =>
  parseLastLine(ConsumeSummarySchema, stdout, "deno task consume --json");

/**
 * Replays `stations` x the file at full speed while a consumer is killed with
 * SIGKILL `kills` times and restarted; then one last consumer runs until idle.
 * Passes when the store holds every produced reading exactly once.
 */
export async function consumerKillDrill(o: KillDrillOptions): Promise<DrillReport> {
  const t0 = performance.now();
  let random = o.seed >>> 0;
  const next = () => ((random = (Math.imul(random, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const producer = await spawnTask(
    "produce",
    ["--input", o.input, "--speed", "max", "--stations", String(o.stations), "--json"],
    o.env,
  );
  const producerOutput = producer.output();
  let midStream = 0;
  for (let k = 0; k < o.kills; k++) {
    const before = await storedCount(o.dbPath);
    const consumer = await spawnTask("consume", ["--db", o.dbPath], o.env);
    const output = consumer.output();
    // wait until it has stored something new (it is mid-stream), then let it run a little
    const deadline = Date.now() + 30_000;
    while ((await storedCount(o.dbPath)) <= before && Date.now() < deadline) {
      await sleep(50);
    }
    const life = o.lifeMs[0] + next() * (o.lifeMs[1] - o.lifeMs[0]);
    await sleep(life);
    const at = await storedCount(o.dbPath);
    consumer.kill("SIGKILL");
    const status = await output;
    if (at > before) midStream++;
    log.info("kill {k}: SIGKILL after {life} ms, store had {at} readings (exit signal {signal})", {
      k: k + 1,
      life: Math.round(life),
      at,
      signal: status.signal,
    });
  }
  const produced = await producerOutput;
  if (!produced.success) {
    throw new Error(
      `the producer failed: ${new TextDecoder().decode(produced.stderr).slice(-1000)}`,
    );
  }
  const p = produceSummary(produced.stdout);
  const final = await runTask(
    "consume",
    ["--db", o.dbPath, "--exit-when-idle", "3", "--json"],
    o.env,
  );
  if (final.code !== 0) throw new Error(`the last consumer failed: ${final.stderr.slice(-1000)}`);
  const c = consumeSummary(final.stdout);
  const quality = await runTask("quality", ["--db", o.dbPath, "--json"], o.env);
  const q = parseQualityOutput(quality.stdout);
  const expected = o.stations * 9357;
  return {
    drill: "consumer-kill",
    produced: p.sent,
    stored_readings: q.stored_readings,
    expected_readings: expected,
    kills: o.kills,
    kills_mid_stream: midStream,
    duplicates_absorbed: c.duplicates,
    dead_letters: q.dead_letters,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    ok: q.stored_readings === expected && p.sent === expected && q.dead_letters === 0,
  };
}

/** Options of the broker restart drill. */
export interface BrokerRestartOptions {
  env: Record<string, string>;
  dbPath: string;
  input: string;
  stations: number;
  /** Stops the broker (SIGTERM, wait) and starts it again on the same data; returns when it answers. */
  restartBroker: () => Promise<void>;
  /** Restart this long after the replay started, ms. */
  afterMs: number;
}

/**
 * Replays `stations` x the file at full speed with a consumer running, and
 * restarts the broker mid-replay. Passes when the producer reports no failure
 * and the store holds every reading exactly once.
 */
export async function brokerRestartDrill(o: BrokerRestartOptions): Promise<DrillReport> {
  const t0 = performance.now();
  const consumer = await spawnTask("consume", ["--db", o.dbPath], o.env);
  const consumerDone = consumer.output();
  const producer = await spawnTask(
    "produce",
    [
      "--input",
      o.input,
      "--speed",
      "max",
      "--stations",
      String(o.stations),
      "--batch-size",
      "500",
      "--json",
    ],
    o.env,
  );
  const producerDone = producer.output();
  await sleep(o.afterMs);
  const before = await storedCount(o.dbPath);
  log.info("restarting the broker mid-replay (store has {before} readings)", { before });
  await o.restartBroker();
  log.info("broker back after {s} s", { s: Math.round((performance.now() - t0) / 100) / 10 });
  const produced = await producerDone;
  const p = produceSummary(produced.stdout);
  if (!produced.success) {
    throw new Error(
      `the producer failed: ${new TextDecoder().decode(produced.stderr).slice(-1500)}`,
    );
  }
  // let the running consumer catch up, then stop it and confirm with one that runs until idle
  const expected = o.stations * 9357;
  const deadline = Date.now() + 60_000;
  while ((await storedCount(o.dbPath)) < expected && Date.now() < deadline) {
    await sleep(200);
  }
  try {
    consumer.kill("SIGTERM");
  } catch {
    // it already exited: the store check below tells whether that lost anything
  }
  const ran = await consumerDone;
  if (ran.code !== 0 && ran.signal === null) {
    log.warn("the consumer exited with code {code} during the drill", { code: ran.code });
  }
  const final = await runTask(
    "consume",
    ["--db", o.dbPath, "--exit-when-idle", "2", "--json"],
    o.env,
  );
  const c = consumeSummary(final.stdout);
  const q = parseQualityOutput(
    (await runTask("quality", ["--db", o.dbPath, "--json"], o.env)).stdout,
  );
  return {
    drill: "broker-restart",
    produced: p.sent,
    stored_readings: q.stored_readings,
    expected_readings: expected,
    kills: 0,
    kills_mid_stream: before > 0 && before < expected ? 1 : 0,
    duplicates_absorbed: c.duplicates,
    dead_letters: q.dead_letters,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    ok: q.stored_readings === expected && p.sent === expected && p.failed === 0,
  };
}
