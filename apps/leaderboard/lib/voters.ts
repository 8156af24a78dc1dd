/**
 * Runs the simulated voters: every tick, the planner's votes are published.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { newVoteEvent } from "./event.ts";
import { type SimulationConfig, VotePlanner } from "./simulate.ts";
import type { VotePublisher } from "./kafka.ts";

const log = getLogger(["airq", "leaderboard", "sim"]);

/** Counters of the simulation. */
export interface VoterStats {
  sent: number;
  failed: number;
}

/** Publishes simulated votes until `signal` aborts; a failed send is logged and skipped. */
export async function runVoters(
  publisher: VotePublisher,
  config: SimulationConfig,
  signal: AbortSignal,
): Promise<VoterStats> {
  const planner = new VotePlanner(config);
  const stats: VoterStats = { sent: 0, failed: 0 };
  const t0 = performance.now();
  let last = t0;
  let lastBurst: string | null = null;
  log.info("Simulating {rate} votes/s over {n} skins (Zipf s={s}); bursts every {every} s", {
    rate: config.ratePerS,
    n: config.skins.length,
    s: config.zipfExponent,
    every: config.burst.everyS,
  });
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, config.tickMs);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
    if (signal.aborted) break;
    const now = performance.now();
    const planned = planner.next(now - t0, now - last);
    last = now;
    const burst = planner.burstAt(now - t0);
    if (burst !== null && burst !== lastBurst) {
      log.info("Burst: players rally behind {skin}", { skin: burst });
    }
    lastBurst = burst;
    if (planned.length === 0) continue;
    const events = planned.map((p) => newVoteEvent(p.skinId, p.kind, "sim"));
    try {
      await publisher.send(events);
      stats.sent += events.length;
    } catch (error) {
      stats.failed += events.length;
      log.error("Sending {n} simulated votes failed: {error}", {
        n: events.length,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return stats;
}
