/**
 * Micro-benchmarks of the consumer's hot path. The budget is about 10 µs per
 * message (JSON.parse + zod) so one core can validate 50,000 messages/s with
 * room left for Kafka and the store.
 *
 * ```sh
 * deno bench --no-prompt --allow-read tests/quality/validate_bench.ts
 * ```
 *
 * @module
 */
import { readUciFile } from "../../lib/dataset/mod.ts";
import { QualityMonitor, validateMessage } from "../../lib/quality/mod.ts";
import { type CleanReading, ReadingSchema } from "../../lib/records/mod.ts";
import { context, encode, makeReading, position, RULES } from "./_helpers.ts";
import { UCI_PATH } from "../_data.ts";

const rows = await Array.fromAsync(readUciFile(UCI_PATH));
const messages = rows.map((row) =>
  encode({
    schema_version: 1,
    station_id: "station-001",
    ts: row.ts,
    measurements: row.measurements,
  })
);
const one = encode(makeReading());
const oneText = new TextDecoder().decode(one);
const ctx = context();
const decoder = new TextDecoder("utf-8", { fatal: true });
let i = 0;

Deno.bench("baseline: UTF-8 decode + JSON.parse of one reading", { group: "one" }, () => {
  JSON.parse(decoder.decode(one));
});

Deno.bench("baseline: JSON.parse + ReadingSchema.safeParse", { group: "one" }, () => {
  ReadingSchema.safeParse(JSON.parse(oneText));
});

Deno.bench("validateMessage(): one valid reading", { group: "one", baseline: true }, () => {
  validateMessage(one, ctx, RULES);
});

Deno.bench("validateMessage(): the 9,357 UCI rows in turn (missing values, atypical flags)", () => {
  const m = messages[i++ % messages.length]!;
  validateMessage(m, { source: position(i), key: "station-001", now: ctx.now }, RULES);
});

const notJson = new TextEncoder().encode("10/03/2004;18.00.00;2,6;1360;150;11,9");
Deno.bench("validateMessage(): dead letter, not JSON", () => {
  validateMessage(notJson, ctx, RULES);
});

const badSchema = encode({ ...makeReading(), measurements: { co_mg_m3: "2,6" } });
Deno.bench("validateMessage(): dead letter, 13 schema issues", () => {
  validateMessage(badSchema, ctx, RULES);
});

const clean: CleanReading[] = messages.map((m, k) => {
  const r = validateMessage(m, { source: position(k), key: "station-001", now: ctx.now }, RULES);
  if (!r.ok) throw new Error(r.deadLetter.detail);
  return r.reading;
});
Deno.bench("QualityMonitor.observe(): the whole UCI file (9,357 readings) per iteration", () => {
  const monitor = new QualityMonitor(RULES.config.thresholds);
  for (const reading of clean) monitor.observe(reading);
});

const many = new QualityMonitor(RULES.config.thresholds);
for (let s = 0; s < 100; s++) {
  for (const r of clean.slice(0, 48)) many.observe({ ...r, station_id: `station-${s}` });
}
Deno.bench("QualityMonitor.evaluate(): 100 stations", () => {
  many.evaluate(Date.now());
});
