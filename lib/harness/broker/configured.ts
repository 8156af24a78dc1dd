/**
 * The broker an entry script should use: the local one (started, or reused when
 * it already runs) when the configured brokers are on loopback, nothing to start
 * for an external cluster. Shared by the demo and the leaderboard.
 *
 * @module
 */
import { CONFIG_DIR, type EnvReader, type KafkaConfig } from "../../config/mod.ts";
import { isLocalCluster, LocalBroker, type UpResult } from "./local.ts";
import { resolveDirs } from "./paths.ts";

/** What `upConfiguredBroker` did. */
export interface ConfiguredBroker {
  /** The local broker, null for an external cluster. */
  broker: LocalBroker | null;
  up: UpResult | null;
  /** True when this call started it: the caller should stop it when done. */
  started: boolean;
  /** One line for a person: what happened. */
  summary: string;
}

/** Starts or reuses the local broker, or does nothing for an external cluster. */
export async function upConfiguredBroker(
  config: KafkaConfig,
  env: EnvReader,
  options: {
    /** Aborting stops the start (a JVM started by this call is stopped again). */
    signal?: AbortSignal | undefined;
    /** Called with the broker object before it starts, so a forced exit can kill its JVM. */
    onBroker?: (broker: LocalBroker) => void;
  } = {},
): Promise<ConfiguredBroker> {
  if (!isLocalCluster(config)) {
    return {
      broker: null,
      up: null,
      started: false,
      summary: "external cluster: nothing to start",
    };
  }
  const broker = new LocalBroker({
    config,
    ...resolveDirs(env),
    kafkaHome: env("KAFKA_HOME"),
    configDir: CONFIG_DIR,
  });
  options.onBroker?.(broker);
  const up = await broker.up({ signal: options.signal });
  const summary = up.outcome === "started"
    ? `started Kafka ${up.version} (pid ${up.pid}), ready in ${up.readyMs} ms`
    : up.outcome === "reused"
    ? `reusing the running broker (pid ${up.pid})`
    : "a broker not started by airq answers there; using it";
  return { broker, up, started: up.outcome === "started", summary };
}
