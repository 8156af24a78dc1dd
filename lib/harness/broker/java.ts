/**
 * Finding a Java 17+ runtime for the broker.
 *
 * @module
 */
import { BrokerError } from "./errors.ts";

/** Parses the major version out of `java -version` output (it goes to stderr). */
export function parseJavaMajor(output: string): number | null {
  const match = output.match(/version "(\d+)(?:\.(\d+))?[^"]*"/);
  if (!match) return null;
  const first = Number(match[1]);
  // Java 8 and older report "1.8.0_x"
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/**
 * Checks that `java` on PATH is version 17 or newer.
 *
 * @throws {BrokerError} `java-missing` or `java-too-old`, each saying what to install.
 */
export async function checkJava(): Promise<number> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("java", {
      args: ["-version"],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new BrokerError(
        "java-missing",
        "Java 17 or newer is needed to run the local Kafka broker, and `java` is not on PATH.\n" +
          "  Install a JDK 17+ (Debian: apt-get install openjdk-17-jre-headless) or point airq " +
          "at an external cluster with AIRQ_KAFKA_BROKERS.",
        { cause: error },
      );
    }
    throw error;
  }
  const text = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
  const major = parseJavaMajor(text);
  if (major === null || major < 17) {
    throw new BrokerError(
      "java-too-old",
      `Kafka 4 needs Java 17 or newer; \`java -version\` says: ${text.split("\n")[0]?.trim()}.\n` +
        "  Install a JDK 17+ and put it first on PATH, or use an external cluster " +
        "(AIRQ_KAFKA_BROKERS).",
    );
  }
  return major;
}
