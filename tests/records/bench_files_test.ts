/**
 * The committed benchmark files are what their one schema says (the bench
 * checks its result before writing; the report reads with the same schema).
 */
import assert from "node:assert/strict";
import {
  IngestResultSchema,
  LauncherResultSchema,
  RealtimeResultSchema,
} from "../../lib/records/mod.ts";

const read = async (name: string): Promise<unknown> =>
  JSON.parse(await Deno.readTextFile(new URL(`../../docs/reports/${name}`, import.meta.url)));

Deno.test("docs/reports/bench-ingest.json, bench-realtime.json and bench-launcher.json match their schemas", async () => {
  const ingest = IngestResultSchema.parse(await read("bench-ingest.json"));
  assert.ok(ingest.readings_per_s > 0);
  const realtime = RealtimeResultSchema.parse(await read("bench-realtime.json"));
  assert.ok(realtime.latency_ms_p99 >= realtime.latency_ms_p50);
  const launcher = LauncherResultSchema.parse(await read("bench-launcher.json"));
  assert.equal(
    launcher.overhead_ms_median,
    launcher.launched_ms.median - launcher.direct_ms.median,
  );
});

Deno.test("a bench file with a field missing is refused, naming the field", () => {
  const result = IngestResultSchema.safeParse({ readings: 1, seconds: 1 });
  assert.equal(result.success, false);
  assert.match(JSON.stringify(result.error?.issues), /readings_per_s/);
});
