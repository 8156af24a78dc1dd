/**
 * Event-time pacing: maps simulated time to wall-clock time at a speed factor
 * (1 = real time, 3600 = one hour of data per second, "max" = no waiting).
 *
 * @module
 */

/** Replay speed: a factor, or as fast as possible. */
export type Speed = number | "max";

/** Parses `--speed`: `max`, `realtime` (= 1) or a positive factor. */
export function parseSpeed(text: string): Speed {
  if (text === "max") return "max";
  if (text === "realtime") return 1;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    throw new RangeError(
      `--speed must be "max", "realtime" or a positive number (3600 = one hour of data per second), got "${text}"`,
    );
  }
  return n;
}

/** Waits until the wall clock reaches the time that corresponds to an event. */
export class Pacer {
  readonly #speed: Speed;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #anchor: { event: number; wall: number } | null = null;

  /** `now` and `sleep` are injected so tests can use a fake clock. */
  constructor(speed: Speed, now: () => number, sleep: (ms: number) => Promise<void>) {
    this.#speed = speed;
    this.#now = now;
    this.#sleep = sleep;
  }

  /** Milliseconds to wait before sending an event at `eventMs` (0 when late or at max speed). */
  delayFor(eventMs: number, extraMs = 0): number {
    if (this.#speed === "max") return 0;
    const now = this.#now();
    this.#anchor ??= { event: eventMs, wall: now };
    const due = this.#anchor.wall + (eventMs - this.#anchor.event) / this.#speed + extraMs;
    return Math.max(0, due - now);
  }

  /**
   * The wait for an event's send time, or undefined when none is needed (late,
   * or at max speed): the replay then goes on without a turn of the event loop.
   */
  wait(eventMs: number, extraMs = 0): Promise<void> | undefined {
    const ms = this.delayFor(eventMs, extraMs);
    return ms > 0 ? this.#sleep(ms) : undefined;
  }
}

/**
 * Parses `--from`/`--to`: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` in the station's
 * local time (fixed `utcOffset`), or a full ISO timestamp with its own offset.
 * Returns epoch milliseconds.
 */
export function parseLocalTime(text: string, utcOffset: string): number {
  const m = text.match(
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:\d{2})?$/,
  );
  if (!m) {
    throw new RangeError(
      `"${text}" is not a time; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM in station time, e.g. 2004-06-01T08:00`,
    );
  }
  const offset = m[7] ?? utcOffset;
  const sign = offset === "Z" ? 0 : offset.startsWith("-") ? -1 : 1;
  const offsetMin = sign * (Number(offset.slice(1, 3) || 0) * 60 + Number(offset.slice(4, 6) || 0));
  const ms = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
  );
  const check = new Date(ms);
  if (check.getUTCDate() !== Number(m[3]) || check.getUTCMonth() !== Number(m[2]) - 1) {
    throw new RangeError(`"${text}" is not a calendar date`);
  }
  return ms - offsetMin * 60_000;
}
