/**
 * What a cluster drill (lib/harness/cluster_drills.ts) measures on the raw
 * topic while it runs: both groups' committed offsets sampled every 250 ms,
 * the wait for the fault's moment and for the groups to catch up, and from
 * the samples the recovery time after each fault.
 *
 * @module
 */
import { type Kafka, withAdmin } from "../kafka/mod.ts";
import { sleep } from "../timing.ts";
import { DRILL_GROUPS, type StoppedProcess } from "./drill_children.ts";

/** Both groups' committed offsets (summed over the raw topic's partitions) at one moment. */
export interface Sample {
  t: number;
  consumer: number;
  forecaster: number;
  /** The raw topic's end offsets, summed. */
  end: number;
}

/** A group counts as flowing again once it commits twice within this long. */
const STEADY_MS = 5000;

/**
 * Seconds from a fault at `tf` until `group` made progress again and kept
 * making it: the first commit after the fault that is followed by another
 * within STEADY_MS, or that caught up with the topic's end. (A commit in
 * flight at the moment of the fault, followed by a long stall, does not count.)
 * Infinity when the group never recovered in the samples.
 */
export function recoveryAfter(
  samples: readonly Sample[],
  tf: number,
  group: "consumer" | "forecaster",
): number {
  const after = samples.filter((s) => s.t >= tf);
  const before = samples.filter((s) => s.t < tf).at(-1);
  let last = before?.[group] ?? after[0]?.[group] ?? 0;
  const advances: Sample[] = [];
  for (const s of after) {
    if (s[group] > last) advances.push(s);
    last = Math.max(last, s[group]);
  }
  for (let i = 0; i < advances.length; i++) {
    const a = advances[i]!;
    const next = advances[i + 1];
    if (a[group] >= a.end || (next !== undefined && next.t - a.t <= STEADY_MS)) {
      return Math.round((a.t - tf) / 100) / 10;
    }
  }
  // nothing left to do at the fault and nothing came after: no interruption to recover from
  if (advances.length === 0 && before !== undefined && before[group] >= before.end) return 0;
  return Infinity;
}

/**
 * The drill's recovery: the slower group's recovery after the worst of the
 * faults at `faultTimes` (0 without faults). Sorts `samples` by time.
 */
export function drillRecovery(samples: Sample[], faultTimes: readonly number[]): number {
  samples.sort((a, b) => a.t - b.t);
  const recoveries = faultTimes.map((tf) =>
    Math.max(recoveryAfter(samples, tf, "consumer"), recoveryAfter(samples, tf, "forecaster"))
  );
  return recoveries.length === 0 ? 0 : Math.max(...recoveries);
}

/**
 * The longest stretch, in seconds, without a successful sample after the first
 * of `faultTimes` (0 without faults or samples): while the sampler's admin
 * calls fail (a stopped broker leads partitions or coordinates a group) it is
 * blind, so a recovery that ends such a stretch is an upper bound. Expects
 * `samples` sorted by time.
 */
export function longestBlindStretch(
  samples: readonly Sample[],
  faultTimes: readonly number[],
): number {
  if (faultTimes.length === 0 || samples.length === 0) return 0;
  const tf = Math.min(...faultTimes);
  let longest = 0;
  let from = tf;
  for (const s of samples) {
    if (s.t < tf) continue;
    longest = Math.max(longest, s.t - from);
    from = s.t;
  }
  return Math.round(longest / 100) / 10;
}

/** A group's committed offsets on a topic and the topic's end offsets, each summed. */
interface Offsets {
  committed: number;
  end: number;
}

/** Sum of the committed offsets of `groupId` on `topic`, and of the topic's end offsets. */
async function offsets(kafka: Kafka, groupId: string, topic: string): Promise<Offsets> {
  return await withAdmin(kafka, async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ??
      [];
    return {
      committed: committed.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0),
      end: ends.reduce((s, e) => s + Number(e.high), 0),
    };
  });
}

/** Both groups' uncommitted raw-topic records (null when the cluster did not answer). */
export async function groupLags(
  kafka: Kafka,
  raw: string,
): Promise<Record<StoppedProcess, number | null>> {
  const lag = async (group: string) => {
    const x = await offsets(kafka, group, raw).catch(() => null);
    return x === null ? null : Math.max(0, x.end - x.committed);
  };
  return {
    consumer: await lag(DRILL_GROUPS.consumer),
    forecaster: await lag(DRILL_GROUPS.forecaster),
  };
}

/**
 * Both groups' offsets now, pushed to `samples` when the cluster answered for
 * both; null for a group it did not answer for.
 */
async function sampleInto(
  kafka: Kafka,
  raw: string,
  samples: Sample[],
): Promise<{ c: Offsets | null; f: Offsets | null }> {
  const t = performance.now();
  const c = await offsets(kafka, DRILL_GROUPS.consumer, raw).catch(() => null);
  const f = await offsets(kafka, DRILL_GROUPS.forecaster, raw).catch(() => null);
  if (c && f) samples.push({ t, consumer: c.committed, forecaster: f.committed, end: c.end });
  return { c, f };
}

/** A running sampler: its samples so far, and `stop` (resolves once its last round is done). */
export interface Sampler {
  samples: Sample[];
  stop(): Promise<void>;
}

/** Every 250 ms: both groups' committed offsets on the raw topic, for the recovery times. */
export function startSampler(kafka: Kafka, raw: string): Sampler {
  const samples: Sample[] = [];
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      await sampleInto(kafka, raw, samples);
      await sleep(250);
    }
  })();
  return {
    samples,
    async stop() {
      sampling = false;
      await loop;
    },
  };
}

/**
 * Waits until the raw topic holds `count` records; throws once `t0`
 * (performance.now() of the drill's start) is 300 s ago.
 */
export async function waitForRawRecords(
  kafka: Kafka,
  raw: string,
  count: number,
  t0: number,
): Promise<void> {
  for (;;) {
    const end = await offsets(kafka, DRILL_GROUPS.consumer, raw).then((x) => x.end).catch(() => 0);
    if (end >= count) return;
    if (performance.now() - t0 > 300_000) throw new Error("the replay never reached the fault");
    await sleep(100);
  }
}

/**
 * Waits until both groups have committed everything in the raw topic, adding
 * an observation to `samples` at each look: the sampler may have had none
 * since the groups caught up (its admin calls fail while a dead node is still
 * in the metadata), and without it a drill that recovered in 15 s read as
 * never recovered. Returns the problem when `catchUpMs` ran out, else null.
 */
export async function waitForCatchUp(
  kafka: Kafka,
  raw: string,
  catchUpMs: number,
  samples: Sample[],
): Promise<string | null> {
  const deadline = performance.now() + catchUpMs;
  for (;;) {
    const { c, f } = await sampleInto(kafka, raw, samples);
    if (c && f && c.committed >= c.end && f.committed >= f.end) return null;
    if (performance.now() > deadline) {
      return `not caught up after the replay: consumer ${c?.committed}/${c?.end}, ` +
        `forecaster ${f?.committed}/${f?.end}`;
    }
    await sleep(500);
  }
}
