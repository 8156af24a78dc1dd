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
import { countRuntimeDependencies, type MavenRun, parseDownloaded, runMaven } from "./maven.ts";

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
  const t0 = performance.now();
  log.info("Fetching Apache Kafka {version} from Maven Central into {libsDir}, once", {
    version,
    libsDir,
  });
  try {
    const total = await listJars(options.pomPath, home, version);
    log.info("Maven: {total} jars to fetch", { total });
    await fetchJars(options.pomPath, staging, version, total);
  } catch (error) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw error;
  }
  if (await kafkaJarIn(staging) === null) {
    throw new BrokerError("maven-failed", `Maven finished but ${staging} holds no Kafka jar.`);
  }
  let jars = 0;
  let bytes = 0;
  for await (const entry of Deno.readDir(staging)) {
    if (!entry.name.endsWith(".jar")) continue;
    jars++;
    bytes += (await Deno.stat(join(staging, entry.name))).size;
  }
  await Deno.remove(libsDir, { recursive: true }).catch(() => {});
  await Deno.rename(staging, libsDir);
  await Deno.writeTextFile(marker, `${new Date().toISOString()}\n`);
  log.info("Fetched Apache Kafka {version}: {jars} jars, {mb} MB in {libsDir} ({seconds} s)", {
    version,
    jars,
    mb: megabytes(bytes),
    libsDir,
    seconds: Math.round((performance.now() - t0) / 1000),
  });
  return { source: "maven-cache", version, libsDir, classpath: join(libsDir, "*") };
}

/** A progress line this often while Maven runs, even when it prints nothing (slow downloads). */
const PROGRESS_EVERY_MS = 3000;

/** Runs `work`, calling `report` every {@linkcode PROGRESS_EVERY_MS} until it settles. */
async function withProgress<T>(report: () => void, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(report, PROGRESS_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** `dependency:tree`: how many jars the broker needs (Maven fetches POMs and its plugin here). */
async function listJars(pomPath: string, home: string, version: string): Promise<number> {
  const treeFile = join(home, `tree.partial-${Date.now()}.txt`);
  let files = 0;
  let bytes = 0;
  const report = () =>
    log.info("Maven: listing the jars, {files} files ({mb} MB) of POMs and plugins fetched", {
      files,
      mb: megabytes(bytes),
    });
  try {
    const args = ["-B", "-f", pomPath, "dependency:tree", `-DoutputFile=${treeFile}`];
    const run = await withProgress(report, () =>
      maven(args, (line) => {
        const got = parseDownloaded(line);
        if (got === null) return;
        files++;
        bytes += got.bytes;
      }));
    if (!run.success) throw mavenFailed(version, run);
    return countRuntimeDependencies(await Deno.readTextFile(treeFile));
  } finally {
    await Deno.remove(treeFile).catch(() => {});
  }
}

/** `dependency:copy-dependencies` into `staging`, logging "k of N jars, MB". */
async function fetchJars(
  pomPath: string,
  staging: string,
  version: string,
  total: number,
): Promise<void> {
  let jars = 0;
  let bytes = 0;
  const report = () =>
    log.info("Maven: {jars} of {total} jars, {mb} MB", { jars, total, mb: megabytes(bytes) });
  const args = [
    "-B",
    "-f",
    pomPath,
    "dependency:copy-dependencies",
    `-DoutputDirectory=${staging}`,
    "-DincludeScope=runtime",
  ];
  const run = await withProgress(report, () =>
    maven(args, (line) => {
      const got = parseDownloaded(line);
      if (got === null || !got.file.endsWith(".jar")) return;
      jars = Math.min(jars + 1, total);
      bytes += got.bytes;
    }));
  if (!run.success) throw mavenFailed(version, run);
}

function megabytes(bytes: number): number {
  return Number((bytes / 1e6).toFixed(1));
}

async function maven(args: string[], onLine: (line: string) => void): Promise<MavenRun> {
  try {
    return await runMaven(args, onLine);
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
}

function mavenFailed(version: string, run: MavenRun): BrokerError {
  const lines = run.text.split("\n").filter((l) => l.includes("ERROR")).slice(0, 5).join("\n");
  const offline = /Could not (transfer|resolve)|UnknownHost|Connection refused|timed out/i
    .test(run.text);
  return new BrokerError(
    "maven-failed",
    (offline
      ? `Maven could not download Apache Kafka ${version} (is Maven Central reachable?).\n`
      : `Maven failed to resolve Apache Kafka ${version} (exit code ${run.code}).\n`) +
      `${lines || run.text.slice(-2000)}\n` +
      "  Alternatives: set KAFKA_HOME to an unpacked Apache Kafka 4.x distribution, " +
      "or use an external cluster (AIRQ_KAFKA_BROKERS).",
  );
}
