/**
 * airq's local single-node Apache Kafka 4 broker (KRaft, broker and controller
 * in one JVM, loopback only), started from jars fetched by Maven or from
 * `KAFKA_HOME`, with its data and logs in `$AIRQ_STATE_DIR/kafka`.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { getLogger } from "@logtape/logtape";
import type { KafkaConfig } from "../../config/mod.ts";
import { createKafka } from "../../kafka/client.ts";
import { BrokerError } from "./errors.ts";
import { checkJava } from "./java.ts";
import { resolveKafkaJars } from "./jars.ts";
import { delay, reap, signal, spawnBroker } from "./jvm.ts";
import { formatStorage, logProps, type NodeSetup, writeServerProperties } from "./kraft.ts";
import { type BrokerFiles, brokerFiles } from "./paths.ts";
import { type BrokerRecord, readPidFile, writePidFile } from "./pid_file.ts";
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
    const record = await readPidFile(this.files.pidFile);
    if (record === null) return null;
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
    return await this.#start(signal);
  }

  /** Prepares the node's files, starts its JVM and waits until it answers (`up()`'s last step). */
  async #start(signal: AbortSignal | undefined): Promise<UpResult> {
    await checkJava();
    const jars = await resolveKafkaJars({
      pomPath: fromFileUrl(new URL("kafka/pom.xml", this.#options.configDir)),
      cacheDir: this.#options.cacheDir,
      kafkaHome: this.#options.kafkaHome,
    });
    await Deno.mkdir(this.files.logsDir, { recursive: true });
    const setup = this.#setup;
    await writeServerProperties(setup);
    await formatStorage(setup, jars);
    signal?.throwIfAborted();

    const t0 = performance.now();
    const heap = this.#options.config.local.heapMb;
    const pid = spawnBroker(jars, this.files, heap, logProps(setup));
    this.#startedPid = pid;
    await writePidFile(this.files.pidFile, {
      pid,
      brokerPort: this.brokerPort,
      controllerPort: this.controllerPort,
      version: jars.version,
      jarsFrom: jars.source,
      startedAt: new Date().toISOString(),
    });
    log.info("Started Kafka {version} (pid {pid}) on {address}; waiting until it answers", {
      version: jars.version,
      pid,
      address: this.address,
    });
    try {
      await this.#waitReady(pid, t0, signal);
    } catch (error) {
      await this.down(signal?.aborted ? { timeoutMs: 3000 } : {}).catch(() => {});
      throw error;
    }
    const readyMs = Math.round(performance.now() - t0);
    log.info("Kafka is ready on {address} after {readyMs} ms", {
      address: this.address,
      readyMs,
    });
    return { outcome: "started", address: this.address, pid, version: jars.version, readyMs };
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
    await this.#forget(pid);
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
    if (sig === "KILL") await this.#forget(record.pid);
    return record.pid;
  }

  /** After the broker `pid` stopped or was killed: waits until it is gone, then forgets it. */
  async #forget(pid: number): Promise<void> {
    await reap(pid);
    await Deno.remove(this.files.pidFile).catch(() => {});
    if (this.#startedPid === pid) this.#startedPid = null;
  }

  /**
   * SIGKILL for the JVM this object started, if it still runs, and waits
   * until it is gone: the last resort of a command that must exit now (its
   * stop grace is over, or it was told to stop and has nothing to save) and
   * must not leave its broker behind. A broker it reused is left alone.
   */
  async killStarted(): Promise<number | null> {
    const pid = this.#startedPid;
    if (pid === null) return null;
    await signal(pid, "KILL");
    await this.#forget(pid);
    return pid;
  }

  /** What `kraft.ts` makes this node's files from. */
  get #setup(): NodeSetup {
    const { configDir, node, serverProperties, formatArgs } = this.#options;
    const { files, nodeId, brokerPort, controllerPort } = this;
    return {
      configDir,
      files,
      nodeId,
      brokerPort,
      controllerPort,
      node,
      serverProperties,
      formatArgs,
    };
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
