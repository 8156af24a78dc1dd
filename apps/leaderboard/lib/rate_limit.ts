/**
 * A token bucket per client key (pure: the clock is injected), for the one
 * state-changing endpoint, POST /api/vote.
 *
 * @module
 */

/** Token buckets, one per key, refilled continuously. */
export class RateLimiter {
  readonly #burst: number;
  readonly #perSecond: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #maxKeys: number;

  constructor(
    options: { burst: number; perSecond: number; now?: () => number; maxKeys?: number },
  ) {
    this.#burst = options.burst;
    this.#perSecond = options.perSecond;
    this.#now = options.now ?? (() => performance.now());
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /**
   * Takes one token for `key`. Returns 0 when allowed, else the seconds to wait.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * let t = 0;
   * const limiter = new RateLimiter({ burst: 1, perSecond: 1, now: () => t });
   * assert.equal(limiter.take("a"), 0);
   * assert.equal(limiter.take("a"), 1);
   * t = 1000;
   * assert.equal(limiter.take("a"), 0);
   * ```
   */
  take(key: string): number {
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#evictFull(now);
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(
      this.#burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.#perSecond,
    );
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.#perSecond);
  }

  #evictFull(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.#perSecond >= this.#burst) {
        this.#buckets.delete(key);
      }
    }
    // still full: forget the oldest (Map keeps insertion order)
    while (this.#buckets.size >= this.#maxKeys) {
      this.#buckets.delete(this.#buckets.keys().next().value!);
    }
  }
}
