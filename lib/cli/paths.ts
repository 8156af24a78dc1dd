/**
 * Paths given on the command line are relative to the directory the user ran
 * the command in. `deno task` runs scripts from the repository root and passes
 * the original directory in `INIT_CWD`.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { isPostgresUrl } from "../storage/mod.ts";
import { env } from "./io.ts";

/** Resolves a user-given path against `INIT_CWD` (deno task) or the current directory. */
export function userPath(path: string): string {
  if (isAbsolute(path)) return path;
  return resolve(env("INIT_CWD") || Deno.cwd(), path);
}

/** An environment variable holding a path (e.g. `AIRQ_DATASET`), resolved like `userPath`. */
export function envPath(name: string): string | undefined {
  const value = env(name);
  return value ? userPath(value) : undefined;
}

/**
 * The store a command works on: `--db` if given, else `AIRQ_DB`, else the
 * config's default; a PostgreSQL URL as it is, a SQLite path resolved against
 * the directory the user ran the task in (`userPath`).
 */
export function storeTarget(db: string | undefined, configDefault: string): string {
  const target = db ?? env("AIRQ_DB") ?? configDefault;
  return isPostgresUrl(target) ? target : userPath(target);
}
