/**
 * `deno task demo`: the whole live system on this machine. Starts the local
 * Kafka broker (or reuses a running one; an external cluster when configured),
 * creates the topics, starts the validating consumer (a child process with
 * the `consume` task's permissions), the forecaster when there is one (after
 * training the models first, `deno task train`, when the model folder has
 * none: about 10 s), and the dashboard, then replays the dataset as several stations at a speed a person
 * can watch. It prints the page's URL once the page answers; Ctrl-C
 * (SIGINT/SIGTERM, to the demo alone or to its whole process group, once or
 * twice) stops the replay, then the consumer, the forecaster and the
 * dashboard together, then the broker it started, within 5 s (what is still
 * running 4.5 s after the signal is killed; see docs/setup.md).
 *
 * ```
 * deno task demo [--port N] [--speed max|realtime|N] [--stations N] [--limit N]
 *                [--duration SECONDS] [--keep-broker]
 * deno task demo --once [--speed ...] [--stations N] [--limit N] [--keep-broker]
 * ```
 *
 * `--duration` runs that long and then shuts down as Ctrl-C would, exiting 0
 * when everything worked (for CI). `--once` is the earlier one-shot demo: the
 * replay at full speed, read back by a consumer, a summary, no page.
 *
 * Permissions: the union of `broker`, `produce` and `dashboard`, plus
 * `--allow-run=deno` for the consumer and forecaster child processes.
 *
 * @module
 */
import { type LocalBroker, resolveDirs, upConfiguredBroker } from "../lib/harness/broker/mod.ts";
import {
  CONFIG_DIR,
  loadConfig,
  loadKafkaConfig,
  loadTopicsConfig,
  ProducerConfigSchema,
  topicByRole,
  type TopicRole,
} from "../lib/config/mod.ts";
import { resolveDatasetPath } from "../lib/dataset/mod.ts";
import {
  awaitCluster,
  createKafka,
  ensureTopics,
  topicEndOffset,
  withAdmin,
} from "../lib/kafka/mod.ts";
import { stopOnSignals } from "../lib/stop.ts";
import { runConsumer } from "../lib/pipeline/consume.ts";
import { runProducer } from "../lib/pipeline/produce.ts";
import { QUALITY_CONFIG_FILE, QualityRulesSchema } from "../lib/quality/mod.ts";
import { openSqliteStore } from "../lib/storage/mod.ts";
import { ConsumerConfigSchema } from "../lib/config/mod.ts";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ForecastConfigSchema } from "../lib/offline/forecast_config.ts";
import { parseSpeed } from "../lib/replay/mod.ts";
import { loadDashboardConfig, startDashboard } from "../lib/dashboard/mod.ts";
import { runTask, spawnTask } from "../lib/harness/tasks.ts";
import { env, println } from "../lib/cli/io.ts";
import { type ArgsOf, defineCommand, opt, runCommand } from "../lib/cli/command.ts";
import { configureLogging, getLogger } from "../lib/log.ts";

const CLI = defineCommand({
  task: "demo",
  description: "The whole live system: Kafka, consumer, forecaster (when present), dashboard, " +
    "and a replay a person can watch. Ctrl-C stops it all within 5 s.",
  options: {
    port: opt.int("dashboard port on 127.0.0.1 (default from config/dashboard.json)", {
      min: 0,
      max: 65535,
    }),
    speed: opt.custom("replay speed (default 3600: one hour of data per second; --once: max)", {
      value: "max|realtime|N",
      expected: "max, realtime or a number > 0",
      check: parseSpeed,
    }),
    stations: opt.int("virtual stations to replay (default 5; --once: 1)", { min: 1 }),
    limit: opt.int("stop the replay after N readings", { min: 0 }),
    duration: opt.number("run that long, then shut down cleanly (exit 0 when all worked)", {
      value: "SECONDS",
      above: 0,
    }),
    "metrics-port": opt.int(
      "Prometheus metrics and health of the children on 127.0.0.1: the consumer on N, the " +
        "forecaster on N+1 (default: their configs, off)",
      { value: "N", min: 1, max: 65534 },
    ),
    "keep-broker": opt.flag("leave a broker this command started running"),
    once: opt.flag("the one-shot demo: full-speed replay, read back, summary, no page"),
  },
});

interface DemoArgs {
  speed: string;
  stations: number;
  limit: number | undefined;
  "keep-broker": boolean;
  port: number | undefined;
  duration: number | undefined;
  "metrics-port": number | undefined;
}

async function main(values: ArgsOf<typeof CLI>): Promise<number> {
  await configureLogging({ format: "text" });
  const args: DemoArgs = {
    speed: values.speed ?? (values.once ? "max" : "3600"),
    stations: values.stations ?? (values.once ? 1 : 5),
    limit: values.limit,
    "keep-broker": values["keep-broker"],
    port: values.port,
    duration: values.duration,
    "metrics-port": values["metrics-port"],
  };
  return values.once ? await once(args) : await live(args);
}

/** Drains a child's output, keeping the last few KiB for an error report. */
function tail(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
): { text: () => string; done: Promise<void> } {
  let text = "";
  const done = stream.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (text = (text + chunk).slice(-4096)) }),
  ).catch(() => {});
  return { text: () => text, done };
}

/** A child process of the demo (consumer, forecaster) and its drained output. */
interface Child {
  name: string;
  process: Deno.ChildProcess;
  stdout: { text: () => string; done: Promise<void> };
  stderr: { text: () => string; done: Promise<void> };
  status: Promise<Deno.CommandStatus>;
  exited: boolean;
}

async function startChild(name: string, task: string, args: string[]): Promise<Child> {
  const process = await spawnTask(task, args, { AIRQ_LOG_FORMAT: "json", NO_COLOR: "1" });
  const child: Child = {
    name,
    process,
    stdout: tail(process.stdout),
    stderr: tail(process.stderr),
    status: process.status,
    exited: false,
  };
  child.status.then(() => (child.exited = true));
  return child;
}

/**
 * SIGTERM to a child (it may have had one already, from a signal to the whole
 * process group), SIGKILL after `killAfterMs`. Resolves with its exit code.
 */
async function stopChild(child: Child, killAfterMs = 3000): Promise<number> {
  if (!child.exited) {
    try {
      child.process.kill("SIGTERM");
    } catch {
      // already gone
    }
  }
  const timer = setTimeout(() => {
    try {
      child.process.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, killAfterMs);
  const { code } = await child.status;
  clearTimeout(timer);
  await child.stdout.done;
  await child.stderr.done;
  return code;
}

/**
 * A fresh clone has no model: the forecaster would serve persistence only. When
 * the model folder (`modelDir` of config/forecast.json) has no manifest, train
 * first (`deno task train`, its own permissions), on the dataset the replay uses.
 */
async function trainIfNoModel(configuredDataset: string | null): Promise<void> {
  const config = await loadConfig(new URL("forecast.json", CONFIG_DIR), ForecastConfigSchema);
  const root = fileURLToPath(new URL("../", import.meta.url));
  const modelDir = isAbsolute(config.modelDir) ? config.modelDir : join(root, config.modelDir);
  const trained = await Deno.stat(join(modelDir, "manifest.json")).then(() => true, () => false);
  if (trained) return;
  const dataset = await resolveDatasetPath({ configuredPath: configuredDataset });
  println(
    `   no trained model in ${config.modelDir}: training first (deno task train, about 10 s)`,
  );
  const t0 = performance.now();
  const run = await runTask("train", ["--input", dataset.path, "--json"], {
    AIRQ_LOG_FORMAT: "json",
    NO_COLOR: "1",
  });
  if (run.code !== 0) {
    println(
      `   training failed (exit ${run.code}); the forecaster serves persistence:\n${
        run.stderr.slice(-2000)
      }`,
    );
    return;
  }
  println(
    `   trained in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${
      run.stdout.trim().split("\n").at(-1)
    }`,
  );
}

/** The live demo: everything up, the page's URL printed, down again on a signal or --duration. */
async function live(values: DemoArgs): Promise<number> {
  const log = getLogger(["airq", "demo"]);
  const kafka = await loadKafkaConfig(env);
  const producerConfig = await loadConfig(
    new URL("producer.json", CONFIG_DIR),
    ProducerConfigSchema,
  );
  const topics = (await loadTopicsConfig(env)).topics;
  const raw = topicByRole(topics, "raw");
  const dashboardConfig = await loadDashboardConfig();
  const rules = await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema);
  const { port, duration, stations } = values;

  // a signal to the demo alone, or to its whole process group (Ctrl-C, a service manager,
  // a closed terminal): the consumer, forecaster, dashboard and the broker it started
  // all stop within 5 s; if not, whatever is left is killed and the demo exits
  const stops = stopOnSignals({
    graceMs: 4500,
    onSignal: (signal) => println(`\n${signal}: shutting down…`),
  });
  const stop = new AbortController(); // a signal, --duration, or a child that died
  stops.signal.addEventListener("abort", () => stop.abort(stops.signal.reason), { once: true });
  const stopped = new Promise<void>((resolve) =>
    stop.signal.addEventListener("abort", () => resolve(), { once: true })
  );

  let broker: LocalBroker | null = null;
  let startedBroker = false;
  const children: Child[] = [];
  stops.beforeForcedExit(async () => {
    for (const child of children) {
      try {
        child.process.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    const pid = await broker?.killStarted();
    if (pid) println(`   killed the broker airq started (pid ${pid})`);
  });
  let dashboard: Awaited<ReturnType<typeof startDashboard>> | null = null;
  let store: Awaited<ReturnType<typeof openSqliteStore>> | null = null;
  let ok = true;
  try {
    println(`1. Kafka: ${kafka.brokers.join(",")}`);
    const configured = await upConfiguredBroker(kafka, env, {
      signal: stop.signal,
      onBroker: (b) => void (broker = b),
    });
    broker = configured.broker;
    startedBroker = configured.started;
    println(`   ${configured.summary}`);
    await awaitCluster(kafka, { signal: stop.signal });
    const created = await withAdmin(
      createKafka(kafka, { clientId: "airq-demo" }),
      (admin) => ensureTopics(admin, topics),
    );
    println(
      `2. topics: ${topics.map((t) => `${t.name} (role ${t.role})`).join(", ")}` +
        (created.length > 0 ? `; created ${created.join(", ")}` : ""),
    );

    stop.signal.throwIfAborted();
    const dbPath = join(resolveDirs(env).stateDir, "demo.db");
    const group = "airq-demo";
    // --metrics-port N: the consumer serves on N, the forecaster on N + 1
    const metricsArgs = (offset: number) =>
      values["metrics-port"] === undefined
        ? []
        : ["--metrics-port", String(values["metrics-port"] + offset)];
    const consumerArgs = ["--db", dbPath, "--group", group, ...metricsArgs(0)];
    children.push(await startChild("consumer", "consume", consumerArgs));
    println(`3. consumer: deno task consume ${consumerArgs.join(" ")} (a child process)`);
    const hasForecaster = await Deno.stat(new URL("../services/forecaster.ts", import.meta.url))
      .then(
        () => true,
        () => false,
      );
    const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)))
      .tasks ?? {};
    if (hasForecaster && "forecast" in tasks) {
      await trainIfNoModel(producerConfig.input);
      const forecasterArgs = ["--db", dbPath, ...metricsArgs(1)];
      children.push(await startChild("forecaster", "forecast", forecasterArgs));
      println(`4. forecaster: deno task forecast ${forecasterArgs.join(" ")} (a child process)`);
    } else {
      println(
        "4. forecaster: not built yet (no forecaster.ts and forecast task): skipped; " +
          "the forecast and model panels say so",
      );
    }

    stop.signal.throwIfAborted();
    store = await openSqliteStore(dbPath);
    dashboard = await startDashboard({
      kafka,
      topics,
      prefix: env("AIRQ_TOPIC_PREFIX") ?? "",
      config: dashboardConfig,
      rules,
      store,
      port,
      watchGroup: group,
    });
    const page = await fetch(dashboard.url);
    await page.body?.cancel();
    if (!page.ok) throw new Error(`the dashboard answered ${page.status} at ${dashboard.url}`);
    println(`5. Dashboard ready: ${dashboard.url}`);
    stop.signal.throwIfAborted();

    const dataset = await resolveDatasetPath({
      configuredPath: producerConfig.input,
    });
    println(
      `6. replaying ${dataset.path} as ${stations} station(s) at speed ${values.speed}` +
        (duration === undefined ? "; Ctrl-C stops everything" : `; stopping after ${duration} s`),
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (duration !== undefined) timer = setTimeout(() => stop.abort(), duration * 1000);
    const producing = runProducer({
      kafka,
      topic: raw.name,
      topics,
      datasetPath: dataset.path,
      utcOffset: producerConfig.utcOffset,
      speed: parseSpeed(values.speed),
      stations,
      seed: producerConfig.seed,
      limit: values.limit,
      loop: false,
      faults: producerConfig.faults,
      batchSize: producerConfig.batchSize,
      lingerMs: Math.min(producerConfig.lingerMs, 50),
      compression: producerConfig.compression,
      retry: producerConfig.retry,
      progressIntervalMs: 10_000,
      signal: stop.signal,
      onProgress: (p) => log.info("sent {sent} readings ({rate_per_s}/s)", { ...p }),
    });
    // a child that dies early is a failure worth stopping for
    // (judged a moment later: a signal to the whole group reaches the children and the demo at
    // once, and a child that stops on it has not died early)
    for (const child of children) {
      child.status.then(() =>
        setTimeout(() => {
          if (!stop.signal.aborted) {
            println(`   the ${child.name} exited early:\n${child.stderr.text()}`);
            ok = false;
            stop.abort();
          }
        }, 250)
      );
    }
    const summary = await producing;
    println(
      `   replay ${summary.outcome}: ${summary.sent} readings sent in ${summary.duration_s} s`,
    );
    if (summary.outcome === "failed" || summary.sent === 0) ok = false;
    if (summary.outcome === "completed" && !stop.signal.aborted) {
      println("   the replay is complete; the page stays up until Ctrl-C");
      await stopped;
    }
    clearTimeout(timer);
    return ok ? 0 : 1;
  } finally {
    stop.abort();
    // the children and the dashboard stop together; the broker after them
    const shown = dashboard?.state.snapshot();
    const dashboardStopped = dashboard?.stop();
    const codes = await Promise.all(children.map((child) => stopChild(child)));
    for (const [i, child] of children.entries()) {
      const code = codes[i]!;
      // 130/143: a second copy of the stop signal (to the group, then from the demo)
      // arrived while it was exiting; it had stopped already
      const clean = code === 0 || (stops.received !== null && (code === 130 || code === 143));
      println(`   stopped the ${child.name} (exit ${code})`);
      if (!clean) {
        ok = false;
        Deno.exitCode = 1;
        log.error("The {name} exited with {code}: {stderr}", {
          name: child.name,
          code,
          stderr: child.stderr.text(),
        });
      }
    }
    if (dashboardStopped !== undefined && shown !== undefined) {
      await dashboardStopped;
      println(
        `   stopped the dashboard (it saw ${shown.health.readings_total} readings, ` +
          `${shown.alerts.received} alert events)`,
      );
    }
    if (store !== null) {
      const q = await store.summary();
      println(`   store: ${q.stored_readings} readings from ${q.stations} station(s)`);
      await store.close();
    }
    if (broker && startedBroker && !values["keep-broker"]) {
      // on a signal the whole stop must fit in 5 s: SIGKILL if Kafka takes longer than 3 s
      const down = await broker.down(stops.received !== null ? { timeoutMs: 3000 } : {});
      println(`   stopped the broker airq started (pid ${down.pid}, ${down.outcome})`);
    } else if (broker) {
      println("   left the broker running (it was running before, or --keep-broker)");
    }
  }
}

/** The one-shot demo (`--once`): replay at full speed, read back, summarise, stop. */
async function once(values: DemoArgs): Promise<number> {
  const log = getLogger(["airq", "demo"]);
  const kafka = await loadKafkaConfig(env);
  const producerConfig = await loadConfig(
    new URL("producer.json", CONFIG_DIR),
    ProducerConfigSchema,
  );
  const topics = (await loadTopicsConfig(env)).topics;
  const raw = topicByRole(topics, "raw");

  const stops = stopOnSignals({ graceMs: 4500 });
  const controller = { signal: stops.signal };
  let broker: LocalBroker | null = null;
  let started = false;
  stops.beforeForcedExit(async () => void await broker?.killStarted());
  println(`1. Kafka: ${kafka.brokers.join(",")}`);
  const configured = await upConfiguredBroker(kafka, env, {
    signal: stops.signal,
    onBroker: (b) => void (broker = b),
  });
  broker = configured.broker;
  started = configured.started;
  println(`   ${configured.summary}`);
  try {
    await awaitCluster(kafka, { signal: stops.signal });
    const client = createKafka(kafka, { clientId: "airq-demo" });
    const before = await withAdmin(client, async (admin) => {
      const created = await ensureTopics(admin, topics);
      println(
        `2. topics: ${
          topics.map((t) => `${t.name} (${t.partitions} partitions, role ${t.role})`).join(", ")
        }`,
      );
      if (created.length > 0) println(`   created ${created.join(", ")}`);
      return await topicEndOffset(admin, raw.name);
    });

    const dataset = await resolveDatasetPath({
      configuredPath: producerConfig.input,
    });
    println(
      `3. replaying ${dataset.path} (${dataset.origin}) at speed ${values.speed}, ${values.stations} station(s)`,
    );
    const summary = await runProducer({
      kafka,
      topic: raw.name,
      topics,
      datasetPath: dataset.path,
      utcOffset: producerConfig.utcOffset,
      speed: parseSpeed(values.speed),
      stations: values.stations,
      seed: producerConfig.seed,
      limit: values.limit,
      loop: false,
      faults: producerConfig.faults,
      batchSize: producerConfig.batchSize,
      lingerMs: producerConfig.lingerMs,
      compression: producerConfig.compression,
      retry: producerConfig.retry,
      progressIntervalMs: producerConfig.progressIntervalMs,
      signal: controller.signal,
      onProgress: (p) => log.info("sent {sent} of {total} ({rate_per_s}/s)", { ...p }),
    });
    println(
      `   ${summary.outcome}: ${summary.sent} readings sent in ${summary.duration_s} s (${summary.rate_per_s}/s), ${summary.failed} failed`,
    );

    const after = await withAdmin(
      client,
      (admin) => topicEndOffset(admin, raw.name),
    );
    println(`4. the raw topic grew by ${after - before} messages (sent ${summary.sent})`);
    const consumerConfig = await loadConfig(
      new URL("consumer.json", CONFIG_DIR),
      ConsumerConfigSchema,
    );
    const rules = await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema);
    const dbPath = join(resolveDirs(env).stateDir, "demo.db");
    const store = await openSqliteStore(dbPath);
    try {
      const byRole = (role: TopicRole) => topicByRole(topics, role).name;
      const consumed = await runConsumer({
        kafka,
        config: consumerConfig,
        groupId: "airq-demo",
        rawTopic: raw.name,
        deadLetterTopic: byRole("dead_letter"),
        alertsTopic: byRole("alerts"),
        topics,
        store,
        rules,
        exitWhenIdleMs: 2000,
        signal: controller.signal,
      });
      const q = await store.summary();
      println(
        `5. consumer (group airq-demo: what it has not seen yet): ${consumed.consumed} messages validated, ` +
          `${consumed.stored} readings stored, ${consumed.duplicates} duplicates absorbed, ` +
          `${consumed.dead_letters} dead letters, ${consumed.alerts} data-quality alert events`,
      );
      println(
        `   store ${dbPath}: ${q.stored_readings} readings from ${q.stations} station(s), ${q.dead_letters} dead letters`,
      );
      println(
        `   missing values: ${Object.entries(q.missing).map(([c, n]) => `${c} ${n}`).join(", ")}`,
      );
    } finally {
      await store.close();
    }
    return after - before === summary.sent && summary.outcome === "completed" ? 0 : 1;
  } finally {
    if (broker && started && !values["keep-broker"]) {
      const down = await broker.down(stops.received !== null ? { timeoutMs: 3000 } : {});
      println(
        `6. stopped the broker airq started (pid ${down.pid}); run with --keep-broker to keep it`,
      );
    } else if (broker) {
      println("6. left the broker running (it was running before, or --keep-broker)");
    }
  }
}

if (import.meta.main) await runCommand(CLI, main);
