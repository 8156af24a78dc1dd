/**
 * The first contact with the cluster, bounded. Every entry script that talks
 * to Kafka calls `awaitCluster` before anything else touches the network, so
 * a missing broker is one clear line after `clusterWaitMs` (config/kafka.json)
 * instead of kafkajs retrying forever or logging a dozen ERROR lines.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { KafkaConfig } from "../config/mod.ts";
import { untilAborted } from "../stop.ts";
import { createKafka } from "./client.ts";

const log = getLogger(["airq", "kafka", "cluster"]);

/** No broker of the configured cluster answered within the wait. */
export class ClusterUnreachableError extends Error {
  /** The bootstrap addresses that were tried. */
  readonly brokers: readonly string[];
  /** How long the command waited, ms. */
  readonly waitedMs: number;
  constructor(brokers: readonly string[], waitedMs: number, lastError: string) {
    super(
      `no Kafka broker answered at ${brokers.join(",")} within ${
        Math.round(waitedMs / 100) / 10
      } s (${lastError}): start one with \`deno task broker up\`, or set AIRQ_KAFKA_BROKERS`,
    );
    this.name = "ClusterUnreachableError";
    this.brokers = brokers;
    this.waitedMs = waitedMs;
  }
}

/** What the cluster said on first contact. */
export interface ClusterContact {
  /** Brokers in the cluster's metadata (their advertised addresses). */
  brokers: string[];
  controller: number | null;
  /** Milliseconds until the first answer. */
  waitedMs: number;
}

/** Options of `awaitCluster`. */
export interface AwaitClusterOptions {
  /** Aborting stops the wait at once, rejecting with the signal's reason. */
  signal?: AbortSignal;
  /** Overrides `config.clusterWaitMs`. */
  timeoutMs?: number;
}

/**
 * Waits until an admin client can connect to the configured cluster and
 * describe it, trying again every 500 ms, for at most `config.clusterWaitMs`.
 * kafkajs's own errors are logged at debug level only (a refused connection
 * is the answer here, not a failure to shout about).
 *
 * @throws {ClusterUnreachableError} one line: the addresses tried, the last
 *   error, and what to do.
 * @throws the signal's reason (a `Stopped`) when `signal` aborts first.
 */
export async function awaitCluster(
  config: KafkaConfig,
  options: AwaitClusterOptions = {},
): Promise<ClusterContact> {
  const timeoutMs = options.timeoutMs ?? config.clusterWaitMs;
  const signal = options.signal ?? new AbortController().signal;
  const t0 = performance.now();
  let lastError = "no attempt";
  for (;;) {
    signal.throwIfAborted();
    const left = timeoutMs - (performance.now() - t0);
    if (left <= 0) break;
    const attemptMs = Math.max(100, Math.min(config.connectionTimeoutMs, left));
    const kafka = createKafka(
      { ...config, connectionTimeoutMs: attemptMs, requestTimeoutMs: Math.max(attemptMs, 1000) },
      { clientId: `${config.clientId}-probe`, retry: { retries: 0 }, quiet: true },
    );
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      const described = await untilAborted(
        admin.connect().then(() => admin.describeCluster()),
        signal,
      );
      const waitedMs = Math.round(performance.now() - t0);
      log.debug("Cluster at {brokers} answered after {waitedMs} ms", {
        brokers: config.brokers.join(","),
        waitedMs,
      });
      return {
        brokers: described.brokers.map((b) => `${b.host}:${b.port}`),
        controller: described.controller,
        waitedMs,
      };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      lastError = describe(error);
      log.debug("No answer from {brokers} yet: {error}", {
        brokers: config.brokers.join(","),
        error: lastError,
      });
    } finally {
      admin.disconnect().catch(() => {});
    }
    const pause = Math.min(500, timeoutMs - (performance.now() - t0));
    if (pause > 0) await sleep(pause, signal);
  }
  throw new ClusterUnreachableError(config.brokers, performance.now() - t0, lastError);
}

/** The innermost useful message of a kafkajs error, on one line. */
function describe(error: unknown): string {
  let e: unknown = error;
  // KafkaJSNumberOfRetriesExceeded and friends wrap the real cause
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s+/g, " ").slice(0, 160);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
