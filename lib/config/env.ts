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
 * - `AIRQ_KAFKA_SSL`: `1`/`true` to use TLS,
 * - `AIRQ_KAFKA_SASL_MECHANISM`, `AIRQ_KAFKA_SASL_USERNAME`, `AIRQ_KAFKA_SASL_PASSWORD`.
 *
 * @throws {Error} naming the variable when an override is not valid.
 */
export function applyKafkaEnv(config: KafkaConfig, env: EnvReader): KafkaConfig {
  const next: KafkaConfig = structuredClone(config);
  const brokers = env("AIRQ_KAFKA_BROKERS");
  if (brokers !== undefined && brokers.trim() !== "") {
    next.brokers = brokers.split(",").map((b) => b.trim()).filter((b) => b !== "");
  }
  const controller = env("AIRQ_KAFKA_CONTROLLER_PORT");
  if (controller !== undefined && controller !== "") {
    next.local.controllerPort = Number(controller);
  }
  const wait = env("AIRQ_KAFKA_CLUSTER_WAIT_MS");
  if (wait !== undefined && wait !== "") next.clusterWaitMs = Number(wait);
  const ssl = env("AIRQ_KAFKA_SSL");
  if (ssl !== undefined && ssl !== "") next.ssl = ssl === "1" || ssl.toLowerCase() === "true";
  const mechanism = env("AIRQ_KAFKA_SASL_MECHANISM");
  const username = env("AIRQ_KAFKA_SASL_USERNAME");
  const password = env("AIRQ_KAFKA_SASL_PASSWORD");
  if (mechanism || username || password) {
    next.sasl = {
      mechanism: (mechanism ?? next.sasl?.mechanism ?? "plain") as NonNullable<
        KafkaConfig["sasl"]
      >["mechanism"],
      username: username ?? next.sasl?.username ?? "",
      password: password ?? next.sasl?.password ?? "",
    };
  }
  const checked = KafkaConfigSchema.safeParse(next);
  if (!checked.success) {
    throw new Error(
      `Invalid Kafka settings from the environment (AIRQ_KAFKA_*):\n${formatIssues(checked.error)}`,
    );
  }
  return checked.data;
}
