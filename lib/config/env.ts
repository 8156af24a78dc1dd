/**
 * Environment overrides of `config/kafka.json`. Kept apart from the file
 * loader so tests can pass a plain map instead of the real environment.
 *
 * @module
 */
import type { KafkaConfig } from "./schemas.ts";
import { KafkaConfigSchema } from "./schemas.ts";
import { formatIssues } from "./issues.ts";

/** Reads one environment variable; `Deno.env.get` in production, a map in tests. */
export type EnvReader = (name: string) => string | undefined;

/**
 * Applies the documented overrides:
 * - `AIRQ_KAFKA_BROKERS`: comma-separated host:port list,
 * - `AIRQ_KAFKA_CONTROLLER_PORT`: the local broker's controller port,
 * - `AIRQ_KAFKA_CLUSTER_WAIT_MS`: how long a command waits for the cluster's first answer,
 * - `AIRQ_KAFKA_SSL`: `1`/`true` to use TLS, `0`/`false` not to,
 * - `AIRQ_KAFKA_SSL_CA`, `AIRQ_KAFKA_SSL_CERT`, `AIRQ_KAFKA_SSL_KEY`: PEM files (TLS on),
 * - `AIRQ_KAFKA_SASL_MECHANISM` (`plain`, `scram-sha-256`, `scram-sha-512`, `oauthbearer`),
 *   `AIRQ_KAFKA_SASL_USERNAME`, `AIRQ_KAFKA_SASL_PASSWORD`, `AIRQ_KAFKA_OAUTH_TOKEN_FILE`
 *   (the token itself, `AIRQ_KAFKA_OAUTH_TOKEN`, is read when the client authenticates),
 * - `AIRQ_KAFKA_ALLOW_HOSTS`: comma-separated hosts added to `allowHosts`.
 *
 * @throws {Error} naming the variable when an override is not valid.
 */
export function applyKafkaEnv(config: KafkaConfig, env: EnvReader): KafkaConfig {
  const next: KafkaConfig = structuredClone(config);
  const set = (name: string): string | undefined => {
    const value = env(name);
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const brokers = set("AIRQ_KAFKA_BROKERS");
  if (brokers !== undefined) {
    next.brokers = brokers.split(",").map((b) => b.trim()).filter((b) => b !== "");
  }
  const controller = set("AIRQ_KAFKA_CONTROLLER_PORT");
  if (controller !== undefined) next.local.controllerPort = Number(controller);
  const wait = set("AIRQ_KAFKA_CLUSTER_WAIT_MS");
  if (wait !== undefined) next.clusterWaitMs = Number(wait);
  const ssl = set("AIRQ_KAFKA_SSL");
  if (ssl !== undefined) {
    const on = ssl === "1" || ssl.toLowerCase() === "true";
    next.ssl = on ? (next.ssl === false ? true : next.ssl) : false;
  }
  const files = {
    ca: set("AIRQ_KAFKA_SSL_CA"),
    cert: set("AIRQ_KAFKA_SSL_CERT"),
    key: set("AIRQ_KAFKA_SSL_KEY"),
  };
  if (files.ca !== undefined || files.cert !== undefined || files.key !== undefined) {
    const tls = typeof next.ssl === "object" ? { ...next.ssl } : {};
    if (files.ca !== undefined) tls.ca = files.ca;
    if (files.cert !== undefined) tls.cert = files.cert;
    if (files.key !== undefined) tls.key = files.key;
    next.ssl = tls;
  }
  const mechanism = set("AIRQ_KAFKA_SASL_MECHANISM")?.toLowerCase();
  const username = env("AIRQ_KAFKA_SASL_USERNAME");
  const password = env("AIRQ_KAFKA_SASL_PASSWORD");
  const tokenFile = set("AIRQ_KAFKA_OAUTH_TOKEN_FILE");
  const kind = mechanism ?? next.sasl?.mechanism ??
    (tokenFile !== undefined ? "oauthbearer" : "plain");
  if (tokenFile !== undefined && kind !== "oauthbearer") {
    throw new Error(
      `AIRQ_KAFKA_OAUTH_TOKEN_FILE is set but the SASL mechanism is ${kind}, not oauthbearer ` +
        "(set AIRQ_KAFKA_SASL_MECHANISM=oauthbearer, or unset the token file)",
    );
  }
  if (kind === "oauthbearer") {
    if (mechanism !== undefined || tokenFile !== undefined) {
      const previous = next.sasl?.mechanism === "oauthbearer" ? next.sasl : { mechanism: kind };
      next.sasl = { ...previous, mechanism: "oauthbearer" };
      if (tokenFile !== undefined) next.sasl.tokenFile = tokenFile;
    }
  } else if (mechanism || username || password) {
    const previous = next.sasl !== null && "username" in next.sasl ? next.sasl : null;
    next.sasl = {
      mechanism: kind as "plain",
      username: username ?? previous?.username ?? "",
      password: password ?? previous?.password ?? "",
    };
  }
  const hosts = set("AIRQ_KAFKA_ALLOW_HOSTS");
  if (hosts !== undefined) {
    next.allowHosts = [
      ...next.allowHosts,
      ...hosts.split(",").map((h) => h.trim()).filter((h) => h !== ""),
    ];
  }
  const checked = KafkaConfigSchema.safeParse(next);
  if (!checked.success) {
    throw new Error(
      `Invalid Kafka settings from the environment (AIRQ_KAFKA_*):\n${formatIssues(checked.error)}`,
    );
  }
  return checked.data;
}
