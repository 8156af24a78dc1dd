/**
 * kafkajs logs at ERROR every retry of a request the broker refused for a
 * moment; airq logs the ones it expects at debug (lib/kafka/client.ts). The
 * lines below are what the forecaster logged in `bench realtime` at 1,000
 * readings/s before CONCURRENT_TRANSACTIONS joined the list: two ERROR lines
 * per retry of a transaction that started before the previous commit's
 * markers were written, the usual case at that rate.
 */
import assert from "node:assert/strict";
import { transientKafkaError } from "../../lib/kafka/client.ts";

const CONCURRENT =
  "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing";

Deno.test("CONCURRENT_TRANSACTIONS retries and a loading coordinator are transient; real failures are not", () => {
  // kafkajs's Connection line carries the broker's error; its Producer line puts it in the message
  assert.equal(transientKafkaError(CONCURRENT), true);
  assert.equal(transientKafkaError(`Failed to send messages: ${CONCURRENT}`), true);
  assert.equal(
    transientKafkaError("The coordinator is loading and hence can't process requests"),
    true,
  );
  for (
    const failure of [
      "There is a newer producer with the same transactionalId which fences the current one",
      "The producer attempted to use a producer id which is not currently assigned to its transactional id",
      "The broker received an out of order sequence number",
      "Connection error: connect ECONNREFUSED 127.0.0.1:9092",
    ]
  ) {
    assert.equal(transientKafkaError(failure), false, failure);
  }
});
