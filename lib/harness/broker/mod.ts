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
  CLUSTER_FOLDER,
  type ClusterRecord,
  defaultClusterPorts,
  LocalCluster,
  type LocalClusterOptions,
  quorumVoters,
  replicationFor,
} from "./cluster.ts";
export {
  type ClusterNodeSpec,
  type DownResult,
  isLocalCluster,
  LocalBroker,
  type LocalBrokerOptions,
  splitHostPort,
  type UpResult,
} from "./local.ts";
export { randomClusterId } from "./kraft.ts";
export type { BrokerRecord } from "./pid_file.ts";
export { type BrokerDirs, brokerFiles, resolveDirs } from "./paths.ts";
export {
  commandLine,
  findPortOwner,
  isAlive,
  isPortFree,
  type PortOwner,
  runTool,
} from "./ports.ts";
export {
  freePort,
  killPrivateBrokers,
  type PrivateBroker,
  type PrivateCluster,
  startPrivateBroker,
  startPrivateCluster,
} from "./private.ts";
export { type ConfiguredBroker, upConfiguredBroker } from "./configured.ts";
