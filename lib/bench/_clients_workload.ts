/**
 * What `bench clients` makes each Kafka client do, written once for both:
 * the records (a raw reading of about 600 bytes, a forecast record of about
 * 1.6 KB, the same for every client), the transform from one to the other,
 * the split of a transaction's records into requests, and the interface a
 * client implements.
 *
 * @module
 */
import { mulberry32 } from "../random.ts";

/** One record to send. */
export interface KeyedValue {
  key: string;
  value: string;
}

/** A consumed raw record, as much of it as the transform needs. */
export interface Consumed {
  partition: number;
  offset: string;
  value: string;
}

/** The fetch and group settings of both clients (those of config/consumer.json). */
export const FETCH = {
  maxBytesPerPartition: 1_048_576,
  maxWaitTimeMs: 250,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1000,
} as const;

/** Most bytes of record values per produce request, as the forecaster (run.ts) sends them. */
export const MAX_BYTES_PER_SEND = 800_000;

/** What `bench clients` measures of one client; the other side of the interface is lib/kafka. */
export interface ClientUnderTest {
  readonly name: string;
  readonly version: string;
  /** Idempotent producer, acks=all: sends `messages` to `topic` in requests of `batch`, one at a time. */
  produce(topic: string, messages: readonly KeyedValue[], batch: number): Promise<void>;
  /**
   * The forecaster's loop: a read_committed consumer group with manual
   * offsets on `raw`; per partition chunk of at most `chunk` records, a
   * transaction on that partition's transactional producer holds one output
   * per input (sent to `out`), the chunk's offset (TxnOffsetCommit) and the
   * commit; at most `concurrency` transactions at once. Resolves when `total`
   * inputs are committed, with when the first record arrived and when the
   * last commit returned (performance.now()), and the transactions committed.
   */
  transform(
    options: TransformOptions,
  ): Promise<{ firstAt: number; doneAt: number; transactions: number }>;
  /** Sends `messages` to `topic` in a transaction that is then aborted. */
  abortedTransaction(topic: string, transactionalId: string, messages: KeyedValue[]): Promise<void>;
}

/** The arguments of `ClientUnderTest.transform`. */
export interface TransformOptions {
  raw: string;
  out: string;
  groupId: string;
  /** Prefix of the per-partition transactional ids (`<prefix>.<partition>`). */
  transactionalId: string;
  partitions: number;
  total: number;
  chunk: number;
  concurrency: number;
  transform: (record: Consumed) => KeyedValue;
}

const TARGETS = ["co", "nox", "no2", "c6h6"] as const;
const HORIZONS_H = [1, 6, 24] as const;

/** `count` raw readings of about 600 bytes of JSON, from a fixed seed, keyed by one of `stations`. */
export function rawReadings(count: number, stations: number, seed = 12): KeyedValue[] {
  const random = mulberry32(seed);
  const start = Date.UTC(2004, 2, 10, 18);
  const out: KeyedValue[] = [];
  for (let i = 0; i < count; i++) {
    const station = `station-${String(i % stations).padStart(3, "0")}`;
    const hour = Math.floor(i / stations);
    const v = (scale: number) => Math.round(random() * scale * 100) / 100;
    const reading = {
      schema_version: 1,
      station_id: station,
      ts_utc: new Date(start + hour * 3_600_000).toISOString(),
      ts_local: new Date(start + hour * 3_600_000).toISOString().slice(0, 19),
      sent_at: new Date(start + hour * 3_600_000 + 1234).toISOString(),
      seq: i,
      measurements: {
        co_gt_mg_m3: v(10),
        pt08_s1_co: v(2000),
        nmhc_gt_ug_m3: null,
        c6h6_gt_ug_m3: v(40),
        pt08_s2_nmhc: v(2000),
        nox_gt_ppb: v(1000),
        pt08_s3_nox: v(2500),
        no2_gt_ug_m3: v(300),
        pt08_s4_no2: v(2500),
        pt08_s5_o3: v(2500),
        temperature_c: v(40),
        relative_humidity_pct: v(90),
        absolute_humidity: v(2),
      },
      source: { file: "AirQualityUCI.csv", row: 2 + hour, replay: "bench-clients" },
    };
    out.push({ key: station, value: JSON.stringify(reading) });
  }
  return out;
}

/** The forecaster's output for one reading: 4 targets x 3 horizons, each a value and an interval. */
export function forecastRecord(record: Consumed): KeyedValue {
  const reading = JSON.parse(record.value) as {
    station_id: string;
    ts_utc: string;
    measurements: Record<string, number | null>;
  };
  const t = Date.parse(reading.ts_utc);
  const forecasts = [];
  for (const target of TARGETS) {
    const now = reading.measurements[`${target}_gt_${target === "nox" ? "ppb" : "ug_m3"}`] ?? 1;
    for (const h of HORIZONS_H) {
      const value = Math.round(now * (1 + h / 100) * 1000) / 1000;
      forecasts.push({
        target,
        horizon_h: h,
        target_ts_utc: new Date(t + h * 3_600_000).toISOString(),
        value,
        lower: Math.round(value * 0.8 * 1000) / 1000,
        upper: Math.round(value * 1.2 * 1000) / 1000,
        model: "ridge-lags-v3",
      });
    }
  }
  const value = JSON.stringify({
    schema_version: 1,
    station_id: reading.station_id,
    issued_at_utc: reading.ts_utc,
    source: { partition: record.partition, offset: record.offset },
    forecasts,
  });
  return { key: `${record.partition}:${record.offset}`, value };
}

/** A fixed forecast-sized JSON value (`bytes` long), for the produce measurement. */
export function fixedPayload(bytes: number): string {
  const head = JSON.stringify({ station_id: "station-000", model: "ridge-lags-v3", pad: "" });
  return head.replace('"pad":""', `"pad":"${"x".repeat(Math.max(0, bytes - head.length))}"`);
}

/** Splits records into requests of at most `maxBytes` of values (the forecaster's `sendAll`). */
export function splitBySize<T extends KeyedValue>(records: readonly T[], maxBytes: number): T[][] {
  const requests: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = 64 + r.value.length;
    if (bytes + size > maxBytes && current.length > 0) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/** Runs `jobs` with at most `limit` at once; rejects with the first failure. */
export async function runLimited(
  jobs: readonly (() => Promise<void>)[],
  limit: number,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
