/**
 * The live half of the parity benchmark (`parity.ts`): on a private broker,
 * through the `train`, `produce`, `consume` and `forecast` tasks with their
 * own permissions, the model trained on the hours before the test window,
 * the history stored, the test window replayed through the forecaster, and
 * its committed forecast sets read back (read_committed).
 *
 * @module
 */
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { startPrivateBroker } from "../broker/mod.ts";
import { type KafkaConfig, loadTopicsConfig, topicByRole } from "../../config/mod.ts";
import {
  createKafka,
  ensureTopics,
  groupLag,
  type Kafka,
  readAll,
  withAdmin,
} from "../../kafka/mod.ts";
import { lastJsonLine } from "./_process.ts";
import {
  MODEL_VERSIONS_SNAPSHOT,
  ModelVersionsSnapshotSchema,
  type RetrainMode,
} from "../../records/mod.ts";
import type { ParityResult } from "../../records/bench.ts";
import { openStore } from "../../storage/mod.ts";
import type { ServedWarningRule } from "../../alerts/mod.ts";
import { parityWarnings } from "./parity_warnings.ts";
import { spawnTask } from "../tasks.ts";

const log = getLogger(["airq", "bench"]);

type Summary = Record<string, unknown>;
type Env = Record<string, string>;

/** What the live half needs to know. */
export interface LiveOptions {
  /** The UCI CSV. */
  input: string;
  /** `HOME` for the child tasks. */
  home: string;
  /** Where the Kafka jars are cached. */
  cacheDir: string;
  /** A Kafka installation to use instead of the jars. */
  kafkaHome?: string | undefined;
  /** The forecaster's `--retrain`. */
  retrain: RetrainMode;
  /** Where to keep a copy of the store after the replay; null or absent = none. */
  keepStore?: string | null | undefined;
  /** Rows of the CSV before the test window (the training rows). */
  trainRows: number;
  /** Start and end (exclusive) of the test window, epoch ms. */
  testFromMs: number;
  testEndMs: number;
  /** The station's UTC offset, minutes. */
  utcOffsetMin: number;
  /** The early-warning rule the forecaster serves (from the evaluation it reads); null: none. */
  served: ServedWarningRule | null;
}

/** The live half's summary (`ParityResult["live"]`, before scoring) and the forecast sets read. */
export interface LiveRun {
  live: ParityResult["live"];
  sets: Uint8Array[];
}

/** `YYYY-MM-DDTHH:MM` in station time, as `produce --from/--to` take it. */
function localTime(epochMs: number, utcOffsetMin: number): string {
  return new Date(epochMs + utcOffsetMin * 60_000).toISOString().slice(0, 16);
}

async function runTask(name: string, args: string[], env: Env): Promise<Summary> {
  const out = await (await spawnTask(name, args, env)).output();
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr).slice(-2000);
    throw new Error(`deno task ${name} ${args.join(" ")} failed (exit ${out.code}):\n${stderr}`);
  }
  return lastJsonLine(out.stdout);
}

/**
 * Runs a consuming task in group `group` until the group's committed offsets
 * reach the end of `topic`, then stops it (SIGTERM) and returns its summary.
 * Not `--exit-when-idle`: its idle clock runs while one long batch is worked
 * off in chunks, so a batch longer than the idle time ends the run early.
 */
async function runUntilCaughtUp(
  kafka: Kafka,
  task: string,
  args: string[],
  env: Env,
  group: string,
  topic: string,
): Promise<Summary> {
  const child = await spawnTask(task, [...args, "--group", group, "--json"], env);
  const done = child.output();
  let exited = false;
  done.then(() => (exited = true), () => (exited = true));
  const deadline = performance.now() + 900_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    if (exited) break;
    // the group coordinator may still be loading: errors are retried
    const lag = await groupLag(kafka, group, topic).catch(() => null);
    if (lag === 0) break;
    if (performance.now() > deadline) {
      child.kill("SIGKILL");
      await done;
      throw new Error(`deno task ${task} did not catch up with ${topic} in 15 minutes`);
    }
  }
  if (!exited) child.kill("SIGTERM");
  const out = await done;
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr).slice(-2000);
    throw new Error(`deno task ${task} failed (exit ${out.code}):\n${stderr}`);
  }
  return lastJsonLine(out.stdout);
}

/** Every committed record of `topic`, until `expected` were read (and a second more) or 60 s. */
function readCommitted(
  config: KafkaConfig,
  topic: string,
  expected: number,
): Promise<Uint8Array[]> {
  const kafka = createKafka(config, { clientId: "airq-bench-parity" });
  return readAll(kafka, topic, expected, { timeoutMs: 60_000 });
}

/** The model a deployment would have had at the start of the test window, into `dir/models`. */
async function trainBeforeTest(o: LiveOptions, dir: string, env: Env): Promise<Summary> {
  const lines = (await Deno.readTextFile(o.input)).split(/\r?\n/);
  const csv = join(dir, "before-test.csv");
  await Deno.writeTextFile(csv, lines.slice(0, 1 + o.trainRows).join("\n") + "\n");
  log.info("Parity: training on the {hours} hours before the test window", {
    hours: o.trainRows,
  });
  return await runTask("train", ["--input", csv, "--out", join(dir, "models"), "--json"], env);
}

/** Creates the topics under each prefix; returns each prefix's raw topic. */
async function createTopics(kafka: Kafka, prefixes: string[]): Promise<string[]> {
  const rawTopics: string[] = [];
  for (const prefix of prefixes) {
    const topics = (await loadTopicsConfig((k) => k === "AIRQ_TOPIC_PREFIX" ? prefix : undefined))
      .topics;
    await withAdmin(kafka, (admin) => ensureTopics(admin, topics));
    rawTopics.push(topicByRole(topics, "raw").name);
  }
  return rawTopics;
}

/** The retraining events the forecaster left in the store's model-versions snapshot. */
async function retrainingEvents(
  db: string,
): Promise<NonNullable<ParityResult["live"]["retraining_events"]>> {
  const store = await openStore(db);
  try {
    const snapshot = await store.snapshot(MODEL_VERSIONS_SNAPSHOT);
    if (snapshot === null) return [];
    return ModelVersionsSnapshotSchema.parse(snapshot.value).events.map((e) => ({
      block: e.block,
      block_start: e.block_start,
      promoted: e.promoted,
      mae_ratio: e.mae_ratio,
      seconds: e.seconds,
      challenger_version: e.challenger_version,
    }));
  } finally {
    await store.close();
  }
}

/** Runs the live half on a private broker, stopped whatever happens. */
export async function runLive(o: LiveOptions): Promise<LiveRun> {
  const priv = await startPrivateBroker({
    prefix: "airq-bench-parity-",
    cacheDir: o.cacheDir,
    kafkaHome: o.kafkaHome,
  });
  try {
    const dir = priv.stateDir;
    const baseEnv = {
      HOME: o.home,
      AIRQ_KAFKA_BROKERS: priv.brokers,
      AIRQ_LOG_FORMAT: "json",
      AIRQ_LOG_LEVEL: "warning",
    };
    // 1. the model a deployment would have had at the start of the test window
    const trained = await trainBeforeTest(o, dir, baseEnv);
    const run = await replay(o, priv.config, dir, baseEnv);
    const sets = await readCommitted(
      priv.config,
      `${run.testPrefix}airq.forecasts`,
      Number(run.forecaster["forecast_sets"]),
    );
    const live: ParityResult["live"] = {
      trained_on_hours: o.trainRows,
      train_summary: trained,
      history_readings_stored: Number(run.consumed["stored"] ?? run.history["sent"]),
      readings_replayed: Number(run.replayed["sent"]),
      forecaster_summary: run.forecaster,
      forecast_sets_read: sets.length,
      scored_baseline: 0,
      scored_with_sarima: 0,
      retrain: o.retrain,
      model_versions: [],
      retraining_events: run.events,
      early_warnings: run.warnings,
    };
    return { live, sets };
  } finally {
    await priv.stop();
  }
}

/** Steps 2 and 3: the history into the store, then the test window through the forecaster. */
async function replay(o: LiveOptions, config: KafkaConfig, dir: string, baseEnv: Env) {
  // 2. the hours before the test window into the store, under their own topic prefix
  const db = join(dir, "parity.db");
  const historyPrefix = `ph${crypto.randomUUID().slice(0, 6)}.`;
  const testPrefix = `pt${crypto.randomUUID().slice(0, 6)}.`;
  const kafka = createKafka(config, { clientId: "airq-bench-parity" });
  const rawTopics = await createTopics(kafka, [historyPrefix, testPrefix]);
  const historyEnv = { ...baseEnv, AIRQ_TOPIC_PREFIX: historyPrefix };
  log.info("Parity: producing and consuming the history into the store");
  // the file at full speed, from `from` (its start when null) to `to`, local times
  const produce = (env: Env, from: string | null, to: string) =>
    runTask("produce", [
      ...["--input", o.input, "--speed", "max"],
      ...(from === null ? [] : ["--from", from]),
      ...["--to", to, "--json"],
    ], env);
  const history = await produce(historyEnv, null, localTime(o.testFromMs, o.utcOffsetMin));
  const consumed = await runUntilCaughtUp(
    kafka,
    "consume",
    ["--db", db],
    historyEnv,
    "airq-bench-parity-consumer",
    rawTopics[0]!,
  );
  // 3. the test window through Kafka and the forecaster
  const testEnv = { ...baseEnv, AIRQ_TOPIC_PREFIX: testPrefix };
  log.info("Parity: replaying the test window through the forecaster");
  const replayed = await produce(
    testEnv,
    localTime(o.testFromMs, o.utcOffsetMin),
    localTime(o.testEndMs, o.utcOffsetMin),
  );
  if (o.retrain !== "off") {
    // the refits read the store, as in a deployment where the consumer stores every reading
    log.info("Parity: consuming the test window into the store (the refits read it)");
    await runUntilCaughtUp(
      kafka,
      "consume",
      ["--db", db],
      testEnv,
      "airq-bench-parity-test-consumer",
      rawTopics[1]!,
    );
  }
  const forecaster = await runUntilCaughtUp(
    kafka,
    "forecast",
    ["--db", db, "--models", join(dir, "models"), "--retrain", o.retrain],
    testEnv,
    "airq-bench-parity-forecaster",
    rawTopics[1]!,
  );
  const events = await retrainingEvents(db);
  const warnings = await parityWarnings(db, o.served, o.testFromMs);
  // closed by every process, so the WAL is checkpointed into the file
  if (o.keepStore) await Deno.copyFile(db, o.keepStore);
  return { testPrefix, history, consumed, replayed, forecaster, events, warnings };
}
