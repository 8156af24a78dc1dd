/**
 * Paths given on the command line are relative to the directory the user ran
 * the command in. `deno task` runs scripts from the repository root and passes
 * the original directory in `INIT_CWD`.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { env } from "./cli.ts";

/** Resolves a user-given path against `INIT_CWD` (deno task) or the current directory. */
export function userPath(path: string): string {
  if (isAbsolute(path)) return path;
  return resolve(env("INIT_CWD") || Deno.cwd(), path);
}
