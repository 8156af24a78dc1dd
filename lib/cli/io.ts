/**
 * Small helpers shared by the entry scripts: environment access that tolerates
 * a missing permission, printing to stdout, and turning errors into exit codes.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { Stopped } from "../stop.ts";

const encoder = new TextEncoder();

/** Reads an environment variable; undefined when unset or not permitted. */
export function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return undefined;
    throw error;
  }
}

/** Writes one line to stdout (data for people or pipes; logs go to stderr). */
export function println(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text + "\n"));
}

/** Writes one line to stderr. */
export function eprintln(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text + "\n"));
}

/**
 * Runs an entry script's main function: prints a clear message for a known
 * error (no stack trace for the user), turns a stop signal (`Stopped`, see
 * lib/stop.ts) into its exit code (130 or 143) without an error message, and
 * exits with the code. The explicit exit matters: a kafkajs client whose
 * connection attempt was abandoned on a signal keeps its retry timers, and
 * once `main` has returned nothing else is worth waiting for.
 */
export async function runMain(main: () => Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await main();
  } catch (error) {
    if (error instanceof Stopped) {
      getLogger(["airq"]).info("{signal}: stopped", { signal: error.signal });
      code = error.exitCode;
    } else {
      const message = error instanceof Error ? error.message : String(error);
      getLogger(["airq"]).debug("{stack}", {
        stack: error instanceof Error ? error.stack : String(error),
      });
      eprintln(`error: ${message}`);
      code = 1;
    }
  }
  // a main that returned 0 may still have set Deno.exitCode (a failure found while cleaning up)
  Deno.exit(code !== 0 ? code : Deno.exitCode);
}

/**
 * A positive number of seconds from an option such as `--exit-when-idle`, in
 * milliseconds; undefined when the option is absent.
 *
 * @throws {Error} naming the option when the value is not a positive number.
 */
export function secondsOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = Number(text);
  if (!Number.isFinite(s) || s <= 0) {
    throw new Error(`--${name} must be a positive number of seconds, got "${text}"`);
  }
  return s * 1000;
}

/**
 * The metrics port: `--metrics-port N` when given (0 = any free port), else the
 * config's `metrics.port` (null = no metrics listener).
 *
 * @throws {Error} when the flag is not an integer from 0 to 65535.
 */
export function metricsPortOption(
  text: string | undefined,
  configured: number | null,
): number | null {
  if (text === undefined) return configured;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || text.trim() === "") {
    throw new Error(`--metrics-port must be an integer from 0 to 65535, got "${text}"`);
  }
  return port;
}
