/**
 * Getting the Apache Kafka jars: from `KAFKA_HOME` (an unpacked Apache Kafka
 * distribution) when set, else from Maven Central through Maven, into a cache
 * folder outside the repository (`$AIRQ_CACHE_DIR/kafka-<version>/libs`).
 *
 * @module
 */
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { BrokerError } from "./errors.ts";

const log = getLogger(["airq", "broker"]);

/** Reads `<kafka.version>` from the pom: the one place the version is pinned. */
export function pinnedKafkaVersion(pomText: string): string {
  const match = pomText.match(/<kafka\.version>([^<]+)<\/kafka\.version>/);
  if (!match?.[1]) throw new Error("config/kafka/pom.xml has no <kafka.version> property");
  return match[1].trim();
}

/** Where the jars came from and the `-cp` value for java. */
export interface KafkaJars {
  source: "kafka-home" | "maven-cache";
  version: string;
  libsDir: string;
  classpath: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function kafkaJarIn(libsDir: string): Promise<string | null> {
  try {
    for await (const entry of Deno.readDir(libsDir)) {
      if (/^kafka_2\.13-[\d.]+.*\.jar$/.test(entry.name) && !entry.name.includes("-test")) {
        return entry.name;
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  return null;
}

/**
 * Returns the jars to run the broker with, downloading them on first use.
 *
 * @throws {BrokerError} `kafka-home-invalid`, `maven-missing` or `maven-failed`.
 */
export async function resolveKafkaJars(options: {
  pomPath: string;
  cacheDir: string;
  kafkaHome?: string | undefined;
}): Promise<KafkaJars> {
  if (options.kafkaHome) {
    const libsDir = join(options.kafkaHome, "libs");
    const jar = await kafkaJarIn(libsDir);
    if (jar === null) {
      throw new BrokerError(
        "kafka-home-invalid",
        `KAFKA_HOME=${options.kafkaHome} has no libs/kafka_2.13-*.jar: point it at an unpacked ` +
          "Apache Kafka distribution, or unset it to let airq fetch the jars with Maven.",
      );
    }
    const version = jar.replace(/^kafka_2\.13-/, "").replace(/\.jar$/, "");
    return { source: "kafka-home", version, libsDir, classpath: join(libsDir, "*") };
  }

  const version = pinnedKafkaVersion(await Deno.readTextFile(options.pomPath));
  const home = join(options.cacheDir, `kafka-${version}`);
  const libsDir = join(home, "libs");
  const marker = join(home, ".complete");
  if (await exists(marker)) {
    return { source: "maven-cache", version, libsDir, classpath: join(libsDir, "*") };
  }

  await Deno.mkdir(home, { recursive: true });
  const staging = join(home, `libs.partial-${Date.now()}`);
  log.info("Fetching Apache Kafka {version} from Maven Central into {libsDir}", {
    version,
    libsDir,
  });
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("mvn", {
      args: [
        "-B",
        "-q",
        "-f",
        options.pomPath,
        "dependency:copy-dependencies",
        `-DoutputDirectory=${staging}`,
        "-DincludeScope=runtime",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new BrokerError(
        "maven-missing",
        "Maven (`mvn`) is needed once to fetch the Kafka jars from Maven Central, and it is not " +
          "on PATH.\n  Install it (Debian: apt-get install maven), or set KAFKA_HOME to an " +
          "unpacked Apache Kafka 4.x distribution, or use an external cluster (AIRQ_KAFKA_BROKERS).",
        { cause: error },
      );
    }
    throw error;
  }
  if (!output.success) {
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    const lines = text.split("\n").filter((l) => l.includes("ERROR")).slice(0, 5).join("\n");
    const offline = /Could not (transfer|resolve)|UnknownHost|Connection refused|timed out/i
      .test(text);
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw new BrokerError(
      "maven-failed",
      (offline
        ? `Maven could not download Apache Kafka ${version} (is Maven Central reachable?).\n`
        : `Maven failed to resolve Apache Kafka ${version} (exit code ${output.code}).\n`) +
        `${lines || text.slice(-2000)}\n` +
        "  Alternatives: set KAFKA_HOME to an unpacked Apache Kafka 4.x distribution, " +
        "or use an external cluster (AIRQ_KAFKA_BROKERS).",
    );
  }
  if (await kafkaJarIn(staging) === null) {
    throw new BrokerError("maven-failed", `Maven finished but ${staging} holds no Kafka jar.`);
  }
  await Deno.remove(libsDir, { recursive: true }).catch(() => {});
  await Deno.rename(staging, libsDir);
  await Deno.writeTextFile(marker, `${new Date().toISOString()}\n`);
  return { source: "maven-cache", version, libsDir, classpath: join(libsDir, "*") };
}
