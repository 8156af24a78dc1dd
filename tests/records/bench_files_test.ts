/**
 * The committed benchmark files are what their one schema says (the bench
 * checks its result before writing; the report reads with the same schema).
 */
import assert from "node:assert/strict";
import {
  IngestResultSchema,
  ParityResultSchema,
  RealtimeResultSchema,
} from "../../lib/records/mod.ts";

const read = async (name: string): Promise<unknown> =>
  JSON.parse(await Deno.readTextFile(new URL(`../../docs/reports/${name}`, import.meta.url)));

Deno.test("docs/reports/bench-ingest.json and bench-realtime.json match their schemas", async () => {
  const ingest = IngestResultSchema.parse(await read("bench-ingest.json"));
  assert.ok(ingest.readings_per_s > 0);
  const realtime = RealtimeResultSchema.parse(await read("bench-realtime.json"));
  assert.ok(realtime.latency_ms_p99 >= realtime.latency_ms_p50);
});

Deno.test("docs/reports/bench-parity*.json match the parity schema: 12 rows, retraining recorded", async () => {
  const retrained = ParityResultSchema.parse(await read("bench-parity.json"));
  assert.equal(retrained.rows.length, 12);
  assert.equal(retrained.live.retrain, "wait");
  const events = retrained.live.retraining_events ?? [];
  assert.ok(events.length > 0);
  // every refit's version served: the initial one and one per promoted challenger
  assert.equal(
    retrained.live.model_versions?.length,
    1 + events.filter((e) => e.promoted).length,
  );
  // the run from before retraining, kept for the comparison in docs/realtime.md
  const once = ParityResultSchema.parse(await read("bench-parity-retrain-off.json"));
  assert.equal(once.rows.length, 12);
  assert.equal(once.live.retraining_events, undefined);
});

Deno.test("a bench file with a field missing is refused, naming the field", () => {
  const result = IngestResultSchema.safeParse({ readings: 1, seconds: 1 });
  assert.equal(result.success, false);
  assert.match(JSON.stringify(result.error?.issues), /readings_per_s/);
});
