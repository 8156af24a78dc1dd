/**
 * The one module that imports `@platformatic/kafka`, the pure-JavaScript
 * client that `deno task bench clients` measures against kafkajs (issue 12).
 * airq itself still talks to Kafka through kafkajs (lib/kafka/client.ts);
 * nothing but the benchmark imports this module, and `lib/kafka/mod.ts` does
 * not re-export it, so the other tasks do not load it.
 *
 * Permissions it needs at import, beyond kafkajs's: read access to its own
 * npm package folder (`@platformatic/wasm-utils` reads `native.wasm`, its
 * CRC32C and compression codecs, with `readFileSync`). It tries the native
 * `@node-rs/crc32` addon first; without `--allow-ffi` that fails and it uses
 * the WebAssembly CRC32C (`crc32cImplementation()` says which one runs).
 *
 * @module
 */
import {
  type BaseOptions,
  compatibilityPartitioner,
  Consumer,
  crc32c,
  FetchIsolationLevels,
  jsCRC32C,
  type Message,
  Producer,
  stringDeserializers,
  stringSerializers,
} from "@platformatic/kafka";
import type { KafkaConfig } from "../config/mod.ts";

export {
  compatibilityPartitioner,
  Consumer,
  FetchIsolationLevels,
  type Message,
  Producer,
  stringDeserializers,
  stringSerializers,
};

/** A transaction of a transactional producer (the package does not export the class by name). */
export type Transaction<K, V> = Awaited<
  ReturnType<Producer<K, V, string, string>["beginTransaction"]>
>;

/** Which CRC32C the client computes record batches with: the native addon, WebAssembly or JavaScript. */
export function crc32cImplementation(): "native" | "wasm" | "js" {
  if (crc32c === jsCRC32C) return "js";
  return crc32c.name === "nativeCRC32C" ? "native" : "wasm";
}

/** The client options (brokers, TLS, SASL, timeouts) from airq's Kafka config. */
export function platformaticOptions(config: KafkaConfig, clientId: string): BaseOptions {
  const options: BaseOptions = {
    clientId,
    bootstrapBrokers: config.brokers,
    connectTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
  };
  if (config.ssl) options.tls = {};
  if (config.sasl !== null) {
    options.sasl = {
      mechanism: config.sasl.mechanism.toUpperCase() as "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512",
      username: config.sasl.username,
      password: config.sasl.password,
    };
  }
  return options;
}
