/**
 * The local Kafka broker: fetch the jars, format KRaft storage, start, probe,
 * stop. Used by `broker.ts`, the demo and the test runner.
 *
 * @module
 */
export { BrokerError } from "./errors.ts";
export { checkJava, parseJavaMajor } from "./java.ts";
export { type KafkaJars, pinnedKafkaVersion, resolveKafkaJars } from "./jars.ts";
export {
  type BrokerRecord,
  type DownResult,
  isLocalCluster,
  LocalBroker,
  type LocalBrokerOptions,
  randomClusterId,
  splitHostPort,
  type UpResult,
} from "./local.ts";
export { type BrokerDirs, brokerFiles, resolveDirs } from "./paths.ts";
export { commandLine, findPortOwner, isAlive, isPortFree, type PortOwner } from "./ports.ts";
export { freePort, type PrivateBroker, startPrivateBroker } from "./private.ts";
export { type ConfiguredBroker, upConfiguredBroker } from "./configured.ts";
