/** lib/stop.ts's CleanupStack, which the dashboard and the leaderboard start-ups share. */
import assert from "node:assert/strict";
import { CleanupStack } from "../../lib/stop.ts";
import type { Logger } from "../../lib/log.ts";

Deno.test("CleanupStack stops last first, logs a failing stop and goes on, and runs each once", async () => {
  const warnings: string[] = [];
  const logger = {
    warn: (_message: string, props: { error: string }) => void warnings.push(props.error),
  } as unknown as Logger;
  const order: string[] = [];
  const stack = new CleanupStack(logger);
  stack.push(() => order.push("store"));
  stack.push(() => {
    throw new Error("hub would not close");
  });
  stack.push(async () => {
    await Promise.resolve();
    order.push("server");
  });
  await stack.run();
  assert.deepEqual(order, ["server", "store"]);
  assert.deepEqual(warnings, ["hub would not close"]);
  await stack.run();
  assert.deepEqual(order, ["server", "store"], "a second run stops nothing again");
});
