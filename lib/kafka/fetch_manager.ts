/**
 * kafkajs's consumer fetch manager, rewritten so that a consumer being
 * stopped cannot start fetchers again.
 *
 * kafkajs 2.2.4's fetch manager (`src/consumer/fetchManager.js`) runs one
 * fetcher per broker. When the brokers it knows change (a broker dropped
 * after a closed connection, or back after a metadata refresh: a rolling
 * restart does both), the next fetch throws a rebalance error; the manager
 * then stops the other fetchers, waits for their fetch and batch in
 * progress, and starts a fresh set for the new brokers. If the consumer is
 * stopped during that wait (`consumer.disconnect()`, e.g. on SIGTERM), its
 * stop finds every fetcher already stopping and returns at once, and the
 * manager then starts the fresh set anyway. Their fetches go to the runner,
 * which answers "not running" with an empty list at once, without I/O: each
 * fetcher loops on resolved promises, the event loop never turns again, and
 * the process spins at full CPU, deaf to signals and timers, its own forced
 * exit included. airq's cluster drills saw exactly that: a consumer or a
 * forecaster stuck after SIGTERM right after the last node of a rolling
 * restart came back (docs/cluster.md; tests/kafka/fetch_manager_test.ts
 * replays the sequence).
 *
 * Here a stop is remembered until the next start: the manager starts no
 * fetchers once stopped, and ends its run instead (the runner, no longer
 * running, then reports that it stopped consuming). Everything else is
 * kafkajs's: its fetchers, workers, worker queue and errors. Installed by
 * ./client.ts before kafkajs loads (./_kafkajs_modules.ts).
 *
 * @module
 */
import { kafkajsModules } from "./_kafkajs_modules.ts";

interface Fetcher {
  start(): Promise<void>;
  stop(): Promise<void>;
  getWorkerQueue(): unknown;
}

interface NamespacedLogger {
  debug(message: string, extra?: Record<string, unknown>): void;
}

/** What kafkajs's runner passes when it creates its fetch manager. */
export interface FetchManagerOptions<T> {
  logger: { namespace(name: string): NamespacedLogger };
  /** The brokers the cluster knows now (one fetcher each). */
  getNodeIds(): string[];
  /** One fetch from a broker: the batches to handle. */
  fetch(nodeId: string): Promise<T[]>;
  /** Handles one batch (kafkajs's runner: the user's eachBatch). */
  handler(batch: T, context: { workerId: number }): Promise<void>;
  concurrency?: number;
}

/** What kafkajs's runner uses of its fetch manager. */
export interface FetchManager {
  /** Runs fetchers until stopped; a change of brokers restarts them, unless stopped meanwhile. */
  start(): Promise<void>;
  /** Stops the fetchers (waiting for their fetch and batch in progress) and any restart of them. */
  stop(): Promise<void>;
  getFetchers(): Fetcher[];
}

const kafkajs = kafkajsModules();

const createFetcher = kafkajs.load("./src/consumer/fetcher.js") as (options: {
  nodeId: string;
  workerQueue: unknown;
  partitionAssignments: Map<string, string>;
  fetch(nodeId: string): Promise<unknown[]>;
  logger: NamespacedLogger & { namespace(name: string): NamespacedLogger };
}) => Fetcher;
const createWorker = kafkajs.load("./src/consumer/worker.js") as (options: {
  handler: (batch: unknown, context: { workerId: number }) => Promise<void>;
  workerId: number;
}) => unknown;
const createWorkerQueue = kafkajs.load("./src/consumer/workerQueue.js") as (options: {
  workers: unknown[];
}) => unknown;
const { KafkaJSFetcherRebalanceError, KafkaJSNoBrokerAvailableError } = kafkajs.load(
  "./src/errors.js",
) as {
  KafkaJSFetcherRebalanceError: new () => Error;
  KafkaJSNoBrokerAvailableError: new () => Error;
};

/** kafkajs's `createFetchManager`, as airq's module replaces it. */
export function createFetchManager<T>(options: FetchManagerOptions<T>): FetchManager {
  const { getNodeIds, fetch, handler, concurrency = 1 } = options;
  const logger = options.logger.namespace("FetchManager") as
    & NamespacedLogger
    & { namespace(name: string): NamespacedLogger };
  const workers = Array.from(
    { length: concurrency },
    (_, workerId) =>
      createWorker({
        handler: handler as (batch: unknown, context: { workerId: number }) => Promise<void>,
        workerId,
      }),
  );
  const workerQueue = createWorkerQueue({ workers });
  let fetchers: Fetcher[] = [];
  /** Set by `stop`, cleared by `start`: no fetcher starts in between. */
  let stopped = false;

  const createFetchers = (): Fetcher[] => {
    const nodeIds = getNodeIds();
    if (nodeIds.length === 0) throw new KafkaJSNoBrokerAvailableError();
    const partitionAssignments = new Map<string, string>();
    // a fetch once the brokers changed ends this set: the manager starts one for the new brokers
    const checkBrokers = () => {
      const now = getNodeIds();
      const changed = now.length !== nodeIds.length || nodeIds.some((id) => !now.includes(id));
      if (changed && now.length !== 0) throw new KafkaJSFetcherRebalanceError();
    };
    const created = nodeIds.map((nodeId) =>
      createFetcher({
        nodeId,
        workerQueue,
        partitionAssignments,
        fetch: async (id) => {
          checkBrokers();
          return await fetch(id) as unknown[];
        },
        logger,
      })
    );
    logger.debug(`Created ${created.length} fetchers`, { nodeIds, concurrency });
    return created;
  };

  const stopFetchers = async (): Promise<void> => {
    logger.debug("Stopping fetchers...");
    await Promise.all(fetchers.map((f) => f.stop()));
    logger.debug("Stopped fetchers");
  };

  const start = async (): Promise<void> => {
    logger.debug("Starting...");
    stopped = false;
    while (!stopped) {
      fetchers = createFetchers();
      try {
        await Promise.all(fetchers.map((f) => f.start()));
        return;
      } catch (error) {
        await stopFetchers();
        if (!(error instanceof KafkaJSFetcherRebalanceError)) throw error;
        logger.debug(stopped ? "Stopped while rebalancing fetchers" : "Rebalancing fetchers...");
      }
    }
  };

  const stop = async (): Promise<void> => {
    stopped = true;
    await stopFetchers();
  };

  return { start, stop, getFetchers: () => fetchers };
}

let installed = false;

/** Whether kafkajs's consumers use {@linkcode createFetchManager} (false: kafkajs had loaded first). */
export function fetchManagerFixInstalled(): boolean {
  return installed;
}

function install(): void {
  // the runner takes the fetch manager when it loads
  installed = kafkajs.replaceBefore(
    "./src/consumer/runner.js",
    "./src/consumer/fetchManager.js",
    createFetchManager,
  );
}

install();
