/**
 * lib/kafka/commit.ts: an unreachable group coordinator turns a failed commit
 * into the NOT_COORDINATOR error kafkajs's runner rejoins on; a refusal by a
 * live coordinator (a protocol error) and any other error pass unchanged.
 * (The kill -9 of a real coordinator is tests/pipeline/cluster_test.ts.)
 */
import assert from "node:assert/strict";
import { coordinatorUnreachable, rejoinOnUnreachable } from "../../lib/kafka/mod.ts";

function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name }, extra);
}

Deno.test("a dead or silent coordinator becomes a retriable NOT_COORDINATOR error", () => {
  for (
    const [name, message] of [
      ["KafkaJSConnectionClosedError", "Closed connection"],
      ["KafkaJSConnectionError", "Connection error: connect ECONNREFUSED 127.0.0.1:38547"],
      ["KafkaJSBrokerNotFound", "Broker 1 not found in the cached metadata"],
      ["KafkaJSRequestTimeoutError", "Request OffsetCommit(key: 8, version: 5) timed out"],
    ]
  ) {
    const original = named(name!, message!);
    assert.ok(coordinatorUnreachable(original), name);
    const moved = rejoinOnUnreachable(original, "committing raw/2 at 600") as Error & {
      type?: string;
      retriable?: boolean;
    };
    assert.notEqual(moved, original);
    assert.equal(moved.type, "NOT_COORDINATOR_FOR_GROUP", name);
    assert.equal(moved.retriable, true, name);
    assert.match(moved.message, /committing raw\/2 at 600/);
    assert.ok(moved.message.includes(message!), "the cause stays in the message");
  }
});

Deno.test("a refusal by a live coordinator and other errors pass unchanged", () => {
  const refusals = [
    named("KafkaJSProtocolError", "The group is rebalancing", { type: "REBALANCE_IN_PROGRESS" }),
    named("KafkaJSProtocolError", "unknown member", { type: "UNKNOWN_MEMBER_ID" }),
    new TypeError("x is undefined"),
    "a string",
  ];
  for (const e of refusals) {
    assert.equal(coordinatorUnreachable(e), false);
    assert.equal(rejoinOnUnreachable(e, "heartbeat"), e);
  }
});
