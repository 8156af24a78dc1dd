/**
 * CRC-32C (Castagnoli), the checksum of every Kafka record batch, eight bytes
 * at a time ("slicing-by-8": eight lookup tables, one step per 8 bytes instead
 * of one per byte), and installed in place of kafkajs 2.2.4's byte-at-a-time
 * JavaScript version.
 *
 * kafkajs computes this checksum over every record batch it produces; in a CPU
 * profile of the forecaster working off a backlog (docs/realtime.md) it was
 * the largest single function of kafkajs's encoder. The replacement goes into
 * the CommonJS module cache before kafkajs loads (lib/kafka/client.ts imports
 * this module first), the same way as lib/kafka/read_committed.ts; it gives
 * the same value for every input (tested against kafkajs's own function).
 *
 * @module
 */
import { kafkajsModules } from "./_kafkajs_modules.ts";

/** The reflected CRC-32C polynomial. */
const POLY = 0x82f63b78;

/** TABLES[k][b]: the CRC of byte b followed by k zero bytes. */
const TABLES: Int32Array[] = (() => {
  const t = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[0]![b] = c;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[0]![b]!;
    for (let k = 1; k < 8; k++) {
      c = t[0]![c & 0xff]! ^ (c >>> 8);
      t[k]![b] = c;
    }
  }
  return t;
})();

/**
 * The CRC-32C of `bytes`, as an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc32c } from "./crc32c.ts";
 * // the check value of CRC-32C (RFC 3720, appendix B.4)
 * assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
 * assert.equal(crc32c(new Uint8Array(0)), 0);
 * ```
 */
export function crc32c(bytes: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  let crc = -1;
  let i = 0;
  const n = bytes.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    const lo = crc ^
      (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    crc = t7[lo & 0xff]! ^ t6[(lo >>> 8) & 0xff]! ^ t5[(lo >>> 16) & 0xff]! ^ t4[lo >>> 24]! ^
      t3[bytes[i + 4]!]! ^ t2[bytes[i + 5]!]! ^ t1[bytes[i + 6]!]! ^ t0[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < n) crc = t0[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

let installed = false;

/** Whether kafkajs uses {@linkcode crc32c} (false: kafkajs had loaded before this module). */
export function crc32cInstalled(): boolean {
  return installed;
}

function install(): void {
  const kafkajs = kafkajsModules();
  // the wrapper requires the function once, when it loads: replace it before that
  installed = kafkajs.replaceBefore(
    "./src/protocol/recordBatch/crc32C/index.js",
    "./src/protocol/recordBatch/crc32C/crc32C.js",
    crc32c,
  );
}

install();
