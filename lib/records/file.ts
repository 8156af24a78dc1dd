/**
 * Reading a JSON file a command wrote (or the summary line it printed) with
 * its one schema: the error names the file and the command that writes it.
 *
 * @module
 */
import { z } from "zod";

/**
 * `json` (parsed from `path`) as `schema` says.
 *
 * @throws {TypeError} naming `path` and `writer` (e.g. `deno task evaluate --json PATH`) when it does not match.
 */
export function parseFileAs<S extends z.ZodType>(
  schema: S,
  json: unknown,
  path: string,
  writer: string,
): z.output<S> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new TypeError(
      `"${path}" is not what \`${writer}\` writes: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

/**
 * The last line of a task's stdout (its `--json` summary) as `schema` says.
 *
 * @throws {SyntaxError} when that line is not JSON.
 * @throws {TypeError} naming `writer` when it does not match.
 */
export function parseLastLine<S extends z.ZodType>(
  schema: S,
  stdout: string | Uint8Array,
  writer: string,
): z.output<S> {
  const text = typeof stdout === "string" ? stdout : new TextDecoder().decode(stdout);
  const line = text.trim().split("\n").at(-1) ?? "";
  return parseFileAs(schema, JSON.parse(line), "the last line of its output", writer);
}
