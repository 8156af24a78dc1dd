/**
 * The board as the page sees it (pure): the top N rows and the difference
 * between two boards, which is what the WebSocket pushes after the snapshot.
 *
 * @module
 */

/** One row of the board. */
export interface BoardRow {
  /** 1-based rank by score (ties: reverse alphabetical, Redis's order). */
  rank: number;
  skin_id: string;
  /** Upvotes minus downvotes. */
  score: number;
  favorites: number;
}

/** Totals shown above the board. */
export interface BoardTotals {
  /** Events applied (each event id once). */
  events: number;
  /** Events seen again and ignored (redeliveries, replays, duplicates). */
  duplicates: number;
  /** Skins with at least one vote. */
  skins: number;
}

/** A board read from the store. */
export interface Board {
  rows: BoardRow[];
  totals: BoardTotals;
}

/** What changed between two boards. */
export interface BoardChanges {
  /** Rows that are new or whose rank, score or favourites changed. */
  upserts: BoardRow[];
  /** Skins that left the top N. */
  removed: string[];
}

/**
 * The changes that turn `before` into `after`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = { rank: 1, skin_id: "a", score: 2, favorites: 0 };
 * const b = { rank: 2, skin_id: "b", score: 1, favorites: 0 };
 * const c = diffBoards([a, b], [{ ...b, rank: 1, score: 3 }, { ...a, rank: 2 }]);
 * assert.deepEqual(c.removed, []);
 * assert.equal(c.upserts.length, 2);
 * ```
 */
export function diffBoards(before: readonly BoardRow[], after: readonly BoardRow[]): BoardChanges {
  const old = new Map(before.map((r) => [r.skin_id, r]));
  const upserts = after.filter((r) => {
    const o = old.get(r.skin_id);
    return o === undefined || o.rank !== r.rank || o.score !== r.score ||
      o.favorites !== r.favorites;
  });
  const kept = new Set(after.map((r) => r.skin_id));
  const removed = before.filter((r) => !kept.has(r.skin_id)).map((r) => r.skin_id);
  return { upserts, removed };
}

/** True when the totals differ. */
export function totalsChanged(a: BoardTotals, b: BoardTotals): boolean {
  return a.events !== b.events || a.duplicates !== b.duplicates || a.skins !== b.skins;
}
