/**
 * A seeded pseudo-random generator (mulberry32) for reproducible model fits and
 * bootstraps. Randomness is always injected through a seed, never `Math.random`.
 *
 * @module
 */

/**
 * Uniform numbers in [0, 1) from a 32-bit seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mulberry32 } from "./prng.ts";
 * assert.equal(mulberry32(1)(), mulberry32(1)());
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
