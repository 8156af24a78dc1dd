/**
 * What a local broker node starts from, before its JVM runs: `server.properties`
 * written from the repository's template (its placeholders filled, the
 * caller's properties set over it), KRaft storage formatted once, the JVM's
 * logging properties, and KRaft cluster ids. `local.ts` calls these.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { getLogger } from "@logtape/logtape";
import { BrokerError } from "./errors.ts";
import type { KafkaJars } from "./jars.ts";
import type { BrokerFiles } from "./paths.ts";

const log = getLogger(["airq", "broker"]);

/** What a node's files are made from. */
export interface NodeSetup {
  /** The repository's config folder (server.properties template, log4j2.xml). */
  configDir: URL;
  files: BrokerFiles;
  nodeId: number;
  brokerPort: number;
  controllerPort: number;
  /** Set for a node of a multi-node cluster: its static quorum, replication and cluster id. */
  node?: {
    voters: string;
    replication: number;
    minInsync: number;
    clusterId: string;
  } | undefined;
  /** Properties set over the template's (a key of the template is replaced in place, a new one appended). */
  serverProperties?: Record<string, string> | undefined;
  /** Extra arguments of `kafka-storage format`. */
  formatArgs?: string[] | undefined;
}

/** The JVM's logging properties: the repository's log4j2.xml, logs in the node's folder. */
export function logProps(setup: NodeSetup): string[] {
  return [
    `-Dlog4j2.configurationFile=${fromFileUrl(new URL("kafka/log4j2.xml", setup.configDir))}`,
    `-Dkafka.logs.dir=${setup.files.logsDir}`,
  ];
}

/** Writes the node's `server.properties` from the template; refuses a placeholder left unfilled. */
export async function writeServerProperties(setup: NodeSetup): Promise<void> {
  const template = await Deno.readTextFile(new URL("kafka/server.properties", setup.configDir));
  const { node, files } = setup;
  const values: Record<string, string> = {
    node_id: String(setup.nodeId),
    quorum: node
      ? `controller.quorum.voters=${node.voters}`
      : `controller.quorum.bootstrap.servers=127.0.0.1:${setup.controllerPort}`,
    replication: String(node?.replication ?? 1),
    min_insync: String(node?.minInsync ?? 1),
    broker_port: String(setup.brokerPort),
    controller_port: String(setup.controllerPort),
    data_dir: files.dataDir,
  };
  let text = template.replace(/\$\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
  for (const [key, value] of Object.entries(setup.serverProperties ?? {})) {
    const line = `${key}=${value}`;
    const at = new RegExp(`^${key.replaceAll(".", "\\.")}=.*$`, "m");
    text = at.test(text) ? text.replace(at, () => line) : `${text.trimEnd()}\n${line}\n`;
  }
  if (/\$\{\w+\}/.test(text)) {
    throw new Error(
      `config/kafka/server.properties has an unknown placeholder: ${text.match(/\$\{\w+\}/)?.[0]}`,
    );
  }
  await Deno.writeTextFile(files.properties, text);
}

/** Formats KRaft storage once; an already formatted folder is left alone. */
export async function formatStorage(setup: NodeSetup, jars: KafkaJars): Promise<void> {
  const { files, node } = setup;
  try {
    await Deno.stat(join(files.dataDir, "meta.properties"));
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  // a cluster's nodes share one id and a static quorum (controller.quorum.voters);
  // the single broker is a dynamic quorum of one (--standalone)
  const clusterId = node?.clusterId ?? randomClusterId();
  const out = await new Deno.Command("java", {
    args: [
      ...logProps(setup),
      "-cp",
      jars.classpath,
      "kafka.tools.StorageTool",
      "format",
      ...(node ? [] : ["--standalone"]),
      "--ignore-formatted",
      "-t",
      clusterId,
      "-c",
      files.properties,
      ...(setup.formatArgs ?? []),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    throw new BrokerError(
      "format-failed",
      `Formatting KRaft storage failed:\n${text.slice(-2000)}`,
    );
  }
  log.info("Formatted KRaft storage in {dir} (cluster id {clusterId})", {
    dir: files.dataDir,
    clusterId,
  });
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (Kafka's Uuid format). */
export function randomClusterId(): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
      .replace(/=+$/, "");
    if (!id.startsWith("-")) return id; // a leading dash would read as a CLI flag
  }
}
