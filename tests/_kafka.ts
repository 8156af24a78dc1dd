/**
 * Test helpers for the real broker that `deno task test` starts: its config,
 * unique topic and group names, a waitFor that polls instead of sleeping.
 *
 * @module
 */
import { type KafkaConfig, loadKafkaConfig } from "../lib/config/mod.ts";

/** The test broker's config; fails loudly when the tests run outside `deno task test`. */
export async function testKafkaConfig(): Promise<KafkaConfig> {
  const brokers = Deno.env.get("AIRQ_KAFKA_BROKERS");
  if (!brokers || Deno.env.get("AIRQ_TEST_KAFKA") !== "1") {
    throw new Error(
      "These tests need the broker that `deno task test` starts (AIRQ_KAFKA_BROKERS and " +
        "AIRQ_TEST_KAFKA=1 are not set). Run them with `deno task test [file]`.",
    );
  }
  return await loadKafkaConfig((name) => Deno.env.get(name));
}

/** A unique name with a prefix, for topics and groups of one test. */
export function unique(prefix: string): string {
  return `${prefix}.${crypto.randomUUID().slice(0, 8)}`;
}

/** Polls `predicate` until it is true or `timeoutMs` passes. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs = 20_000, intervalMs = 50, what = "condition" } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export { freePort } from "../lib/harness/broker/mod.ts";
