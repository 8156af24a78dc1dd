/**
 * The record batch of a produce request, laid out in one buffer, installed in
 * place of kafkajs 2.2.4's `Record` and `RecordBatch` encoders.
 *
 * kafkajs builds every record in its own growing `Encoder` (a Buffer of 512
 * bytes, reallocated and copied as it grows; 64-bit arithmetic through its
 * `Long` class for each timestamp delta), measures each string value twice,
 * then copies the records into a batch encoder that grows the same way, and
 * the batch again into the request. In the forecaster's backlog profile that
 * encoding was the largest part of kafkajs's time (docs/realtime.md). Here each
 * record is measured once, the batch allocated at its exact size and written
 * in one pass, and its CRC-32C taken with ./crc32c.ts. The bytes are the same
 * as kafkajs's for every input it accepts: strings, Buffers or null as keys
 * and values, strings or Buffers as header values (tests/kafka/record_batch_test.ts
 * compares them with kafkajs's own encoders, kept as
 * {@linkcode kafkajsEncoders}); compressed batches still go through kafkajs's
 * encoder and codecs (airq does not compress).
 *
 * Installed in the CommonJS module cache before kafkajs loads, like
 * ./read_committed.ts: lib/kafka/client.ts imports this module first.
 *
 * @module
 */
import { kafkajsModules } from "./_kafkajs_modules.ts";
import { Buffer } from "node:buffer";
import { crc32c } from "./crc32c.ts";

/** A header value, or several for one key, as kafkajs takes them. */
type HeaderValue = string | Uint8Array | null;

/** What kafkajs's produce request hands its `Record` encoder for each message. */
export interface RecordArgs {
  offsetDelta?: number;
  timestampDelta?: number | bigint;
  key?: string | Uint8Array | null;
  value?: string | Uint8Array | null;
  headers?: Record<string, HeaderValue | HeaderValue[]> | null;
}

/** What kafkajs's produce request hands its `RecordBatch` encoder. */
export interface RecordBatchArgs {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: unknown;
  maxTimestamp?: unknown;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: PreparedRecord[];
}

/** kafkajs's `Encoder`, as far as this module uses it. */
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
}

/** kafkajs's own encoders (for compressed batches, and for tests). */
export interface KafkajsEncoders {
  Record: (args: RecordArgs) => KafkajsEncoder;
  RecordBatch: (args: Omit<RecordBatchArgs, "records"> & { records: KafkajsEncoder[] }) => Promise<
    KafkajsEncoder
  >;
  Encoder: new (initialSize?: number) => KafkajsEncoder;
}

/** The record batch's magic byte (format version 2). */
const MAGIC_BYTE = 2;
/** Attributes: the fifth lowest bit marks a transactional batch. */
const TRANSACTIONAL_MASK = 16;
/** The three lowest bits of the attributes: the compression codec. */
const COMPRESSION_CODEC_MASK = 7;
/** firstOffset (8), length (4): before the part the length counts. */
const BATCH_PREFIX = 12;
/** partitionLeaderEpoch (4), magic (1), crc (4): before the part the CRC covers. */
const CRC_PREFIX = 9;
/** attributes (2) ... firstSequence (4) and the record count (4). */
const BODY_HEAD = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

/** A record measured once, written later into its batch's buffer. */
class PreparedRecord {
  constructor(
    readonly args: RecordArgs,
    readonly offsetDelta: number,
    /** The zig-zag timestamp delta: a number when it fits 31 bits, else a bigint. */
    readonly timestampZigzag: number | bigint,
    readonly key: string | Uint8Array | null,
    readonly keyBytes: number,
    readonly value: string | Uint8Array | null,
    readonly valueBytes: number,
    readonly headers: readonly PreparedHeader[],
    /** The body's size, after the length varint. */
    readonly bodyBytes: number,
  ) {}

  /** Its size in the batch: the length varint and the body. */
  get bytes(): number {
    return varintBytes(zigzag32(this.bodyBytes)) + this.bodyBytes;
  }
}

interface PreparedHeader {
  key: string;
  keyBytes: number;
  value: string | Uint8Array | null;
  valueBytes: number;
}

function zigzag32(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

function varintBytes(u: number): number {
  let bytes = 1;
  while (u >= 0x80) {
    u >>>= 7;
    bytes++;
  }
  return bytes;
}

function varlongBytes(z: number | bigint): number {
  if (typeof z === "number") return varintBytes(z);
  let bytes = 1;
  while (z >= 0x80n) {
    z >>= 7n;
    bytes++;
  }
  return bytes;
}

/** A 64-bit value as kafkajs's `Long.fromValue` reads it. */
function toBigInt(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isNaN(v) ? 0n : BigInt(v);
  if (typeof v === "string") {
    if (v.length === 0) throw new Error("empty string");
    return v === "NaN" || v === "Infinity" || v === "+Infinity" || v === "-Infinity"
      ? 0n
      : BigInt(v);
  }
  if (typeof v === "object" && v !== null && typeof (v as { value?: unknown }).value === "bigint") {
    return (v as { value: bigint }).value;
  }
  return BigInt(v as string);
}

/** The zig-zag form of a timestamp delta (kafkajs's `encodeZigZag64`). */
function timestampZigzag(delta: number | bigint): number | bigint {
  if (typeof delta === "number" && Number.isInteger(delta) && Math.abs(delta) < 2 ** 30) {
    return zigzag32(delta);
  }
  const x = toBigInt(delta);
  return (x << 1n) ^ (x >> 63n);
}

/** UTF-8 size of a string, or a byte array's length, or -1 for null (kafkajs's rules). */
function sizeOf(v: string | Uint8Array | null | undefined): number {
  if (v === null || v === undefined) return -1;
  return typeof v === "string" ? Buffer.byteLength(v, "utf8") : v.length;
}

/** The part a length-prefixed field takes: its varint and its bytes. */
function fieldBytes(size: number): number {
  return size < 0 ? 1 : varintBytes(zigzag32(size)) + size;
}

/**
 * kafkajs's `Record` replaced: measures the record, writes nothing yet.
 * Keys and values are strings, Buffers or null (what kafkajs accepts); any
 * other Uint8Array is written as its bytes, and anything else as its
 * `String()`, where kafkajs would throw while measuring it.
 */
export function prepareRecord(args: RecordArgs): PreparedRecord {
  const offsetDelta = args.offsetDelta ?? 0;
  const ts = timestampZigzag(args.timestampDelta ?? 0);
  const key = normalize(args.key);
  const value = normalize(args.value);
  const keyBytes = sizeOf(key);
  const valueBytes = sizeOf(value);
  const headers: PreparedHeader[] = [];
  const given = args.headers ?? {};
  for (const headerKey of Object.keys(given)) {
    const v = given[headerKey];
    for (const one of Array.isArray(v) ? v : [v]) {
      const hv = normalize(one);
      headers.push({
        key: headerKey,
        keyBytes: Buffer.byteLength(headerKey, "utf8"),
        value: hv,
        valueBytes: sizeOf(hv),
      });
    }
  }
  let headerBytes = varintBytes(zigzag32(headers.length));
  for (const h of headers) headerBytes += fieldBytes(h.keyBytes) + fieldBytes(h.valueBytes);
  const bodyBytes = 1 + varlongBytes(ts) + varintBytes(zigzag32(offsetDelta)) +
    fieldBytes(keyBytes) + fieldBytes(valueBytes) + headerBytes;
  return new PreparedRecord(
    args,
    offsetDelta,
    ts,
    key,
    keyBytes,
    value,
    valueBytes,
    headers,
    bodyBytes,
  );
}

function normalize(v: unknown): string | Uint8Array | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || v instanceof Uint8Array) return v;
  return String(v);
}

/** Writes into one buffer, front to back. */
class Writer {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  varint(u: number): void {
    const buf = this.buf;
    let o = this.offset;
    while (u >= 0x80) {
      buf[o++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    buf[o++] = u;
    this.offset = o;
  }

  varlong(z: number | bigint): void {
    if (typeof z === "number") return this.varint(z);
    const buf = this.buf;
    let o = this.offset;
    while (z >= 0x80n) {
      buf[o++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    buf[o++] = Number(z);
    this.offset = o;
  }

  /** A length-prefixed string or byte array (-1 for null). */
  field(v: string | Uint8Array | null, size: number): void {
    if (v === null) return this.varint(1); // zig-zag of -1
    this.varint(zigzag32(size));
    if (typeof v === "string") this.buf.write(v, this.offset, size, "utf8");
    else this.buf.set(v, this.offset);
    this.offset += size;
  }

  record(r: PreparedRecord): void {
    this.varint(zigzag32(r.bodyBytes));
    this.buf[this.offset++] = 0; // attributes: none used
    this.varlong(r.timestampZigzag);
    this.varint(zigzag32(r.offsetDelta));
    this.field(r.key, r.keyBytes);
    this.field(r.value, r.valueBytes);
    this.varint(zigzag32(r.headers.length));
    for (const h of r.headers) {
      this.field(h.key, h.keyBytes);
      this.field(h.value, h.valueBytes);
    }
  }
}

let originals: KafkajsEncoders | null = null;

/** kafkajs's own encoders, as they were before this module replaced them (null: not installed). */
export function kafkajsEncoders(): KafkajsEncoders | null {
  return originals;
}

/** kafkajs's `RecordBatch` replaced: the batch in one exactly sized buffer, in kafkajs's Encoder. */
export function encodeRecordBatch(args: RecordBatchArgs): Promise<KafkajsEncoder> {
  if (originals === null) throw new Error("kafkajs's encoders are not loaded");
  const records = args.records ?? [];
  if (((args.compression ?? 0) & COMPRESSION_CODEC_MASK) !== 0) {
    const { Record, RecordBatch } = originals;
    return RecordBatch({ ...args, records: records.map((r) => Record(r.args)) });
  }
  let recordBytes = 0;
  for (const r of records) recordBytes += r.bytes;
  const total = BATCH_PREFIX + CRC_PREFIX + BODY_HEAD + recordBytes;
  const buf = Buffer.allocUnsafe(total);
  const now = Date.now();
  buf.writeBigInt64BE(BigInt.asIntN(64, toBigInt(args.firstOffset ?? 0)), 0);
  buf.writeInt32BE(total - BATCH_PREFIX, 8);
  buf.writeInt32BE(args.partitionLeaderEpoch ?? 0, 12);
  buf.writeInt8(MAGIC_BYTE, 16);
  const body = BATCH_PREFIX + CRC_PREFIX;
  // attributes: no compression codec (compressed batches went to kafkajs above)
  buf.writeInt16BE(args.transactional ? TRANSACTIONAL_MASK : 0, body);
  buf.writeInt32BE(args.lastOffsetDelta ?? 0, body + 2);
  buf.writeBigInt64BE(BigInt.asIntN(64, toBigInt(args.firstTimestamp ?? now)), body + 6);
  buf.writeBigInt64BE(BigInt.asIntN(64, toBigInt(args.maxTimestamp ?? now)), body + 14);
  buf.writeBigInt64BE(BigInt.asIntN(64, toBigInt(args.producerId ?? -1)), body + 22);
  buf.writeInt16BE(args.producerEpoch ?? 0, body + 30);
  buf.writeInt32BE(args.firstSequence ?? 0, body + 32);
  buf.writeInt32BE(records.length, body + 36);
  const w = new Writer(buf);
  w.offset = body + BODY_HEAD;
  for (const r of records) w.record(r);
  if (w.offset !== total) throw new Error(`record batch: wrote ${w.offset} of ${total} bytes`);
  buf.writeUInt32BE(crc32c(buf.subarray(body)), BATCH_PREFIX + 5);
  const out = new originals.Encoder(0);
  out.buf = buf;
  out.offset = total;
  return Promise.resolve(out);
}

let installed = false;

/** Whether kafkajs uses {@linkcode encodeRecordBatch} (false: kafkajs had loaded before this module). */
export function recordBatchInstalled(): boolean {
  return installed;
}

function install(): void {
  const kafkajs = kafkajsModules();
  // the produce request takes both encoders once, when it loads: replace them before that
  if (kafkajs.loaded("./src/protocol/requests/produce/v3/request.js")) return;
  const recordPath = "./src/protocol/recordBatch/record/v0/index.js";
  const batchPath = "./src/protocol/recordBatch/v0/index.js";
  const Record = kafkajs.load(recordPath) as KafkajsEncoders["Record"];
  const batchModule = kafkajs.load(batchPath) as { RecordBatch: KafkajsEncoders["RecordBatch"] };
  const Encoder = kafkajs.load("./src/protocol/encoder.js") as KafkajsEncoders["Encoder"];
  originals = { Record, RecordBatch: batchModule.RecordBatch, Encoder };
  installed = kafkajs.replace(recordPath, prepareRecord) &&
    kafkajs.replace(batchPath, { RecordBatch: encodeRecordBatch, MAGIC_BYTE });
}

install();
