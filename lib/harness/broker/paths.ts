/**
 * Where the local broker keeps its state (data, logs, pid file) and where the
 * Kafka jars are cached. Both are outside the source tree.
 *
 * @module
 */
import { join } from "node:path";
import type { EnvReader } from "../../config/mod.ts";
import { BrokerError } from "./errors.ts";

/** Folders the broker manager uses. */
export interface BrokerDirs {
  /** `AIRQ_STATE_DIR`, default `$HOME/.local/state/airq`. */
  stateDir: string;
  /** `AIRQ_CACHE_DIR`, default `$HOME/.cache/airq`. */
  cacheDir: string;
}

/** Resolves the state and cache folders from the environment. */
export function resolveDirs(env: EnvReader): BrokerDirs {
  const home = env("HOME");
  const state = env("AIRQ_STATE_DIR");
  const cache = env("AIRQ_CACHE_DIR");
  if ((!state || !cache) && !home) {
    throw new BrokerError(
      "no-home",
      "HOME is not set: set AIRQ_STATE_DIR and AIRQ_CACHE_DIR to writable folders.",
    );
  }
  return {
    stateDir: state || join(home!, ".local", "state", "airq"),
    cacheDir: cache || join(home!, ".cache", "airq"),
  };
}

/** Files of one local broker inside the state folder. */
export interface BrokerFiles {
  root: string;
  dataDir: string;
  logsDir: string;
  properties: string;
  pidFile: string;
  serverLog: string;
}

/**
 * The files of the local broker that lives in `stateDir`: `kafka/` for the
 * single broker, `folder` (e.g. `kafka-cluster/node-2`) for a cluster's node.
 */
export function brokerFiles(stateDir: string, folder = "kafka"): BrokerFiles {
  const root = join(stateDir, folder);
  const logsDir = join(root, "logs");
  return {
    root,
    dataDir: join(root, "data"),
    logsDir,
    properties: join(root, "server.properties"),
    pidFile: join(root, "broker.pid.json"),
    serverLog: join(logsDir, "server.log"),
  };
}
