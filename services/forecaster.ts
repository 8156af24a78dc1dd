/**
 * `deno task forecast`: the real-time forecaster. Joins its own consumer group
 * on the raw readings topic, validates every message with the consumer's rules,
 * keeps per-station feature state, and for every reading publishes one
 * forecast per target (CO, NOx, NO2, C6H6) and horizon (1, 6, 24 h) to the
 * forecasts topic, and a virtual-sensor estimate for every missing reference
 * value to the estimates topic: one Kafka transaction per batch, with the
 * consumed offsets inside it (exactly once for read_committed readers).
 *
 * ```
 * deno task forecast --db PATH [--group ID] [--exit-when-idle SECONDS] [--models DIR]
 *                    [--metrics-port N] [--retrain off|wait|background] [--json [PATH]]
 * ```
 *
 * `--db` (default: the consumer's database, `AIRQ_DB` or `db` of
 * config/consumer.json) is where the forecaster warm-starts a station from
 * (its stored readings and pending forecasts) and where it stores its
 * forecasts, estimates, alerts and the monitoring snapshot, before each Kafka
 * commit (docs/realtime.md).
 *
 * Permissions (the `forecast` task): `--allow-read=.,$HOME,/tmp` (config, artifacts),
 * `--allow-write=var,$HOME,/tmp`, `--allow-env=AIRQ_*,INIT_CWD,NODE_ENV,KAFKAJS_*,PG*`,
 * `--allow-net=127.0.0.1,localhost` (the broker, and the metrics listener on 127.0.0.1
 * when enabled).
 *
 * @module
 */
import {
  CONFIG_DIR,
  ConsumerConfigSchema,
  findTopicByRole,
  loadConfig,
  loadKafkaConfig,
  loadTopicsConfig,
  type TopicRole,
} from "../lib/config/mod.ts";
import { ForecastConfigSchema, offsetMinutes } from "../lib/offline/mod.ts";
import { QUALITY_CONFIG_FILE, QualityRulesSchema } from "../lib/quality/mod.ts";
import { RETRAIN_MODES, type RetrainMode } from "../lib/records/mod.ts";
import { Retrainer } from "../lib/realtime/retrainer.ts";
import {
  alerterObserver,
  EVALUATION_PATHS,
  type ForecastObserver,
  loadDeployedModels,
  loadSarimaModels,
  monitorObserver,
  monitorSnapshotName,
  RealtimeForecaster,
  runForecaster,
  servedEvaluationPath,
  servedWarningOf,
  tryReadEvaluation,
} from "../lib/realtime/mod.ts";
import {
  ALERTS_CONFIG_FILE,
  type AlertsConfig,
  AlertsConfigSchema,
  PollutionAlerter,
  type ServedWarningRule,
} from "../lib/alerts/mod.ts";
import {
  type ExpectedErrors,
  type InputReference,
  loadExpectedErrors,
  loadInputReference,
  ModelMonitor,
  MONITORING_CONFIG_FILE,
  MonitoringConfigSchema,
} from "../lib/monitoring/mod.ts";
import { join } from "node:path";
import {
  FORECASTER_CONFIG_FILE,
  ForecasterConfigSchema,
} from "../lib/realtime/forecaster_config.ts";
import { openStore, storeLabel } from "../lib/storage/mod.ts";
import { env, println } from "../lib/cli/io.ts";
import { type ArgsOf, defineCommand, opt, runCommand, writeJson } from "../lib/cli/command.ts";
import { serviceOptions } from "../lib/cli/options.ts";
import { storeTarget } from "../lib/cli/paths.ts";
import { processMetrics, serveMetrics } from "../lib/metrics/mod.ts";
import { configureLogging, getLogger } from "../lib/log.ts";
import { awaitCluster } from "../lib/kafka/mod.ts";
import { stopOnSignals } from "../lib/stop.ts";

const CLI = defineCommand({
  task: "forecast",
  description: "Forecast every reading: 4 targets x 3 horizons, virtual-sensor estimates, " +
    "exactly once (one Kafka transaction per batch).",
  options: {
    ...serviceOptions({
      db: "warm start from, and store forecasts, estimates and alerts in, this SQLite file or " +
        "postgres:// URL",
      group: "consumer group (default: groupId of config/forecaster.json)",
    }),
    models: opt.path("model artifacts", {
      value: "DIR",
      default: "modelDir of config/forecast.json",
    }),
    "warmup-hours": opt.int(
      "hours of history before the model replaces persistence (default: warmupHours of " +
        "config/forecaster.json)",
      { min: 0 },
    ),
    retrain: opt.choice(
      "refit at evaluate's weekly boundaries from the store: off, wait (the batch waits for the " +
        "refit: deterministic) or background (default: retrain.mode of config/forecaster.json)",
      RETRAIN_MODES,
    ),
    "metrics-port": opt.metricsPort("forecaster.json"),
    json: opt.json("print the final summary as JSON; with PATH, write it to that file"),
  },
  notes: "--db defaults to the consumer's store: AIRQ_DB, else db of config/consumer.json.",
});

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  await configureLogging();
  const log = getLogger(["airq", "forecaster"]);
  const consumerConfig = await loadConfig(
    new URL("consumer.json", CONFIG_DIR),
    ConsumerConfigSchema,
  );
  const forecastConfig = await loadConfig(
    new URL("forecast.json", CONFIG_DIR),
    ForecastConfigSchema,
  );
  const settings = await loadConfig(
    new URL(FORECASTER_CONFIG_FILE, CONFIG_DIR),
    ForecasterConfigSchema,
  );
  const rules = await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema);
  const kafka = await loadKafkaConfig(env);
  const stops = stopOnSignals({
    onSignal: (signal) => log.info("{signal}: stopping after the batch in progress", { signal }),
  });
  // first contact, bounded: no broker is one line after clusterWaitMs, not a retry storm
  await awaitCluster(kafka, { signal: stops.signal });
  const topics = (await loadTopicsConfig(env)).topics;
  const byRole = (role: TopicRole) => findTopicByRole(topics, role)?.name ?? null;
  const rawTopic = byRole("raw");
  const forecastsTopic = byRole("forecasts");
  const estimatesTopic = byRole("estimates");
  const alertsTopic = byRole("alerts");
  if (!rawTopic || !forecastsTopic || !estimatesTopic) {
    throw new Error('config/topics.json needs topics with roles "raw", "forecasts", "estimates"');
  }
  const idle = values["exit-when-idle"];
  const exitWhenIdleMs = idle === undefined ? undefined : idle * 1000;
  const warmupH = values["warmup-hours"] ?? settings.warmupHours;
  const retrainMode: RetrainMode = values.retrain ?? settings.retrain.mode;
  const db = storeTarget(values.db, consumerConfig.db);
  const utcOffsetMin = offsetMinutes(forecastConfig.utcOffset);
  const modelDir = values.models ?? forecastConfig.modelDir;
  // the latest evaluate run's, else the committed one (a fresh clone): intervals, warning, expected MAE
  const evaluationPath = await servedEvaluationPath() ?? EVALUATION_PATHS[0];
  log.info("Serving the evaluation in {path}", { path: evaluationPath });
  // read once: the models' intervals, the expected MAE and the warning all come from it
  const evaluationRead = await tryReadEvaluation(evaluationPath);
  const models = await loadDeployedModels(modelDir, evaluationRead, utcOffsetMin);
  for (const problem of models.problems) log.warn("Models: {problem}", { problem });
  if (models.blends.size === 0) {
    log.warn(
      "No trained models in {modelDir}: every forecast is the persistence baseline " +
        '(fallback "persistence", fallback_reason "no_model"); run `deno task train`',
      { modelDir },
    );
  } else {
    log.info("Loaded {blends} blends from {artifacts} artifacts in {modelDir}", {
      blends: models.blends.size,
      artifacts: models.artifacts,
      modelDir,
    });
  }
  const { sarima, problem: sarimaProblem } = await loadSarimaModels(modelDir);
  if (sarima === null) {
    log.info("No SARIMA ({problem}): forecasts blend ridge and trees only", {
      problem: sarimaProblem,
    });
  } else {
    for (const problem of sarima.problems) log.warn("SARIMA: {problem}", { problem });
    log.info("Loaded SARIMA for {targets}: blended once a station has {hours} hours", {
      targets: sarima.targets.map((t) => t.target.target).join(", "),
      hours: settings.sarimaMinHours,
    });
  }
  const engineOptions = { utcOffsetMin, warmupH, sarimaMinHours: settings.sarimaMinHours };
  const engine = new RealtimeForecaster({ ...models, sarima }, engineOptions);
  const alertsConfig = await loadConfig(
    new URL(ALERTS_CONFIG_FILE, CONFIG_DIR),
    AlertsConfigSchema,
  );
  const monitoringConfig = await loadConfig(
    new URL(MONITORING_CONFIG_FILE, CONFIG_DIR),
    MonitoringConfigSchema,
  );
  let expected: ExpectedErrors | null = null;
  let served: ServedWarningRule | null = null;
  try {
    const evaluation = evaluationRead.report;
    if (evaluation === null) throw new Error(evaluationRead.problem ?? "no report");
    expected = loadExpectedErrors(evaluation);
    try {
      served = servedWarningOf(evaluation, forecastConfig);
      log.info("Early warnings of {field} > {threshold}: the evaluated rule at {leads} h ahead", {
        field: served.field,
        threshold: served.threshold,
        leads: [...served.leads.keys()].join(", "),
      });
    } catch (error) {
      log.warn(
        "Early warnings from the intervals only: the evaluated rule is not served ({error})",
        {
          error: error instanceof Error ? error.message : String(error),
        },
      );
    }
  } catch (error) {
    log.warn(
      "No offline expectation ({error}): live MAE is kept but not compared, and early " +
        "warnings come from the intervals only",
      { error: error instanceof Error ? error.message : String(error) },
    );
  }
  let reference: InputReference | null = null;
  const referencePath = join(modelDir, "reference.json");
  try {
    reference = loadInputReference(await Deno.readTextFile(referencePath), referencePath);
  } catch (error) {
    log.warn("No training reference ({path}: {error}): no input drift (PSI)", {
      path: referencePath,
      error: String(error),
    });
  }
  const monitor = new ModelMonitor(monitoringConfig, { expected, reference });
  const metricsPort = values["metrics-port"] ?? settings.metrics.port;
  const forecasterMetrics = processMetrics.forecaster;
  forecasterMetrics.onDrift(() => monitor.snapshot());
  if (models.blends.size === 0) {
    forecasterMetrics.modelInfo.set({ model: "none", version: "persistence" }, 1);
  }
  for (const [model, blend] of models.blends) {
    forecasterMetrics.modelInfo.set({ model, version: blend.version }, 1);
  }
  // this process's monitoring snapshot: members of one group each store their own
  const member = crypto.randomUUID().slice(0, 8);
  const observers: ForecastObserver[] = [
    alerterObserver(alerterOf(alertsConfig, served, log)),
    monitorObserver(monitor, member),
  ];
  const groupId = values.group ?? settings.groupId;
  log.info(
    "Forecasting {rawTopic} in group {groupId} to {forecastsTopic}; store {db}; " +
      "monitoring snapshot {snapshot}",
    {
      rawTopic,
      groupId,
      forecastsTopic,
      db: storeLabel(db),
      snapshot: monitorSnapshotName(member),
    },
  );
  const store = await openStore(db, { synchronous: consumerConfig.synchronous });
  const metricsServer = metricsPort === null
    ? null
    : serveMetrics(processMetrics, { port: metricsPort, name: "forecaster" });
  const retrainer = retrainMode === "off" ? null : new Retrainer({
    mode: retrainMode,
    rule: settings.retrain,
    config: forecastConfig,
    store,
    modelDir,
    evaluationPath: evaluationPath,
    engine: engineOptions,
    initial: engine.models,
    onEvent: (event, serving) => monitor.retrained(event, serving),
  });
  if (retrainer !== null) {
    observers.push(retrainer.observer());
    log.info("Retraining {mode} every {hours} h from the store", {
      mode: retrainMode,
      hours: forecastConfig.walkForward.refitEveryH,
    });
  }
  const summary = await runForecaster({
    kafka,
    config: consumerConfig,
    groupId,
    transactionalId: `${env("AIRQ_TOPIC_PREFIX") ?? ""}${groupId}.tx`,
    rawTopic,
    forecastsTopic,
    estimatesTopic,
    alertsTopic,
    topics: topics.filter((t) => ["raw", "forecasts", "estimates", "alerts"].includes(t.role)),
    store,
    observers,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    maxWaitTimeMs: settings.maxWaitTimeMs,
    minBytes: settings.minBytes,
    maxBytesPerSend: settings.maxBytesPerSend,
    maxReadingsPerTransaction: settings.maxReadingsPerTransaction,
    maxConcurrentTransactions: settings.maxConcurrentTransactions,
    snapshotEveryMs: settings.snapshotEveryMs,
    transactionRetry: {
      initialRetryTime: settings.transactionRetryMs,
      retries: settings.transactionRetries,
    },
    rules,
    engine,
    retrainer,
    exitWhenIdleMs,
    signal: stops.signal,
    faults: {
      // crash drill (tests/realtime): die like kill -9 with a transaction open, its records in the log
      beforeCommit: env("AIRQ_FAULT_EXIT_BEFORE_COMMIT") === "1" ? () => Deno.exit(137) : undefined,
      // lost-answer drill (tests/realtime): the first commit succeeds on the broker, but this
      // process is told it failed, as when the answer is lost in a broker failover
      afterCommit: env("AIRQ_FAULT_LOSE_FIRST_COMMIT_ANSWER") === "1"
        ? loseFirstAnswer()
        : undefined,
    },
  }).finally(async () => {
    await store.close();
    await metricsServer?.close();
  });
  log.info("Forecaster {outcome}: {readings} readings, {forecasts} forecasts", { ...summary });
  if (values.json !== undefined) await writeJson(values.json, summary);
  else {
    println(
      `${summary.outcome}: ${summary.readings} readings -> ${summary.forecasts} forecasts ` +
        `(${summary.baseline_forecasts} baseline), ${summary.estimates} estimates in ${summary.duration_s} s`,
    );
  }
  return 0;
}

if (import.meta.main) await runCommand(CLI, main);

/** Throws once, the first time it is called: an answer lost after the broker committed. */
function loseFirstAnswer(): () => void {
  let lost = false;
  return () => {
    if (lost) return;
    lost = true;
    throw new Error("fault injection: the first commit's answer was lost (it did commit)");
  };
}

/** The alerter, serving the evaluated warning when its limit is in the alerts config. */
function alerterOf(
  config: AlertsConfig,
  served: ServedWarningRule | null,
  log: ReturnType<typeof getLogger>,
): PollutionAlerter {
  try {
    return new PollutionAlerter(config, { served });
  } catch (error) {
    log.warn("Early warnings from the intervals only: {error}", { error: String(error) });
    return new PollutionAlerter(config);
  }
}
