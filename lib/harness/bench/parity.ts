/**
 * The parity benchmark (`deno task bench parity`): does the live path serve
 * what `deno task evaluate` scored? On a private broker, through the `train`,
 * `produce`, `consume` and `forecast` tasks with their own permissions:
 *
 * 1. `train` on the hours before the test window (the real settings of
 *    config/forecast.json: 100 trees, seed 1, SARIMA on the last 1,000
 *    hours), into a temp model folder: the model a deployment would have had
 *    at the start of the test window, trained once.
 * 2. The hours before the test window: `produce` and `consume` (under one
 *    topic prefix) into the store, so the forecaster warm-starts from it.
 * 3. The test window: `produce` (under another prefix), then `forecast --db`
 *    with that model folder; the committed forecast sets are read back
 *    (read_committed).
 * 4. Offline: evaluate's `best` (ridge/trees/SARIMA, refit every week), the
 *    same walk-forward calls as lib/offline/evaluate.ts makes, per hour.
 *
 * Both are scored on the same target hours: in the test window, target
 * observed, a live and an offline forecast for it. The difference is the
 * weekly refits: evaluate refits every 168 hours, the live model is trained
 * once (live retraining is not built); the first week's block is the same
 * model. A cross-check compares the offline MAE over every test hour with
 * `evaluation.json`'s `best` row when one is given.
 *
 * @module
 */
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { startPrivateBroker } from "../broker/mod.ts";
import {
  CONFIG_DIR,
  type KafkaConfig,
  loadConfig,
  loadTopicsConfig,
  topicByRole,
} from "../../config/mod.ts";
import { readUciFile } from "../../dataset/mod.ts";
import {
  buildFeatureMatrix,
  fieldOf,
  HOUR_MS,
  type HourlySeries,
  toHourlySeries,
} from "../../features/mod.ts";
import {
  bestOf,
  evaluationWindow,
  type ForecastConfig,
  ForecastConfigSchema,
  offsetMinutes,
  sarimaRunsOf,
  walkForward,
  walkForwardSettings,
} from "../../offline/mod.ts";
import {
  createKafka,
  ensureTopics,
  groupLag,
  type Kafka,
  readAll,
  withAdmin,
} from "../../kafka/mod.ts";
import { lastJsonLine } from "./_process.ts";
import { loadSarima } from "../../models/mod.ts";
import {
  EVALUATION_WRITER,
  EvaluationReportSchema,
  forecastRows,
  ForecastSetSchema,
  MODEL_VERSIONS_SNAPSHOT,
  ModelVersionsSnapshotSchema,
  parseFileAs,
  type RetrainMode,
} from "../../records/mod.ts";
import { openStore } from "../../storage/mod.ts";
import { spawnTask } from "../tasks.ts";

const log = getLogger(["airq", "bench"]);

// The file's shape is its one schema: lib/records/bench.ts.
export type { ParityResult, ParityRow } from "../../records/bench.ts";
import type { ParityResult, ParityRow } from "../../records/bench.ts";

/** Options of the parity benchmark. */
export interface ParityOptions {
  /** The UCI CSV. */
  input: string;
  /** `HOME` for the child tasks. */
  home: string;
  /** Where the Kafka jars are cached. */
  cacheDir: string;
  /** A Kafka installation to use instead of the jars. */
  kafkaHome?: string | undefined;
  /** `deno task evaluate --json` output to cross-check the offline MAE with; null = none. */
  evaluationPath: string | null;
  /** The forecaster's `--retrain`: `wait` (deterministic), `background` or `off` (trained once). */
  retrain: RetrainMode;
  /**
   * Where to keep a copy of the store after the replay (readings, forecasts,
   * alerts, the monitoring and model-version snapshots), for `deno task
   * monitor --db PATH --episodes`: the drift monitoring of the test window; null = none.
   */
  keepStore?: string | null;
}

/** `YYYY-MM-DDTHH:MM` in station time, as `produce --from/--to` take it. */
function localTime(epochMs: number, utcOffsetMin: number): string {
  return new Date(epochMs + utcOffsetMin * 60_000).toISOString().slice(0, 16);
}

async function runTask(
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<Record<string, unknown>> {
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
  env: Record<string, string>,
  group: string,
  topic: string,
): Promise<Record<string, unknown>> {
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

/**
 * Evaluate's `best` per information hour, for every target and horizon of
 * `config`: the calls and blends of `evaluateForecasts` (lib/offline/evaluate.ts),
 * without the scoring.
 */
export async function offlineBest(
  series: HourlySeries,
  config: ForecastConfig,
): Promise<{ best: Map<string, Float64Array>; fits: number; failedFits: number }> {
  const utcOffsetMin = offsetMinutes(config.utcOffset);
  const window = evaluationWindow(series, config);
  const wf = walkForwardSettings(config, window);
  const sarima = config.sarima.enabled
    ? sarimaRunsOf(
      await loadSarima(),
      series,
      config,
      window,
      (target, fits) => log.info("offline SARIMA {target}: {fits} fits", { target, fits }),
    )
    : { runs: new Map<string, Map<number, Float64Array>>(), fits: 0, failedFits: 0 };
  const best = new Map<string, Float64Array>();
  for (const h of config.horizonsH) {
    const features = buildFeatureMatrix(series, { mode: "forecast", horizonH: h, utcOffsetMin });
    const runs = walkForward(
      features,
      config.targets.map((target) => series.columns[fieldOf(target)]),
      { ...wf, horizonH: h, fromTarget: window.warmFrom, toTarget: window.testTo },
    );
    for (const [s, target] of config.targets.entries()) {
      best.set(
        `${target}|${h}`,
        bestOf(config, target, h, runs[s]!, sarima.runs.get(target)?.get(h)),
      );
    }
    log.info("offline walk-forward h={h} done", { h });
  }
  return { best, fits: sarima.fits, failedFits: sarima.failedFits };
}

/** Runs the live replay on a private broker, then the offline `best`, and scores both. */
export async function benchParity(o: ParityOptions): Promise<ParityResult> {
  const t0 = performance.now();
  const config = await loadConfig(new URL("forecast.json", CONFIG_DIR), ForecastConfigSchema);
  const utcOffsetMin = offsetMinutes(config.utcOffset);
  const rows = await Array.fromAsync(readUciFile(o.input, { utcOffset: config.utcOffset }));
  const series = toHourlySeries(rows);
  const { testFrom, testTo } = evaluationWindow(series, config);
  const testFromMs = series.startMs + testFrom * HOUR_MS;
  const testEndMs = series.startMs + (testTo + 1) * HOUR_MS;
  const trainRows = rows.filter((r) => r.epochMs < testFromMs).length;

  const priv = await startPrivateBroker({
    prefix: "airq-bench-parity-",
    cacheDir: o.cacheDir,
    kafkaHome: o.kafkaHome,
  });
  let live: ParityResult["live"];
  let sets: Uint8Array[];
  try {
    const dir = priv.stateDir;
    // 1. the model a deployment would have had at the start of the test window
    const lines = (await Deno.readTextFile(o.input)).split(/\r?\n/);
    const csv = join(dir, "before-test.csv");
    await Deno.writeTextFile(csv, lines.slice(0, 1 + trainRows).join("\n") + "\n");
    const modelDir = join(dir, "models");
    const baseEnv = {
      HOME: o.home,
      AIRQ_KAFKA_BROKERS: priv.brokers,
      AIRQ_LOG_FORMAT: "json",
      AIRQ_LOG_LEVEL: "warning",
    };
    log.info("Parity: training on the {hours} hours before the test window", {
      hours: trainRows,
    });
    const trained = await runTask(
      "train",
      ["--input", csv, "--out", modelDir, "--json"],
      baseEnv,
    );
    // 2. the hours before the test window into the store, under their own topic prefix
    const db = join(dir, "parity.db");
    const historyPrefix = `ph${crypto.randomUUID().slice(0, 6)}.`;
    const testPrefix = `pt${crypto.randomUUID().slice(0, 6)}.`;
    const kafka = createKafka(priv.config, { clientId: "airq-bench-parity" });
    const rawTopics: string[] = [];
    for (const prefix of [historyPrefix, testPrefix]) {
      const topics = (await loadTopicsConfig((k) => k === "AIRQ_TOPIC_PREFIX" ? prefix : undefined))
        .topics;
      await withAdmin(kafka, (admin) => ensureTopics(admin, topics));
      rawTopics.push(topicByRole(topics, "raw").name);
    }
    const historyEnv = { ...baseEnv, AIRQ_TOPIC_PREFIX: historyPrefix };
    log.info("Parity: producing and consuming the history into the store");
    // the file at full speed, from `from` (its start when null) to `to`, local times
    const produce = (env: Record<string, string>, from: string | null, to: string) =>
      runTask("produce", [
        ...["--input", o.input, "--speed", "max"],
        ...(from === null ? [] : ["--from", from]),
        ...["--to", to, "--json"],
      ], env);
    const history = await produce(historyEnv, null, localTime(testFromMs, utcOffsetMin));
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
      localTime(testFromMs, utcOffsetMin),
      localTime(testEndMs, utcOffsetMin),
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
      ["--db", db, "--models", modelDir, "--retrain", o.retrain],
      testEnv,
      "airq-bench-parity-forecaster",
      rawTopics[1]!,
    );
    const store = await openStore(db);
    let events: NonNullable<ParityResult["live"]["retraining_events"]> = [];
    try {
      const snapshot = await store.snapshot(MODEL_VERSIONS_SNAPSHOT);
      if (snapshot !== null) {
        events = ModelVersionsSnapshotSchema.parse(snapshot.value).events.map((e) => ({
          block: e.block,
          block_start: e.block_start,
          promoted: e.promoted,
          mae_ratio: e.mae_ratio,
          seconds: e.seconds,
          challenger_version: e.challenger_version,
        }));
      }
    } finally {
      await store.close();
    }
    // closed by every process, so the WAL is checkpointed into the file
    if (o.keepStore) await Deno.copyFile(db, o.keepStore);
    sets = await readCommitted(
      priv.config,
      `${testPrefix}airq.forecasts`,
      Number(forecaster["forecast_sets"]),
    );
    live = {
      trained_on_hours: trainRows,
      train_summary: trained,
      history_readings_stored: Number(consumed["stored"] ?? history["sent"]),
      readings_replayed: Number(replayed["sent"]),
      forecaster_summary: forecaster,
      forecast_sets_read: sets.length,
      scored_baseline: 0,
      scored_with_sarima: 0,
      retrain: o.retrain,
      model_versions: [],
      retraining_events: events,
    };
  } finally {
    await priv.stop();
  }

  // the live forecasts by (reading hour, target, horizon)
  const liveByKey = new Map<
    string,
    { value: number | null; baseline: boolean; sarima: boolean; version: string }
  >();
  const decoder = new TextDecoder();
  for (const bytes of sets) {
    for (const f of forecastRows(ForecastSetSchema.parse(JSON.parse(decoder.decode(bytes))))) {
      const t = Math.round((Date.parse(f.ts) - series.startMs) / HOUR_MS);
      liveByKey.set(`${t}|${f.target}|${f.horizon_h}`, {
        value: f.value,
        baseline: f.baseline,
        sarima: f.model_version.includes("+sarima"),
        version: f.model_version,
      });
    }
  }

  // 4. offline: evaluate's best, refit every week
  log.info("Parity: offline best (evaluate's walk-forward: about a minute)");
  const o0 = performance.now();
  const offline = await offlineBest(series, config);
  const offlineSeconds = (performance.now() - o0) / 1000;

  const evaluation = o.evaluationPath === null ? null : parseFileAs(
    EvaluationReportSchema,
    JSON.parse(await Deno.readTextFile(o.evaluationPath)),
    o.evaluationPath,
    EVALUATION_WRITER,
  );
  const result: ParityRow[] = [];
  const check: ParityResult["evaluation_check"]["rows"] = [];
  const firstBlock = { forecasts: 0, max_relative_difference: 0 };
  const firstBlockEnd = testFrom + config.walkForward.refitEveryH;
  const versions = new Set<string>();
  for (const h of config.horizonsH) {
    for (const target of config.targets) {
      const y = series.columns[fieldOf(target)];
      const best = offline.best.get(`${target}|${h}`)!;
      let n = 0, liveSum = 0, offlineSum = 0, allN = 0, allSum = 0;
      for (let tau = testFrom; tau <= testTo; tau++) {
        const t = tau - h;
        const actual = y[tau]!;
        const off = best[t]!;
        if (t < 0 || actual !== actual || off !== off) continue;
        allN++;
        allSum += Math.abs(off - actual);
        const l = liveByKey.get(`${t}|${target}|${h}`);
        if (l === undefined || l.value === null) continue;
        n++;
        liveSum += Math.abs(l.value - actual);
        offlineSum += Math.abs(off - actual);
        if (t >= testFrom && t < firstBlockEnd) {
          firstBlock.forecasts++;
          firstBlock.max_relative_difference = Math.max(
            firstBlock.max_relative_difference,
            Math.abs(l.value - off) / Math.max(1, Math.abs(off)),
          );
        }
        if (l.baseline) live.scored_baseline++;
        if (l.sarima) live.scored_with_sarima++;
        const at = /@([^+]+)/.exec(l.version)?.[1];
        if (at !== undefined && !versions.has(at)) versions.add(at);
      }
      result.push({ target, horizon_h: h, n, live_mae: liveSum / n, offline_mae: offlineSum / n });
      const row = evaluation?.results.find((r) =>
        r.target === target && r.horizon_h === h && r.model === "best"
      );
      check.push({
        target,
        horizon_h: h,
        n: allN,
        mae: allSum / allN,
        evaluation_n: row?.n ?? null,
        evaluation_mae: row?.mae ?? null,
      });
    }
  }
  live.model_versions = [...versions].sort();
  const relative = result.map((r) => ({
    target: r.target,
    horizon_h: r.horizon_h,
    live_vs_offline: r.live_mae / r.offline_mae - 1,
  }));
  return {
    rows: result,
    relative_difference: relative,
    max_abs_relative_difference: Math.max(...relative.map((r) => Math.abs(r.live_vs_offline))),
    first_block: firstBlock,
    test_window: config.testWindow,
    live,
    offline: {
      protocol:
        `evaluate's best: ridge/trees refit every ${config.walkForward.refitEveryH} h on ${config.walkForward.trainWindowH} h, SARIMA refit as often on ${config.sarima.windowH} h`,
      sarima_fits: offline.fits,
      sarima_failed_fits: offline.failedFits,
      seconds: Math.round(offlineSeconds * 10) / 10,
    },
    evaluation_check: { path: o.evaluationPath, rows: check },
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
  };
}
