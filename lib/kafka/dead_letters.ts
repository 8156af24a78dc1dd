/**
 * A dead letter as a Kafka message: the original key and bytes untouched,
 * and why and where from in headers (`airq.reason`, `airq.detail`,
 * `airq.source.topic|partition|offset`, `airq.rejected_at`). The validating
 * consumer and the leaderboard's vote consumer both publish them, and the
 * dashboard counts them by `airq.reason`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Message } from "./client.ts";

/** The header that says why a message is a dead letter. */
export const DEAD_LETTER_REASON_HEADER = "airq.reason";

/** Longest `airq.detail` header, characters. */
export const DEAD_LETTER_DETAIL_MAX = 4000;

/** What a dead-letter message says. */
export interface DeadLetterParts {
  /** The original key (bytes or text), null when absent. */
  key: Uint8Array | string | null;
  /** The original value, byte for byte, null when absent. */
  original: Uint8Array | null;
  reason: string;
  detail: string;
  source: { topic: string; partition: number; offset: string };
  /** When it was rejected, ISO. */
  rejected_at: string;
}

/** The message to publish on a dead-letter topic. */
export function deadLetterMessage(d: DeadLetterParts): Message {
  return {
    key: d.key === null || typeof d.key === "string" ? d.key : Buffer.from(d.key),
    value: d.original === null ? null : Buffer.from(d.original),
    headers: {
      [DEAD_LETTER_REASON_HEADER]: d.reason,
      "airq.detail": d.detail.slice(0, DEAD_LETTER_DETAIL_MAX),
      "airq.source.topic": d.source.topic,
      "airq.source.partition": String(d.source.partition),
      "airq.source.offset": d.source.offset,
      "airq.rejected_at": d.rejected_at,
    },
  };
}

/** The reason of a dead-letter message read back (its `airq.reason` header), or `unknown`. */
export function deadLetterReason(headers: Message["headers"]): string {
  const reason = headers?.[DEAD_LETTER_REASON_HEADER];
  return reason === undefined ? "unknown" : String(reason);
}
