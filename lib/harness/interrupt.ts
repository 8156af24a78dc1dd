/**
 * Ctrl-C and SIGTERM for the harness commands (`deno task bench`, `deno task
 * drill`): they start private brokers (in sessions of their own, out of reach
 * of a signal to the command's process group) and child processes (out of
 * reach of a signal to the command alone), and they have nothing to save
 * halfway. Before this, a stopped bench died at once and left its 512 MB
 * broker JVM, its temp folder and its forecaster or producer running.
 *
 * {@linkcode untilStopped} runs a command's work until a stop signal, then
 * kills what it started (its children, its private brokers' JVMs) and removes
 * the brokers' folders, and ends the command with the signal's exit code
 * (130 or 143, through `runMain`); lib/stop.ts's forced exit does the same if
 * the clean-up itself hangs.
 *
 * @module
 */
import { killPrivateBrokers } from "./broker/mod.ts";
import { killChildren } from "./tasks.ts";
import { stopOnSignals, untilAborted } from "../stop.ts";

/** Everything this process started through the harness, gone: children first, then brokers. */
export async function killStarted(): Promise<void> {
  killChildren();
  await killPrivateBrokers();
}

/**
 * Runs `work` to its end, or until the first SIGINT or SIGTERM: then kills
 * what it started ({@linkcode killStarted}) and rejects with the signal's
 * `Stopped` (also when `work` failed because its children were stopped by the
 * same Ctrl-C).
 */
export async function untilStopped<T>(work: () => Promise<T>): Promise<T> {
  const stop = stopOnSignals();
  stop.beforeForcedExit(killStarted);
  try {
    return await untilAborted(work(), stop.signal);
  } catch (error) {
    if (!stop.signal.aborted) throw error;
    await killStarted();
    throw stop.signal.reason;
  }
}
