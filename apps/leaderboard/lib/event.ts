/**
 * The vote event: its zod schema, its encoding on the votes topic (JSON value,
 * key = skin id), and the decoding the consumer applies, which turns anything
 * malformed into a dead letter with a reason instead of an exception.
 *
 * @module
 */
import { z } from "zod";

/** Skin ids: lower-case letters, digits, `-` and `_`, 1–32 characters. */
export const SKIN_ID_PATTERN: RegExp = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** What a vote does: +1 or -1 on the score, or +1 on the favourites. */
export const VOTE_KINDS = ["up", "down", "favorite"] as const;

/** A vote kind. */
export type VoteKind = typeof VOTE_KINDS[number];

/** A skin id. */
export const SkinIdSchema = z.string().regex(
  SKIN_ID_PATTERN,
  "must be 1-32 lower-case letters, digits, '-' or '_', starting with a letter or digit",
);

/** One vote, as published on the votes topic. */
export const VoteEventSchema = z.strictObject({
  /** Unique per vote: the idempotency key (a UUID for events airq creates). */
  event_id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "must be 8-64 letters, digits, '-', '_'"),
  skin_id: SkinIdSchema,
  kind: z.enum(VOTE_KINDS),
  /** When the vote was cast, ISO-8601 UTC. */
  voted_at: z.iso.datetime(),
  /** Who produced it: the simulation, the CLI or the page's form. */
  source: z.enum(["sim", "cli", "web"]),
});

/** One vote. */
export type VoteEvent = z.infer<typeof VoteEventSchema>;

/** Creates a vote with a fresh event id. */
export function newVoteEvent(
  skinId: string,
  kind: VoteKind,
  source: VoteEvent["source"],
  now: number = Date.now(),
): VoteEvent {
  return {
    event_id: crypto.randomUUID(),
    skin_id: skinId,
    kind,
    voted_at: new Date(now).toISOString(),
    source,
  };
}

/** The Kafka message of a vote: keyed by skin id so one skin's votes keep their order. */
export function encodeVote(event: VoteEvent): { key: string; value: string } {
  return { key: event.skin_id, value: JSON.stringify(event) };
}

/** Why a message became a dead letter. */
export type VoteRejection = "empty" | "too_large" | "invalid_json" | "schema" | "bad_key";

/** The outcome of decoding one message. */
export type DecodedVote =
  | { ok: true; event: VoteEvent }
  | { ok: false; reason: VoteRejection; detail: string };

/** Largest vote message accepted (a valid one is about 150 bytes). */
export const MAX_VOTE_BYTES = 4096;

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes one message from the votes topic. Never throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = new TextEncoder().encode("nope");
 * assert.equal(decodeVote("aurora", bytes).ok, false);
 * ```
 */
export function decodeVote(key: string | null, value: Uint8Array | null): DecodedVote {
  if (value === null || value.byteLength === 0) {
    return { ok: false, reason: "empty", detail: "the message has no value" };
  }
  if (value.byteLength > MAX_VOTE_BYTES) {
    return {
      ok: false,
      reason: "too_large",
      detail: `${value.byteLength} bytes, at most ${MAX_VOTE_BYTES} accepted`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(value));
  } catch (error) {
    return {
      ok: false,
      reason: "invalid_json",
      detail: error instanceof Error ? error.message : String(error),
    };
  }
  const parsed = VoteEventSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: "schema", detail: z.prettifyError(parsed.error) };
  }
  if (key !== parsed.data.skin_id) {
    return {
      ok: false,
      reason: "bad_key",
      detail: `the key must be the skin id "${parsed.data.skin_id}", got ${JSON.stringify(key)}`,
    };
  }
  return { ok: true, event: parsed.data };
}
