/**
 * Reading a JSON file a command wrote with that file's one schema: the error
 * names the file and the command that writes it.
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
