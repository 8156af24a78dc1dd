/**
 * airq's local single-node Apache Kafka 4 broker (KRaft, broker and controller
 * in one JVM, loopback only), started from jars fetched by Maven or from
 * `KAFKA_HOME`, with its data and logs in `$AIRQ_STATE_DIR/kafka`.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { getLogger } from "@logtape/logtape";
import { z } from "zod";
import type { KafkaConfig } from "../../config/mod.ts";
import { createKafka } from "../../kafka/client.ts";
import { BrokerError } from "./errors.ts";
import { checkJava } from "./java.ts";
import { type KafkaJars, resolveKafkaJars } from "./jars.ts";
import { type BrokerFiles, brokerFiles } from "./paths.ts";
import { commandLine, findPortOwner, isAlive, isPortFree } from "./ports.ts";

const log = getLogger(["airq", "broker"]);
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Splits `host:port` (IPv6 in brackets allowed). */
export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

/** True when every configured broker is on loopback: airq then manages a local broker. */
export function isLocalCluster(config: KafkaConfig): boolean {
  return config.brokers.every((b) => LOOPBACK.has(splitHostPort(b).host));
}

/** What the pid file records about a broker airq started: its one schema, for the writer (`up()`) and the reader (`running()`). */
const BrokerRecordSchema = z.strictObject({
  pid: z.number().int(),
  brokerPort: z.number().int(),
  controllerPort: z.number().int(),
  version: z.string(),
  jarsFrom: z.enum(["kafka-home", "maven-cache"]),
  startedAt: z.string(),
});

/** What the pid file records about a broker airq started. */
export type BrokerRecord = z.infer<typeof BrokerRecordSchema>;

/** Result of `up()`. */
export interface UpResult {
  /** `started` a new JVM, `reused` ours, or found `foreign` Kafka already answering. */
  outcome: "started" | "reused" | "foreign";
  address: string;
  pid: number | null;
  version: string | null;
  /** Milliseconds from spawning the JVM to an admin client connecting (started only). */
  readyMs: number | null;
}

/** Result of `down()`. */
export interface DownResult {
  outcome: "stopped" | "killed" | "not-running";
  pid: number | null;
}

/** One node of a local multi-node cluster (lib/harness/broker/cluster.ts). */
export interface ClusterNodeSpec {
  /** node.id, 1..N. */
  id: number;
  brokerPort: number;
  controllerPort: number;
  /** controller.quorum.voters: `1@127.0.0.1:<port>,2@...`, every node a voter. */
  voters: string;
  /** The cluster id every node is formatted with. */
  clusterId: string;
  /** This node's folder under the state folder, e.g. `kafka-cluster/node-2`. */
  folder: string;
  /** Replication factor and min.insync.replicas of the internal topics and the defaults. */
  replication: number;
  minInsync: number;
}

/** Options of a local broker. */
export interface LocalBrokerOptions {
  config: KafkaConfig;
  stateDir: string;
  cacheDir: string;
  kafkaHome?: string | undefined;
  /** The repository's config folder (server.properties template, log4j2.xml, pom.xml). */
  configDir: URL;
  /**
   * Server properties set over the template's (a key of the template is replaced in
   * place, a new one appended): e.g. a SASL_SSL listener with its JAAS settings.
   */
  serverProperties?: Record<string, string> | undefined;
  /** Extra arguments of `kafka-storage format`, e.g. `--add-scram` for SCRAM users. */
  formatArgs?: string[] | undefined;
  /** Set for a node of a multi-node cluster; absent for the single broker. */
  node?: ClusterNodeSpec | undefined;
}

const children = new Map<number, Deno.ChildProcess>();

/** Manages the local broker that lives in one state folder. */
export class LocalBroker {
  readonly files: BrokerFiles;
  readonly address: string;
  readonly brokerPort: number;
  readonly controllerPort: number;
  /** node.id (1 for the single broker). */
  readonly nodeId: number;
  readonly #options: LocalBrokerOptions;
  /** The JVM this object started, until it is stopped. */
  #startedPid: number | null = null;

  constructor(options: LocalBrokerOptions) {
    if (!isLocalCluster(options.config)) {
      throw new BrokerError(
        "external-cluster",
        `The configured brokers (${options.config.brokers.join(",")}) are an external ` +
          "cluster; airq never starts a local broker for them.",
      );
    }
    this.#options = options;
    const node = options.node;
    if (node) {
      this.files = brokerFiles(options.stateDir, node.folder);
      this.address = `127.0.0.1:${node.brokerPort}`;
      this.brokerPort = node.brokerPort;
      this.controllerPort = node.controllerPort;
      this.nodeId = node.id;
      return;
    }
    this.nodeId = 1;
    if (options.config.brokers.length !== 1) {
      throw new BrokerError(
        "local-single",
        "A local broker is a single node: configure exactly one loopback address, " +
          `not ${options.config.brokers.join(",")}.`,
      );
    }
    this.files = brokerFiles(options.stateDir);
    this.address = options.config.brokers[0]!;
    this.brokerPort = splitHostPort(this.address).port;
    this.controllerPort = options.config.local.controllerPort;
    if (this.brokerPort === this.controllerPort) {
      throw new BrokerError(
        "port-clash",
        `The broker port and the controller port are both ${this.brokerPort}; ` +
          "set AIRQ_KAFKA_CONTROLLER_PORT to another port.",
      );
    }
  }

  /** The pid file's record when the broker it names still runs, else null. */
  async running(): Promise<BrokerRecord | null> {
    let record: BrokerRecord;
    try {
      record = BrokerRecordSchema.parse(JSON.parse(await Deno.readTextFile(this.files.pidFile)));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      if (error instanceof SyntaxError || error instanceof z.ZodError) {
        throw new BrokerError(
          "pid-file",
          `${this.files.pidFile} is not the pid file \`broker up\` writes (${
            error instanceof z.ZodError ? z.prettifyError(error) : error.message
          }); if no broker of airq runs, delete it`,
        );
      }
      throw error;
    }
    const cmd = await commandLine(record.pid);
    if (await isAlive(record.pid) && cmd.includes(this.files.properties)) return record;
    await Deno.remove(this.files.pidFile).catch(() => {});
    return null;
  }

  /** True when a kafkajs admin client can connect and describe the cluster. */
  async answers(timeoutMs = 1500): Promise<boolean> {
    const kafka = createKafka(
      {
        ...this.#options.config,
        brokers: [this.address],
        connectionTimeoutMs: timeoutMs,
        requestTimeoutMs: timeoutMs,
      },
      { clientId: "airq-broker-probe", retry: { retries: 0 }, quiet: true },
    );
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      await admin.describeCluster();
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /**
   * Starts the broker, or reuses the one already running. Idempotent.
   * Aborting `signal` stops the wait for readiness (rejecting with the
   * signal's reason); a JVM this call started is then stopped again.
   */
  async up(options: { signal?: AbortSignal | undefined } = {}): Promise<UpResult> {
    const { signal } = options;
    const existing = await this.running();
    if (existing) {
      await this.#waitReady(existing.pid, performance.now(), signal);
      return {
        outcome: "reused",
        address: this.address,
        pid: existing.pid,
        version: existing.version,
        readyMs: null,
      };
    }
    if (!isPortFree(this.brokerPort)) {
      if (await this.answers()) {
        log.warn("A Kafka broker not started by airq already answers on {address}; using it", {
          address: this.address,
        });
        return {
          outcome: "foreign",
          address: this.address,
          pid: null,
          version: null,
          readyMs: null,
        };
      }
      throw await this.#portTaken(this.brokerPort, "broker");
    }
    if (!isPortFree(this.controllerPort)) {
      throw await this.#portTaken(this.controllerPort, "controller");
    }

    await checkJava();
    const jars = await resolveKafkaJars({
      pomPath: fromFileUrl(new URL("kafka/pom.xml", this.#options.configDir)),
      cacheDir: this.#options.cacheDir,
      kafkaHome: this.#options.kafkaHome,
    });
    await Deno.mkdir(this.files.logsDir, { recursive: true });
    await this.#writeProperties();
    await this.#format(jars);
    signal?.throwIfAborted();

    const t0 = performance.now();
    const heap = this.#options.config.local.heapMb;
    const child = new Deno.Command("setsid", {
      args: [
        "java",
        `-Xms${Math.min(256, heap)}m`,
        `-Xmx${heap}m`,
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        `-XX:ErrorFile=${join(this.files.logsDir, "hs_err_pid%p.log")}`,
        ...this.#logProps(),
        "-cp",
        jars.classpath,
        "kafka.Kafka",
        this.files.properties,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child.unref();
    children.set(child.pid, child);
    this.#startedPid = child.pid;
    const record: BrokerRecord = {
      pid: child.pid,
      brokerPort: this.brokerPort,
      controllerPort: this.controllerPort,
      version: jars.version,
      jarsFrom: jars.source,
      startedAt: new Date().toISOString(),
    };
    await Deno.writeTextFile(
      this.files.pidFile,
      JSON.stringify(BrokerRecordSchema.parse(record), null, 2) + "\n",
    );
    log.info("Started Kafka {version} (pid {pid}) on {address}; waiting until it answers", {
      version: jars.version,
      pid: child.pid,
      address: this.address,
    });
    try {
      await this.#waitReady(child.pid, t0, signal);
    } catch (error) {
      await this.down(signal?.aborted ? { timeoutMs: 3000 } : {}).catch(() => {});
      throw error;
    }
    const readyMs = Math.round(performance.now() - t0);
    log.info("Kafka is ready on {address} after {readyMs} ms", {
      address: this.address,
      readyMs,
    });
    return {
      outcome: "started",
      address: this.address,
      pid: child.pid,
      version: jars.version,
      readyMs,
    };
  }

  /**
   * Sends SIGTERM to the broker airq started here and waits for it to exit;
   * after `timeoutMs` (default `local.stopTimeoutMs`) it sends SIGKILL.
   */
  async down(options: { timeoutMs?: number } = {}): Promise<DownResult> {
    const record = await this.running();
    if (!record) return { outcome: "not-running", pid: null };
    const { pid } = record;
    await signal(pid, "TERM");
    const timeoutMs = options.timeoutMs ?? this.#options.config.local.stopTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    let outcome: DownResult["outcome"] = "stopped";
    while (await isAlive(pid)) {
      if (Date.now() > deadline) {
        log.warn("Kafka (pid {pid}) did not stop within {ms} ms of SIGTERM; sending SIGKILL", {
          pid,
          ms: timeoutMs,
        });
        await signal(pid, "KILL");
        outcome = "killed";
        break;
      }
      await delay(100);
    }
    const child = children.get(pid);
    if (child) {
      // it was unref'd so that a running broker does not keep this process alive; awaiting its
      // status must, or the event loop may end with the await pending (seen after SIGSTOP/SIGCONT)
      child.ref();
      await child.status;
      children.delete(pid);
    }
    while (await isAlive(pid)) await delay(50);
    await Deno.remove(this.files.pidFile).catch(() => {});
    if (this.#startedPid === pid) this.#startedPid = null;
    return { outcome, pid };
  }

  /**
   * Sends `sig` to the running broker (the drills: KILL = a crash, STOP and
   * CONT = a hung process). After KILL it waits until the process is gone and
   * forgets it, so `up()` starts it again on the same data. Returns the pid,
   * null when no broker runs.
   */
  async sendSignal(sig: "KILL" | "STOP" | "CONT" | "TERM"): Promise<number | null> {
    const record = await this.running();
    if (!record) return null;
    await signal(record.pid, sig);
    if (sig === "KILL") {
      const child = children.get(record.pid);
      if (child) {
        child.ref();
        await child.status;
        children.delete(record.pid);
      }
      while (await isAlive(record.pid)) await delay(50);
      await Deno.remove(this.files.pidFile).catch(() => {});
      if (this.#startedPid === record.pid) this.#startedPid = null;
    }
    return record.pid;
  }

  /**
   * SIGKILL for the JVM this object started, if it still runs: the last
   * resort of a command that must exit now (its stop grace is over) and must
   * not leave its broker behind. A broker it reused is left alone.
   */
  async killStarted(): Promise<number | null> {
    const pid = this.#startedPid;
    if (pid === null) return null;
    await signal(pid, "KILL");
    return pid;
  }

  #logProps(): string[] {
    return [
      `-Dlog4j2.configurationFile=${
        fromFileUrl(new URL("kafka/log4j2.xml", this.#options.configDir))
      }`,
      `-Dkafka.logs.dir=${this.files.logsDir}`,
    ];
  }

  async #writeProperties(): Promise<void> {
    const template = await Deno.readTextFile(
      new URL("kafka/server.properties", this.#options.configDir),
    );
    const node = this.#options.node;
    const values: Record<string, string> = {
      node_id: String(this.nodeId),
      quorum: node
        ? `controller.quorum.voters=${node.voters}`
        : `controller.quorum.bootstrap.servers=127.0.0.1:${this.controllerPort}`,
      replication: String(node?.replication ?? 1),
      min_insync: String(node?.minInsync ?? 1),
      broker_port: String(this.brokerPort),
      controller_port: String(this.controllerPort),
      data_dir: this.files.dataDir,
    };
    let text = template.replace(/\$\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
    for (const [key, value] of Object.entries(this.#options.serverProperties ?? {})) {
      const line = `${key}=${value}`;
      const at = new RegExp(`^${key.replaceAll(".", "\\.")}=.*$`, "m");
      text = at.test(text) ? text.replace(at, () => line) : `${text.trimEnd()}\n${line}\n`;
    }
    if (/\$\{\w+\}/.test(text)) {
      throw new Error(
        `config/kafka/server.properties has an unknown placeholder: ${
          text.match(/\$\{\w+\}/)?.[0]
        }`,
      );
    }
    await Deno.writeTextFile(this.files.properties, text);
  }

  /** Formats KRaft storage once; an already formatted folder is left alone. */
  async #format(jars: KafkaJars): Promise<void> {
    try {
      await Deno.stat(join(this.files.dataDir, "meta.properties"));
      return;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    // a cluster's nodes share one id and a static quorum (controller.quorum.voters);
    // the single broker is a dynamic quorum of one (--standalone)
    const node = this.#options.node;
    const clusterId = node?.clusterId ?? randomClusterId();
    const out = await new Deno.Command("java", {
      args: [
        ...this.#logProps(),
        "-cp",
        jars.classpath,
        "kafka.tools.StorageTool",
        "format",
        ...(node ? [] : ["--standalone"]),
        "--ignore-formatted",
        "-t",
        clusterId,
        "-c",
        this.files.properties,
        ...(this.#options.formatArgs ?? []),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      throw new BrokerError(
        "format-failed",
        `Formatting KRaft storage failed:\n${text.slice(-2000)}`,
      );
    }
    log.info("Formatted KRaft storage in {dir} (cluster id {clusterId})", {
      dir: this.files.dataDir,
      clusterId,
    });
  }

  async #waitReady(pid: number, t0: number, signal?: AbortSignal): Promise<void> {
    const timeout = this.#options.config.local.readyTimeoutMs;
    while (performance.now() - t0 < timeout) {
      signal?.throwIfAborted();
      if (!(await isAlive(pid))) {
        const tail = await this.#logTail();
        const inUse = tail.match(/Address already in use|BindException[^\n]*/);
        throw new BrokerError(
          inUse ? "port-in-use" : "broker-exited",
          `The Kafka broker (pid ${pid}) exited during start-up` +
            (inUse ? " because a port was taken" : "") +
            `. Last lines of ${this.files.serverLog}:\n${tail}`,
        );
      }
      if (await this.answers()) return;
      await delay(250);
    }
    throw new BrokerError(
      "broker-timeout",
      `Kafka (pid ${pid}) did not answer on ${this.address} within ${timeout} ms. ` +
        `See ${this.files.serverLog}.`,
    );
  }

  async #logTail(lines = 15): Promise<string> {
    try {
      const text = await Deno.readTextFile(this.files.serverLog);
      return text.trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no server.log)";
    }
  }

  async #portTaken(port: number, what: string): Promise<BrokerError> {
    const owner = await findPortOwner(port);
    const by = owner ? ` by pid ${owner.pid} (${owner.command.slice(0, 160)})` : "";
    const hint = what === "broker"
      ? "pick another with AIRQ_KAFKA_BROKERS=127.0.0.1:<port>"
      : "pick another with AIRQ_KAFKA_CONTROLLER_PORT=<port>";
    return new BrokerError(
      "port-in-use",
      `Port ${port} on 127.0.0.1 (the ${what} port) is already taken${by}, and no Kafka ` +
        `answers there. Stop that process or ${hint}.`,
    );
  }
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (Kafka's Uuid format). */
export function randomClusterId(): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
      .replace(/=+$/, "");
    if (!id.startsWith("-")) return id; // a leading dash would read as a CLI flag
  }
}

async function signal(pid: number, sig: "TERM" | "KILL" | "STOP" | "CONT"): Promise<void> {
  await new Deno.Command("kill", { args: [`-${sig}`, String(pid)], stdout: "null", stderr: "null" })
    .output();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
