/**
 * The realtime benchmark's latency origin: a raw record's timestamp is the
 * reading's event time (2004), so the benchmark reads the send time from the
 * reading's `produced_at`, written last by the producer.
 */
import assert from "node:assert/strict";
import { producedAtMs } from "../../lib/harness/bench/realtime.ts";

Deno.test("producedAtMs() reads the producer's produced_at from the raw bytes, NaN without one", () => {
  const encoder = new TextEncoder();
  const sentAt = new Date(Date.UTC(2026, 11, 4, 17, 31, 43, 403));
  // the shape the producer writes: the reading, then produced_at last
  const reading = {
    station_id: "station-001",
    ts: "2004-03-10T18:00:00+01:00",
    produced_at: sentAt.toISOString(),
  };
  assert.equal(producedAtMs(encoder.encode(JSON.stringify(reading))), sentAt.getTime());
  const { produced_at: _, ...without } = reading;
  assert.ok(Number.isNaN(producedAtMs(encoder.encode(JSON.stringify(without)))));
});
