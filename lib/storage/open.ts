/**
 * One way for entry scripts to open "the" store: a `postgres://` or
 * `postgresql://` URL opens the PostgreSQL store, anything else is a SQLite
 * file path.
 *
 * @module
 */
import type { ReadingStore } from "./contract.ts";
import { openPostgresStore, redactUrl } from "./postgres.ts";
import { openSqliteStore } from "./sqlite.ts";

/** Options of {@linkcode openStore}; each applies to one kind of store only. */
export interface OpenStoreOptions {
  /** SQLite only: `NORMAL` (default) or `FULL` (see `openSqliteStore`). */
  synchronous?: "NORMAL" | "FULL";
}

/** Is `target` a PostgreSQL URL (`postgres://…` or `postgresql://…`) rather than a file path? */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/**
 * For commands that only read a store: throws a clear error when `target` is
 * a SQLite file that does not exist (opening it would create an empty one).
 */
export async function requireExistingStore(target: string, howToMakeIt: string): Promise<void> {
  if (isPostgresUrl(target)) return;
  try {
    await Deno.stat(target);
  } catch (error) {
    // a path the task may not read is not "no database": that error says what is wrong
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(`No database at ${storeLabel(target)}: ${howToMakeIt}`);
  }
}

/** `target` as it may be shown in logs and messages: a URL without its password. */
export function storeLabel(target: string): string {
  return isPostgresUrl(target) ? redactUrl(target) : target;
}

/**
 * Opens the PostgreSQL store when `target` is a PostgreSQL URL, else the
 * SQLite store at the file path `target` (resolve relative paths first).
 */
export function openStore(target: string, options: OpenStoreOptions = {}): Promise<ReadingStore> {
  if (isPostgresUrl(target)) return openPostgresStore(target);
  return options.synchronous === undefined
    ? openSqliteStore(target)
    : openSqliteStore(target, { synchronous: options.synchronous });
}
