/**
 * What the stream loop's metrics cost per message: `recordBatch` on a batch of
 * 500 messages that carry the `airq.produced_at` header (one latency
 * observation each, plus the per-batch counters, histogram and lag), against
 * the same loop reading the header without recording anything.
 *
 * ```sh
 * deno bench --allow-read --allow-env=NODE_ENV,KAFKAJS_* tests/metrics/hot_path_bench.ts
 * ```
 */
import { Buffer } from "node:buffer";
import type { EachBatchPayload } from "../../lib/kafka/mod.ts";
import { PRODUCED_AT_HEADER } from "../../lib/kafka/mod.ts";
import { recordBatch } from "../../lib/kafka/stream.ts";
import { Metrics } from "../../lib/metrics/mod.ts";

const N = 500;
const now = Date.now();
const messages = Array.from({ length: N }, (_, i) => ({
  offset: String(i),
  headers: { [PRODUCED_AT_HEADER]: Buffer.from(String(now - i)) },
}));
const payload = {
  batch: { messages, partition: 3, offsetLag: () => "0" },
} as unknown as EachBatchPayload;
const topic = new Metrics().stream.forTopic("airq.readings.raw");

Deno.bench("recordBatch: 500 messages, counters + lag + 500 latency observations", {
  group: "batch",
  baseline: false,
}, () => {
  recordBatch(topic, payload, 0.01);
});

Deno.bench("the same loop without metrics: read and parse 500 headers", {
  group: "batch",
  baseline: true,
}, () => {
  let sum = 0;
  for (const m of messages) sum += Number(String(m.headers[PRODUCED_AT_HEADER]));
  if (sum === 0) throw new Error("unreachable");
});
