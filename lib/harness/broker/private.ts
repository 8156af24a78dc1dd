/**
 * A private broker: a fresh state folder in the temp dir and free loopback
 * ports, so a test run, a benchmark or a drill never touches anyone's broker.
 * `stop()` stops it and removes its folder.
 *
 * @module
 */
import { CONFIG_DIR, type KafkaConfig, loadKafkaConfig } from "../../config/mod.ts";
import { LocalBroker, type UpResult } from "./local.ts";

/** A loopback port nobody listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A started private broker. */
export interface PrivateBroker {
  broker: LocalBroker;
  config: KafkaConfig;
  /** `127.0.0.1:<port>`, for AIRQ_KAFKA_BROKERS. */
  brokers: string;
  controllerPort: number;
  stateDir: string;
  up: UpResult;
  /** Stops the broker and removes its state folder. */
  stop: () => Promise<void>;
}

/** Starts a broker in a new temp folder on free ports. */
export async function startPrivateBroker(options: {
  prefix: string;
  cacheDir: string;
  kafkaHome?: string | undefined;
  /** More Kafka settings (`AIRQ_KAFKA_*`) of the client config, e.g. TLS and SASL. */
  env?: Record<string, string>;
  /** Server properties over the template's (see `LocalBrokerOptions`). */
  serverProperties?: (ports: { brokerPort: number; controllerPort: number }) => Record<
    string,
    string
  >;
  /** Extra `kafka-storage format` arguments (e.g. `--add-scram`). */
  formatArgs?: string[];
}): Promise<PrivateBroker> {
  const brokerPort = freePort();
  let controllerPort = freePort();
  while (controllerPort === brokerPort) controllerPort = freePort();
  const brokers = `127.0.0.1:${brokerPort}`;
  const stateDir = await Deno.makeTempDir({ prefix: options.prefix });
  const config = await loadKafkaConfig((name) =>
    name === "AIRQ_KAFKA_BROKERS"
      ? brokers
      : name === "AIRQ_KAFKA_CONTROLLER_PORT"
      ? String(controllerPort)
      : options.env?.[name]
  );
  const broker = new LocalBroker({
    config,
    stateDir,
    cacheDir: options.cacheDir,
    kafkaHome: options.kafkaHome,
    configDir: CONFIG_DIR,
    serverProperties: options.serverProperties?.({ brokerPort, controllerPort }),
    formatArgs: options.formatArgs,
  });
  const up = await broker.up();
  return {
    broker,
    config,
    brokers,
    controllerPort,
    stateDir,
    up,
    stop: async () => {
      await broker.down();
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    },
  };
}
