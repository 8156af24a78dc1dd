/**
 * The consumer's fetch manager, as kafkajs's runner gets it (kafkajs's module
 * cache, after lib/kafka/client.ts installed airq's: lib/kafka/fetch_manager.ts),
 * driven with kafkajs's own fetchers, workers and worker queue. The fetch and
 * the broker list are the test's, standing in for the runner and the cluster:
 * the sequence of a rolling restart's last node coming back while the
 * consumer is stopped is timed exactly here, which a real cluster does only
 * now and then (the cluster drills saw it about one run in four).
 */
import assert from "node:assert/strict";
import { fetchManagerFixInstalled } from "../../lib/kafka/mod.ts";
import { kafkajsModules } from "../../lib/kafka/_kafkajs_modules.ts";

interface FetchManager {
  start(): Promise<void>;
  stop(): Promise<void>;
}

type CreateFetchManager = (options: {
  logger: unknown;
  getNodeIds: () => string[];
  fetch: (nodeId: string) => Promise<unknown[]>;
  handler: (batch: unknown) => Promise<void>;
  concurrency?: number;
}) => FetchManager;

const createFetchManager = kafkajsModules().load(
  "./src/consumer/fetchManager.js",
) as CreateFetchManager;

/** A kafkajs-shaped logger that keeps the debug lines. */
function recordingLogger(lines: string[]) {
  const logger = {
    namespace: () => logger,
    debug: (message: string) => void lines.push(message),
    info: () => {},
    warn: () => {},
    error: () => {},
  };
  return logger;
}

const tick = (ms = 1) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

/**
 * The runner's fetch: batches while running, and once stopped an empty list
 * at once (kafkajs's runner does that without I/O, so a fetcher left running
 * then spins on resolved promises). Past `spinLimit` such answers it throws,
 * so that a spinning manager fails the test instead of hanging it.
 */
function runnerFetch(spinLimit = 10_000) {
  const state = { running: true, afterStop: 0, calls: new Map<string, number>() };
  const gates = new Map<string, () => void>();
  const fetch = async (nodeId: string): Promise<unknown[]> => {
    if (!state.running) {
      if (++state.afterStop > spinLimit) {
        throw new Error(`${state.afterStop} fetches after the consumer stopped: spinning`);
      }
      return [];
    }
    state.calls.set(nodeId, (state.calls.get(nodeId) ?? 0) + 1);
    // a fetch in progress until the test opens its gate (or 5 ms, without one)
    await new Promise<void>((resolve) => {
      gates.set(nodeId, resolve);
      if (nodeId !== "2") setTimeout(resolve, 5);
    });
    gates.delete(nodeId);
    return [];
  };
  return { state, fetch, open: (nodeId: string) => gates.get(nodeId)?.() };
}

/**
 * A manager on brokers 1 and 2 that is rebalancing: broker 3 joined while
 * broker 2's fetch was in progress (the last node of a rolling restart is
 * back), broker 1's next fetch saw the change, and the manager is stopping
 * the set, waiting for broker 2's fetch.
 */
async function rebalancingManager() {
  const lines: string[] = [];
  let nodeIds = ["1", "2"];
  const runner = runnerFetch();
  const manager = createFetchManager({
    logger: recordingLogger(lines),
    getNodeIds: () => nodeIds,
    fetch: runner.fetch,
    handler: () => Promise.resolve(),
  });
  const started = manager.start();
  await until("the first fetches", () => runner.state.calls.get("2") === 1);
  nodeIds = ["1", "2", "3"];
  await until("the rebalance of the fetchers", () => lines.includes("Stopping fetchers..."));
  return { manager, runner, started };
}

Deno.test("fetch manager: a stop while it restarts its fetchers for new brokers starts none", async () => {
  assert.ok(fetchManagerFixInstalled(), "airq's fetch manager replaced kafkajs's before it loaded");
  const { manager, runner, started } = await rebalancingManager();
  // SIGTERM: the runner stops, then stops the manager (every fetcher is stopping already)
  runner.state.running = false;
  await manager.stop();
  runner.open("2");
  await started; // with kafkajs's own manager: rejects with "... fetches after the consumer stopped"
  assert.equal(runner.state.afterStop, 0, "no fetcher ran once the consumer had stopped");
  assert.equal(runner.state.calls.get("3"), undefined, "no fetcher started for the new broker");
});

Deno.test("fetch manager: without a stop, a change of brokers restarts the fetchers for the new set", async () => {
  const { manager, runner, started } = await rebalancingManager();
  runner.open("2");
  await until("a fetch from the new broker", () => (runner.state.calls.get("3") ?? 0) >= 1);
  runner.state.running = false;
  const stopping = manager.stop();
  runner.open("2"); // the stop waits for broker 2's fetch in progress
  await stopping;
  await started;
  assert.equal(runner.state.afterStop, 0);
});
