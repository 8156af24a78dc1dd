/**
 * Simulated players (pure: time and randomness are injected). Votes arrive at
 * a configured rate; which skin gets a vote follows a Zipf law over a seeded
 * shuffle of the skins, so a few are popular and most are not; every so often
 * a burst multiplies the rate and sends most of its upvotes to one skin chosen
 * at random (usually an unpopular one), which is what makes rows climb.
 *
 * @module
 */
import { mulberry32 } from "../../../lib/random.ts";
import type { LeaderboardConfig } from "./leaderboard_config.ts";
import type { VoteKind } from "./event.ts";

/** The simulation settings from `config/leaderboard.json`. */
export type SimulationConfig = LeaderboardConfig["simulation"];

/** One planned vote. */
export interface PlannedVote {
  skinId: string;
  kind: VoteKind;
}

/**
 * A sampler of indices 0..n-1 with P(k) proportional to 1 / (k+1)^s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const sample = zipfSampler(3, 0);
 * assert.equal(sample(0), 0);
 * assert.equal(sample(0.99), 2);
 * ```
 */
export function zipfSampler(n: number, s: number): (u: number) => number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  const cumulative: number[] = [];
  let total = 0;
  for (let k = 1; k <= n; k++) {
    total += 1 / k ** s;
    cumulative.push(total);
  }
  return (u: number) => {
    const target = u * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

/** Plans simulated votes tick by tick. */
export class VotePlanner {
  readonly #config: SimulationConfig;
  readonly #random: () => number;
  readonly #order: string[];
  readonly #zipf: (u: number) => number;
  #carry = 0;
  #burstSkin: string | null = null;
  #burstIndex = -1;

  constructor(config: SimulationConfig, random: () => number = mulberry32(config.seed)) {
    this.#config = config;
    this.#random = random;
    // popularity order: a seeded shuffle, so the favourite is not always the first skin listed
    this.#order = [...config.skins];
    for (let i = this.#order.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1));
      [this.#order[i], this.#order[j]] = [this.#order[j]!, this.#order[i]!];
    }
    this.#zipf = zipfSampler(this.#order.length, config.zipfExponent);
  }

  /** The skin a burst at `elapsedMs` promotes, or null outside bursts. */
  burstAt(elapsedMs: number): string | null {
    const { everyS, durationS } = this.#config.burst;
    if (everyS <= 0 || durationS <= 0) return null;
    const index = Math.floor(elapsedMs / (everyS * 1000));
    const into = elapsedMs - index * everyS * 1000;
    // the first period has no burst: the board settles into its Zipf order first
    if (index === 0 || into >= durationS * 1000) return null;
    if (index !== this.#burstIndex) {
      this.#burstIndex = index;
      this.#burstSkin = this.#config.skins[Math.floor(this.#random() * this.#config.skins.length)]!;
    }
    return this.#burstSkin;
  }

  /** The votes due in the `dtMs` that end at `elapsedMs` since the start. */
  next(elapsedMs: number, dtMs: number): PlannedVote[] {
    const burst = this.burstAt(elapsedMs);
    const rate = this.#config.ratePerS * (burst === null ? 1 : this.#config.burst.factor);
    this.#carry += (rate * dtMs) / 1000;
    const n = Math.floor(this.#carry);
    this.#carry -= n;
    const votes: PlannedVote[] = [];
    for (let i = 0; i < n; i++) {
      if (burst !== null && this.#random() < this.#config.burst.focus) {
        votes.push({ skinId: burst, kind: "up" });
      } else {
        votes.push({ skinId: this.#order[this.#zipf(this.#random())]!, kind: this.#kind() });
      }
    }
    return votes;
  }

  #kind(): VoteKind {
    const { up, down, favorite } = this.#config.kinds;
    const u = this.#random() * (up + down + favorite);
    return u < up ? "up" : u < up + down ? "down" : "favorite";
  }
}
