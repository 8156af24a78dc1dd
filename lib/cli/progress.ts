/**
 * Progress of long work counted in steps (train, evaluate): one log line per
 * step, "step k of N: what, elapsed, ETA". Through the logger, so a person at
 * a terminal reads plain lines and a pipe gets JSON lines with `step`,
 * `steps`, `elapsed_s` and `eta_s` fields (lib/log.ts picks the format).
 *
 * @module
 */
import type { Logger } from "../log.ts";

/** Counts steps (of a known total when there is one) and logs each with the time left. */
export class StepProgress {
  #done = 0;
  readonly #started: number;

  /**
   * @param total the number of steps the work will report; null when not known ahead
   * @param log where each step is logged (info)
   * @param clock milliseconds (tests pass their own)
   */
  constructor(
    readonly total: number | null,
    private readonly log: Logger,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.#started = clock();
  }

  /** Steps reported so far. */
  get done(): number {
    return this.#done;
  }

  /** Seconds left at the mean pace so far; null before the first step or past the total. */
  etaSeconds(): number | null {
    if (this.total === null || this.#done === 0 || this.#done > this.total) return null;
    const perStep = (this.clock() - this.#started) / this.#done;
    return Math.round((perStep * (this.total - this.#done)) / 100) / 10;
  }

  /** Reports one finished step. */
  step(what: string): void {
    this.#done++;
    const elapsed = Math.round((this.clock() - this.#started) / 100) / 10;
    const eta = this.etaSeconds();
    this.log.info(
      this.total === null
        ? "step {step}: {what} ({elapsed_s} s)"
        : eta === null
        ? "step {step} of {steps}: {what} ({elapsed_s} s)"
        : "step {step} of {steps}: {what} ({elapsed_s} s, ETA {eta_s} s)",
      { step: this.#done, steps: this.total, what, elapsed_s: elapsed, eta_s: eta },
    );
  }
}
