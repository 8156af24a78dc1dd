/**
 * Stop signals for entry scripts: the first SIGINT or SIGTERM aborts one
 * `AbortSignal` that the whole command watches, and a bounded grace period
 * makes sure the process is gone soon after, connected to Kafka or not.
 *
 * Why the listeners are never removed: Deno restores a signal's default
 * action once its last listener is removed (denoland/deno#22757). A stop
 * signal often arrives twice: a terminal's Ctrl-C and a service manager's
 * SIGTERM go to the whole process group, and `deno task` forwards the one it
 * received to its child as well. Removing the listener in a `finally` let the
 * second copy kill the demo with the default action halfway through its
 * clean-up, before it stopped the broker it had started (issue 14). So a
 * repeated signal is logged and otherwise ignored until the process exits.
 *
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";

const log = getLogger(["airq", "stop"]);
const encoder = new TextEncoder();

/** The stop signals an entry script obeys. */
export type StopSignalName = "SIGINT" | "SIGTERM";

/** The exit code of a process stopped by `signal`: 128 + its number, as a shell reports it. */
export function exitCodeOf(signal: StopSignalName): number {
  return signal === "SIGINT" ? 130 : 143;
}

/**
 * The reason an aborted stop signal carries: thrown by waits that were cut
 * short (`awaitCluster`, an abandoned publish), turned into the signal's exit
 * code by `runMain` without an error message.
 */
export class Stopped extends Error {
  /** The signal that stopped the command. */
  readonly signal: StopSignalName;
  /** 130 for SIGINT, 143 for SIGTERM. */
  readonly exitCode: number;
  constructor(signal: StopSignalName) {
    super(`stopped by ${signal}`);
    this.name = "Stopped";
    this.signal = signal;
    this.exitCode = exitCodeOf(signal);
  }
}

/**
 * How long a command may take to stop after the first signal before the
 * process exits anyway, unless `graceMs` says otherwise (the issue asks for
 * 5 s in all).
 */
export const STOP_GRACE_MS = 4000;

/** Options of `stopOnSignals`. */
export interface StopOnSignalsOptions {
  /**
   * How long the command may take to stop after the first signal before the
   * process exits anyway (default {@linkcode STOP_GRACE_MS}).
   */
  graceMs?: number;
  /** Called once, on the first signal (e.g. to print "shutting down"). */
  onSignal?: (signal: StopSignalName) => void;
}

/** What `stopOnSignals` returns. */
export interface StopSignals {
  /** Aborted on the first SIGINT or SIGTERM; its reason is a `Stopped`. */
  readonly signal: AbortSignal;
  /** The first signal received, null before. */
  readonly received: StopSignalName | null;
  /**
   * Registers a last action for a forced exit, i.e. when the grace period
   * ends before the command has stopped: e.g. SIGKILL a broker the command
   * started, so nothing it started outlives it. Must be quick and must not throw.
   */
  beforeForcedExit(action: () => void | Promise<void>): void;
}

let installed: StopSignals | null = null;

/**
 * Installs SIGINT and SIGTERM listeners for this process (once; a second call
 * returns the same object). The first signal aborts `signal` with a `Stopped`
 * reason and starts the grace timer; when it ends, the registered forced-exit
 * actions run (each given at most 1 s) and the process exits with 130 or 143.
 */
export function stopOnSignals(options: StopOnSignalsOptions = {}): StopSignals {
  if (installed !== null) return installed;
  const graceMs = options.graceMs ?? STOP_GRACE_MS;
  const controller = new AbortController();
  const actions: (() => void | Promise<void>)[] = [];
  let received: StopSignalName | null = null;
  const on = (name: StopSignalName) => () => {
    if (received !== null) {
      log.debug("{signal} again: already stopping", { signal: name });
      return;
    }
    received = name;
    options.onSignal?.(name);
    controller.abort(new Stopped(name));
    const timer = setTimeout(async () => {
      Deno.stderr.writeSync(encoder.encode(
        `${name}: not stopped ${graceMs / 1000} s after the signal; exiting now\n`,
      ));
      for (const action of actions) {
        await Promise.race([
          Promise.resolve().then(action).catch(() => {}),
          new Promise((resolve) => Deno.unrefTimer(setTimeout(resolve, 1000))),
        ]);
      }
      Deno.exit(exitCodeOf(name));
    }, graceMs);
    // the timer must not keep a process alive that has finished stopping
    Deno.unrefTimer(timer);
  };
  Deno.addSignalListener("SIGINT", on("SIGINT"));
  Deno.addSignalListener("SIGTERM", on("SIGTERM"));
  watchParent(on("SIGTERM"));
  installed = {
    signal: controller.signal,
    get received() {
      return received;
    },
    beforeForcedExit: (action) => void actions.push(action),
  };
  return installed;
}

/**
 * The environment variable a parent sets (lib/harness/tasks.ts) to have its
 * child stop as on SIGTERM when the parent is gone.
 */
export const PARENT_PID_ENV = "AIRQ_PARENT_PID";

/** How often a child with {@linkcode PARENT_PID_ENV} looks for its parent. */
const PARENT_CHECK_MS = 500;

/**
 * With `AIRQ_PARENT_PID` set: stops this process as SIGTERM would once its
 * parent is no longer that process (a parent killed with SIGKILL cannot stop
 * its children; they are then re-parented, and `Deno.ppid` changes). A bench,
 * a drill or the demo sets it for the producer, consumer and forecaster it
 * starts, so killing one of them outright does not leave its children
 * retrying a broker that is gone.
 */
function watchParent(stop: () => void): void {
  let wanted: number;
  try {
    wanted = Number(Deno.env.get(PARENT_PID_ENV) ?? "");
    // meant for this process only: a process it starts has another parent
    Deno.env.delete(PARENT_PID_ENV);
  } catch {
    return; // no --allow-env for it: not meant for this process
  }
  if (!Number.isInteger(wanted) || wanted <= 0) return;
  const timer = setInterval(() => {
    if (Deno.ppid === wanted) return;
    clearInterval(timer);
    log.warn("The parent process (pid {pid}) is gone: stopping as on SIGTERM", { pid: wanted });
    stop();
  }, PARENT_CHECK_MS);
  Deno.unrefTimer(timer);
}

/** Resolves when `signal` aborts (at once when it already has). */
export function stopped(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

/**
 * Waits for `promise`, or rejects with the signal's reason as soon as
 * `signal` aborts. The abandoned promise is left to settle on its own (its
 * rejection is swallowed): use it for waits that cannot be cancelled, such as
 * a kafkajs call inside its retries.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * What a start-up function started, stopped in reverse order: `push` each part's stop as the
 * part starts; `run()` stops them all, last first, logging a failure on `logger` and going on,
 * so that one part failing to stop does not leave the others running. Used when a start-up
 * fails halfway and by the started app's own `stop()`.
 */
export class CleanupStack {
  readonly #logger: Logger;
  readonly #stops: (() => unknown)[] = [];

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Registers the stop of a part that has just started. */
  push(stop: () => unknown): void {
    this.#stops.push(stop);
  }

  /** Stops every registered part, last first; each runs once. */
  async run(): Promise<void> {
    for (const stop of this.#stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        this.#logger.warn("Stopping: {error}", {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }
}
