/**
 * A private broker: a fresh state folder in the temp dir and free loopback
 * ports, so a test run, a benchmark or a drill never touches anyone's broker.
 * `stop()` stops it and removes its folder; {@linkcode killPrivateBrokers} is
 * the way out for a command told to stop halfway (lib/harness/interrupt.ts).
 *
 * @module
 */
import { dirname } from "node:path";
import { CONFIG_DIR, type KafkaConfig, loadKafkaConfig } from "../../config/mod.ts";
import { LocalCluster } from "./cluster.ts";
import { LocalBroker, type UpResult } from "./local.ts";
import { claimFolder, reapOrphans } from "./orphans.ts";

/** The kills of the private brokers and clusters this process started and has not stopped. */
const unstopped = new Set<() => Promise<void>>();

/**
 * SIGKILL for every private broker and cluster node this process started and
 * has not stopped, and their folders removed: for a benchmark or a drill told
 * to stop halfway (Ctrl-C, SIGTERM), which has nothing to save. The JVMs run
 * in sessions of their own (./jvm.ts), so a signal to the command's process
 * group does not reach them: without this, each one outlived its command.
 */
export async function killPrivateBrokers(): Promise<void> {
  const kills = [...unstopped];
  unstopped.clear();
  await Promise.all(kills.map((kill) => kill().catch(() => {})));
}

/** Adds the kill of a private broker or cluster (its JVMs, then its folder) to `unstopped`. */
function register(killJvms: () => Promise<unknown>, dir: string): () => Promise<void> {
  const kill = async () => {
    await killJvms();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  unstopped.add(kill);
  return kill;
}

/** A loopback port nobody listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * A new folder in the temp dir that names this process as its owner, after
 * the folders of private brokers whose process was killed were cleaned
 * (./orphans.ts).
 */
async function newStateDir(prefix: string): Promise<string> {
  const stateDir = await Deno.makeTempDir({ prefix });
  await claimFolder(stateDir);
  await reapOrphans(dirname(stateDir));
  return stateDir;
}

/** A started private broker. */
export interface PrivateBroker {
  broker: LocalBroker;
  config: KafkaConfig;
  /** `127.0.0.1:<port>`, for AIRQ_KAFKA_BROKERS. */
  brokers: string;
  controllerPort: number;
  stateDir: string;
  up: UpResult;
  /** Stops the broker and removes its state folder. */
  stop: () => Promise<void>;
}

/** Starts a broker in a new temp folder on free ports. */
export async function startPrivateBroker(options: {
  prefix: string;
  cacheDir: string;
  kafkaHome?: string | undefined;
  /** More Kafka settings (`AIRQ_KAFKA_*`) of the client config, e.g. TLS and SASL. */
  env?: Record<string, string>;
  /** Server properties over the template's (see `LocalBrokerOptions`). */
  serverProperties?: (ports: { brokerPort: number; controllerPort: number }) => Record<
    string,
    string
  >;
  /** Extra `kafka-storage format` arguments (e.g. `--add-scram`). */
  formatArgs?: string[];
}): Promise<PrivateBroker> {
  const brokerPort = freePort();
  let controllerPort = freePort();
  while (controllerPort === brokerPort) controllerPort = freePort();
  const brokers = `127.0.0.1:${brokerPort}`;
  const stateDir = await newStateDir(options.prefix);
  const config = await loadKafkaConfig((name) =>
    name === "AIRQ_KAFKA_BROKERS"
      ? brokers
      : name === "AIRQ_KAFKA_CONTROLLER_PORT"
      ? String(controllerPort)
      : options.env?.[name]
  );
  const broker = new LocalBroker({
    config,
    stateDir,
    cacheDir: options.cacheDir,
    kafkaHome: options.kafkaHome,
    configDir: CONFIG_DIR,
    serverProperties: options.serverProperties?.({ brokerPort, controllerPort }),
    formatArgs: options.formatArgs,
  });
  // registered before it starts: a stop signal during start-up kills the JVM being started
  const kill = register(() => broker.killStarted(), stateDir);
  let up: UpResult;
  try {
    up = await broker.up();
  } catch (error) {
    unstopped.delete(kill);
    throw error;
  }
  return {
    broker,
    config,
    brokers,
    controllerPort,
    stateDir,
    up,
    stop: async () => {
      unstopped.delete(kill);
      await broker.down();
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    },
  };
}

/** A started private cluster. */
export interface PrivateCluster {
  cluster: LocalCluster;
  config: KafkaConfig;
  /** Every node's address, comma-separated, for AIRQ_KAFKA_BROKERS. */
  brokers: string;
  stateDir: string;
  readyMs: number;
  /** Stops every node and removes the state folder. */
  stop: () => Promise<void>;
}

/** Starts a cluster of `size` nodes in a new temp folder on free ports. */
export async function startPrivateCluster(options: {
  prefix: string;
  cacheDir: string;
  kafkaHome?: string | undefined;
  size: number;
  /** JVM heap of each node, MB (default: the config's `local.heapMb`). */
  heapMb?: number;
}): Promise<PrivateCluster> {
  const taken = new Set<number>();
  const port = () => {
    let p = freePort();
    while (taken.has(p)) p = freePort();
    taken.add(p);
    return p;
  };
  const ports = Array.from({ length: options.size }, () => ({
    broker: port(),
    controller: port(),
  }));
  const brokers = ports.map((p) => `127.0.0.1:${p.broker}`).join(",");
  const stateDir = await newStateDir(options.prefix);
  const loaded = await loadKafkaConfig((name) =>
    name === "AIRQ_KAFKA_BROKERS"
      ? brokers
      : name === "AIRQ_KAFKA_CONTROLLER_PORT"
      ? String(ports[0]!.controller)
      : undefined
  );
  const config = options.heapMb === undefined
    ? loaded
    : { ...loaded, local: { ...loaded.local, heapMb: options.heapMb } };
  const cluster = await LocalCluster.open({
    config,
    stateDir,
    cacheDir: options.cacheDir,
    kafkaHome: options.kafkaHome,
    configDir: CONFIG_DIR,
    size: options.size,
    ports,
  });
  const kill = register(() => cluster.killStarted(), stateDir);
  let readyMs: number;
  try {
    readyMs = (await cluster.up()).readyMs;
  } catch (error) {
    unstopped.delete(kill);
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    throw error;
  }
  return {
    cluster,
    config,
    brokers,
    stateDir,
    readyMs,
    stop: async () => {
      unstopped.delete(kill);
      await cluster.down();
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    },
  };
}
