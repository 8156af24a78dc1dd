/**
 * Small helpers shared by the entry scripts: environment access that tolerates
 * a missing permission, printing to stdout, and turning errors into exit codes.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { Stopped } from "../stop.ts";
import { permissionMessage } from "./permissions.ts";

const encoder = new TextEncoder();

/** Ends a command before its work starts: help (exit 0) or a usage error (exit 2). */
export class CliExit extends Error {
  /** `text` goes to stdout when `code` is 0, else to stderr. */
  constructor(readonly code: number, readonly text: string) {
    super(text);
    this.name = "CliExit";
  }
}

/** A usage error: one line naming the option, the value and what is valid; exit 2. */
export class UsageError extends CliExit {
  constructor(message: string) {
    super(2, message);
    this.name = "UsageError";
  }
}

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
 * lib/stop.ts) into its exit code (130 or 143) without an error message, a
 * `CliExit` (help, usage error) into its text and code, a permission failure
 * into what a `deno task` user can do (lib/cli/permissions.ts), and exits
 * with the code. The explicit exit matters: a kafkajs client whose
 * connection attempt was abandoned on a signal keeps its retry timers, and
 * once `main` has returned nothing else is worth waiting for.
 */
export async function runMain(main: () => Promise<number>, task?: string): Promise<void> {
  let code: number;
  try {
    code = await main();
  } catch (error) {
    if (error instanceof Stopped) {
      getLogger(["airq"]).info("{signal}: stopped", { signal: error.signal });
      code = error.exitCode;
    } else if (error instanceof CliExit) {
      if (error.code === 0) println(error.text);
      else eprintln(task === undefined ? error.text : `deno task ${task}: ${error.text}`);
      code = error.code;
    } else {
      const message = permissionMessage(error, task) ??
        (error instanceof Error ? error.message : String(error));
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
