/**
 * Permission failures in words a `deno task` user can act on. Deno's own
 * message ("run again with the --allow-read flag") asks for a flag the user of
 * a task cannot pass; this says what the task may touch (its flags in
 * deno.json) and what to do instead.
 *
 * @module
 */
import { readFileSync } from "node:fs";

const DENO_JSON = new URL("../../deno.json", import.meta.url);

const VERBS: Record<string, string> = {
  read: "read",
  write: "write",
  env: "read the environment variable",
  net: "connect to",
  run: "run",
  sys: "read system information",
  ffi: "load native code",
  import: "import",
};

/** The values of `--allow-KIND=...` in `task`'s command in deno.json; null when unknown, [] for all. */
export function allowedBy(task: string, kind: string): string[] | null {
  let command: string;
  try {
    const tasks = JSON.parse(readFileSync(DENO_JSON, "utf8")).tasks ?? {};
    const entry = tasks[task];
    command = typeof entry === "string" ? entry : entry?.command;
    if (typeof command !== "string") return null;
  } catch {
    return null; // deno.json not readable with this task's permissions
  }
  for (const arg of command.split(/\s+/)) {
    if (arg === `--allow-${kind}`) return [];
    if (arg.startsWith(`--allow-${kind}=`)) {
      return arg.slice(`--allow-${kind}=`.length).split(",").filter((s) => s !== "");
    }
  }
  return null;
}

/**
 * One line for a permission error (Deno.errors.NotCapable or PermissionDenied
 * raised by a missing `--allow-*` flag); null for any other error.
 */
export function permissionMessage(
  error: unknown,
  task: string | undefined,
  who?: string,
): string | null {
  if (!(error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied)) {
    return null;
  }
  const match = /Requires (\w+) access to "?([^",]*)"?/.exec(error.message);
  if (match === null) return null; // a file system refusal, not a missing Deno flag
  const [, kind = "", what = ""] = match;
  const verb = VERBS[kind] ?? `use (${kind})`;
  const name = who ?? (task === undefined ? "this command" : `\`deno task ${task}\``);
  const allowed = task === undefined ? null : allowedBy(task, kind);
  const where = allowed === null
    ? `see its --allow-${kind} in deno.json`
    : allowed.length === 0
    ? `its --allow-${kind} in deno.json`
    : `it may ${verb} only ${kind === "read" || kind === "write" ? "under " : ""}${
      allowed.join(", ")
    }`;
  const fix = kind === "read" || kind === "write"
    ? "put the file under one of those folders (a relative path is taken from where you run the command)"
    : kind === "env"
    ? "leave the variable unset, or use a setting the task reads (AIRQ_*)"
    : "use what the task is allowed, or run the script with `deno run` and your own flags";
  return `${name} may not ${verb} ${what} (${where}); ${fix}`;
}
