/**
 * The one command-line parser of airq's entry scripts (docs/decisions.md, "One
 * CLI"): node:util `parseArgs` for the tokens, a zod schema per option for the
 * value, and the same conventions in every `deno task`:
 *
 * - `-h`/`--help` prints the help (usage line, description, options with their
 *   defaults) on stdout and exits 0, whatever else is on the line;
 * - a usage error (unknown option, bad value, missing value or command, an
 *   input file that does not exist) prints one line on stderr naming the
 *   option, the value and what is valid, and exits 2, before anything starts;
 * - `--json [PATH]`: without PATH (or with `-`) the JSON goes to stdout, with
 *   PATH into that file;
 * - a path a user gives is relative to the directory the command was run in
 *   (`INIT_CWD` under `deno task`, lib/cli/paths.ts); a default path is
 *   relative to the repository, where `deno task` runs;
 * - `AIRQ_LOG_LEVEL` and `AIRQ_LOG_FORMAT` are checked like options.
 *
 * @module
 */
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { checkLogEnv } from "../log.ts";
import { CliExit, println, runMain, UsageError } from "./io.ts";
import { userPath } from "./paths.ts";
import { permissionMessage } from "./permissions.ts";

export { CliExit, UsageError };

/** Where `--json` sends its JSON: `path` null is stdout. */
export interface JsonTarget {
  readonly path: string | null;
}

/** One option: how it looks in the help and how its raw value becomes `T`. */
export interface Option<T> {
  readonly type: "string" | "boolean";
  readonly help: string;
  /** The value's placeholder in the help, e.g. `N`, `PATH`, `max|realtime|N`. */
  readonly value?: string;
  /** `--json [PATH]`: the value may be left out. */
  readonly optionalValue?: boolean;
  /** The default as shown in the help. */
  readonly shownDefault?: string;
  /** What is valid, for the error line. */
  readonly expected: string;
  /** A path that must exist (an input file or folder). */
  readonly input?: boolean;
  /** The option must be given. */
  readonly required?: boolean;
  /** The raw value (undefined when absent) to `T`; throws a ZodError when invalid. */
  readonly parse: (raw: string | boolean | undefined) => T;
}

type Spec = Record<string, Option<unknown>>;

/** The parsed arguments: one field per option, and `command` when the task has commands. */
export type Args<O extends Spec, C extends string = never> =
  & { [K in keyof O]: O[K] extends Option<infer T> ? T : never }
  & ([C] extends [never] ? unknown : { command: C });

/** The parsed arguments of a `Command`: `ArgsOf<typeof CLI>`. */
export type ArgsOf<X> = X extends Command<infer O, infer C> ? Args<O, C> : never;

interface Common {
  /** Placeholder of the value in the help. */
  value?: string;
}

/** A string option read through `schema` (a zod schema from string to `T`). */
function valued<T>(
  help: string,
  schema: z.ZodType<T, string>,
  expected: string,
  value: string,
  fallback: { raw?: string; shown?: string } = {},
): Option<T | undefined> {
  const shownDefault = fallback.shown ?? fallback.raw;
  return {
    type: "string",
    help,
    value,
    expected,
    ...(shownDefault === undefined ? {} : { shownDefault }),
    parse: (raw) => {
      const text = typeof raw === "string" ? raw : fallback.raw;
      return text === undefined ? undefined : schema.parse(text);
    },
  };
}

const integer = z.string().trim().regex(/^[+-]?\d+$/, "not a whole number").transform(Number);
const decimal = z.string().trim().min(1).transform(Number).pipe(z.number().finite());

function range(min: number | undefined, max: number | undefined, above?: number): string {
  if (above !== undefined) return max === undefined ? `> ${above}` : `> ${above} and <= ${max}`;
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}`;
  if (min !== undefined) return `>= ${min}`;
  if (max !== undefined) return `<= ${max}`;
  return "";
}

/** A default (`D` not undefined) makes the value always present. */
type WithDefault<T, D> = D extends undefined ? T | undefined : T;

/** `option`, which must now be given (checked with the other usage errors). */
export function required<T>(option: Option<T | undefined>): Option<T> {
  return { ...option, required: true } as Option<T>;
}

/** The option builders. Each returns an `Option`; `defineCommand` puts them together. */
export const opt = {
  /** A switch; false when absent. */
  flag(help: string): Option<boolean> {
    return { type: "boolean", help, expected: "no value", parse: (raw) => raw === true };
  },

  /** Any non-empty text. */
  string<D extends string | undefined = undefined>(
    help: string,
    o: Common & { default?: D; expected?: string } = {},
  ): Option<WithDefault<string, D>> {
    const schema = z.string().min(1, "empty");
    return valued(help, schema, o.expected ?? "a non-empty value", o.value ?? "TEXT", {
      ...(o.default === undefined ? {} : { raw: o.default }),
    }) as Option<WithDefault<string, D>>;
  },

  /** One of `choices`. */
  choice<const V extends string, D extends V | undefined = undefined>(
    help: string,
    choices: readonly V[],
    o: { default?: D } = {},
  ): Option<WithDefault<V, D>> {
    const schema = z.enum(choices as [V, ...V[]]) as unknown as z.ZodType<V, string>;
    return valued(help, schema, `one of ${choices.join(", ")}`, choices.join("|"), {
      ...(o.default === undefined ? {} : { raw: o.default }),
    }) as Option<WithDefault<V, D>>;
  },

  /** A whole number, optionally bounded. */
  int<D extends number | undefined = undefined>(
    help: string,
    o: Common & { min?: number; max?: number; default?: D } = {},
  ): Option<WithDefault<number, D>> {
    let n = z.number().int();
    if (o.min !== undefined) n = n.min(o.min);
    if (o.max !== undefined) n = n.max(o.max);
    const expected = `a whole number ${range(o.min, o.max)}`.trim();
    return valued(help, integer.pipe(n), expected, o.value ?? "N", {
      ...(o.default === undefined ? {} : { raw: String(o.default) }),
    }) as Option<WithDefault<number, D>>;
  },

  /** A number, optionally bounded (`above`: strictly greater than). */
  number<D extends number | undefined = undefined>(
    help: string,
    o: Common & { min?: number; max?: number; above?: number; default?: D } = {},
  ): Option<WithDefault<number, D>> {
    let n = z.number();
    if (o.min !== undefined) n = n.min(o.min);
    if (o.above !== undefined) n = n.gt(o.above);
    if (o.max !== undefined) n = n.max(o.max);
    const expected = `a number ${range(o.min, o.max, o.above)}`.trim();
    return valued(help, decimal.pipe(n), expected, o.value ?? "N", {
      ...(o.default === undefined ? {} : { raw: String(o.default) }),
    }) as Option<WithDefault<number, D>>;
  },

  /**
   * A path the user gives, resolved against the directory the command was run
   * in. `input: true`: it must exist (checked before the command starts). A
   * default is shown but not resolved: it is the command's own (repository) path.
   */
  path(
    help: string,
    o: Common & { input?: boolean; default?: string } = {},
  ): Option<string | undefined> {
    const option = valued(help, z.string().min(1, "empty"), "a path", o.value ?? "PATH", {
      ...(o.default === undefined ? {} : { shown: o.default }),
    });
    return {
      ...option,
      ...(o.input ? { input: true } : {}),
      parse: (raw) => typeof raw === "string" ? userPath(z.string().min(1).parse(raw)) : undefined,
    };
  },

  /** A value checked by `check` (it throws on invalid input), kept as text. */
  custom<D extends string | undefined = undefined>(
    help: string,
    o: { value: string; expected: string; check: (text: string) => unknown; default?: D },
  ): Option<WithDefault<string, D>> {
    const schema = z.string().superRefine((text, ctx) => {
      try {
        o.check(text);
      } catch (error) {
        ctx.addIssue({
          code: "custom",
          message: error instanceof Error ? error.message : String(error),
        });
      }
    });
    return valued(help, schema, o.expected, o.value, {
      ...(o.default === undefined ? {} : { raw: o.default }),
    }) as Option<WithDefault<string, D>>;
  },

  /** `--json [PATH]`: the JSON on stdout, or with PATH (not `-`) in that file. */
  json(help = "print the result as JSON; with PATH, write it to that file"): Option<
    JsonTarget | undefined
  > {
    return {
      type: "string",
      help,
      value: "PATH",
      optionalValue: true,
      expected: "a path, or nothing (stdout)",
      parse: (raw) =>
        typeof raw !== "string" ? undefined : { path: raw === "-" ? null : userPath(raw) },
    };
  },
};

/** What a command is: its task, description, commands (first positional) and options. */
export interface CommandSpec<O extends Spec, C extends string> {
  /** The `deno task` name. */
  task: string;
  /** One or two sentences: what the command does. */
  description: string;
  /** Sub-commands (the first positional argument) with their help. */
  commands?: Record<C, string>;
  options: O;
  /** Text after the options (environment variables, examples). */
  notes?: string;
}

/** A command line definition: `parse` and `help`. */
export class Command<O extends Spec, C extends string = never> {
  constructor(readonly spec: CommandSpec<O, C>) {}

  /** The help text: usage line, description, commands, options with defaults, notes. */
  help(): string {
    const { task, description, commands, options, notes } = this.spec;
    const names = commands === undefined ? [] : Object.keys(commands);
    const usage = `Usage: deno task ${task}${names.length ? ` ${names.join("|")}` : ""} [options]`;
    const rows: [string, string][] = Object.entries(options).map(([name, o]) => {
      const value = o.value === undefined ? "" : o.optionalValue ? ` [${o.value}]` : ` ${o.value}`;
      const shown = o.required
        ? " (required)"
        : o.shownDefault === undefined
        ? ""
        : ` (default: ${o.shownDefault})`;
      return [`--${name}${value}`, o.help + shown];
    });
    rows.push(["-h, --help", "show this help and exit"]);
    const width = Math.min(28, Math.max(...rows.map(([left]) => left.length)) + 2);
    const indent = " ".repeat(width + 2);
    const line = ([left, right]: [string, string]) => {
      const text = wrap(right, HELP_WIDTH - width - 2).join(`\n${indent}`);
      return left.length + 2 > width
        ? `  ${left}\n${indent}${text}`
        : `  ${left.padEnd(width)}${text}`;
    };
    const parts = [usage, "", ...wrap(description, HELP_WIDTH), ""];
    if (commands !== undefined) {
      parts.push("Commands:");
      for (const [name, text] of Object.entries(commands) as [string, string][]) {
        parts.push(line([name, text]));
      }
      parts.push("");
    }
    parts.push("Options:", ...rows.map(line));
    if (notes !== undefined) parts.push("", ...wrap(notes, HELP_WIDTH));
    return parts.join("\n");
  }

  /**
   * Parses `argv` and checks every value and input path.
   *
   * @throws {CliExit} code 0 with the help for `-h`/`--help`; `UsageError` (code 2) otherwise.
   */
  parse(argv: readonly string[]): Args<O, C> {
    const end = argv.indexOf("--");
    const head = end < 0 ? argv : argv.slice(0, end);
    if (head.includes("--help") || head.includes("-h")) throw new CliExit(0, this.help());
    const { options, commands } = this.spec;
    const names = commands === undefined ? [] : Object.keys(commands);
    const values = this.tokens(this.optionalValues(argv, names), names);
    const result: Record<string, unknown> = {};
    for (const [name, option] of Object.entries(options)) {
      const raw = values.values[name];
      if (option.required && raw === undefined) {
        throw new UsageError(`--${name} is required: expected ${option.expected}`);
      }
      try {
        result[name] = option.parse(raw);
      } catch (error) {
        if (!(error instanceof z.ZodError)) throw error;
        throw new UsageError(
          `--${name} ${JSON.stringify(raw ?? "")} is not valid: expected ${option.expected}`,
        );
      }
      if (option.input && typeof result[name] === "string") {
        checkInput(`--${name}`, result[name] as string, this.spec.task);
      }
    }
    if (commands !== undefined) {
      const [command, ...rest] = values.positionals;
      if (command === undefined) {
        throw new UsageError(`missing command: expected one of ${names.join(", ")}`);
      }
      if (!names.includes(command)) {
        throw new UsageError(
          `unknown command ${JSON.stringify(command)}: expected one of ${names.join(", ")}`,
        );
      }
      if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
      result["command"] = command;
    }
    return result as Args<O, C>;
  }

  /** `--json` with no value (end, next is an option, or next is a command) becomes `--json=-`. */
  private optionalValues(argv: readonly string[], commands: string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === "--") {
        out.push(...argv.slice(i));
        break;
      }
      const option = arg.startsWith("--") ? this.spec.options[arg.slice(2)] : undefined;
      const next = argv[i + 1];
      if (
        option?.optionalValue &&
        (next === undefined || (next.startsWith("-") && next !== "-") || commands.includes(next))
      ) {
        out.push(`${arg}=-`);
      } else out.push(arg);
    }
    return out;
  }

  private tokens(
    args: string[],
    commands: string[],
  ): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
    const known = Object.keys(this.spec.options);
    try {
      return parseArgs({
        args,
        strict: true,
        allowPositionals: commands.length > 0,
        options: Object.fromEntries(
          Object.entries(this.spec.options).map(([name, o]) => [name, { type: o.type }]),
        ),
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      const message = error instanceof Error ? error.message : String(error);
      const quoted = /'([^']+)'/.exec(message)?.[1] ?? "";
      const name = quoted.split(" ")[0] ?? quoted;
      if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
        throw new UsageError(
          `unknown option ${name}: valid options are ${
            known.map((k) => `--${k}`).concat("--help").join(", ")
          }`,
        );
      }
      if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
        const option = this.spec.options[name.replace(/^-+/, "")];
        throw new UsageError(
          option?.type === "boolean"
            ? `${name} takes no value`
            : `${name} needs a value: expected ${option?.expected ?? "a value"} ` +
              `(write ${name}=VALUE for a value starting with "-")`,
        );
      }
      if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
        throw new UsageError(`unexpected argument ${JSON.stringify(quoted)}: this task takes none`);
      }
      throw error;
    }
  }
}

const HELP_WIDTH = 100;

/** `text` in lines of at most `width` characters (longer words stay whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let current = "";
    for (const word of paragraph.split(" ")) {
      if (current !== "" && current.length + 1 + word.length > width) {
        lines.push(current);
        current = word;
      } else current = current === "" ? word : `${current} ${word}`;
    }
    lines.push(current);
  }
  return lines;
}

/** A command line definition; see the module doc for the conventions. */
export function defineCommand<O extends Spec, C extends string = never>(
  spec: CommandSpec<O, C>,
): Command<O, C> {
  return new Command(spec);
}

function checkInput(flag: string, path: string, task: string): void {
  try {
    statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || (error as { code?: string }).code === "ENOENT") {
      throw new UsageError(`${flag} ${path}: no such file or folder`);
    }
    const permission = permissionMessage(error, task, "this task");
    if (permission !== null) throw new UsageError(`${flag} ${path}: ${permission}`);
    throw error;
  }
}

/**
 * Checks the logging environment (`AIRQ_LOG_LEVEL`, `AIRQ_LOG_FORMAT`) like an option.
 *
 * @throws {UsageError} naming the variable, its value and the valid ones.
 */
export function checkEnvironment(): void {
  const problem = checkLogEnv();
  if (problem !== null) throw new UsageError(problem);
}

/**
 * Writes `value` as JSON where `--json` said: stdout (one line), or a file
 * (indented, newline-ended; its folder is created).
 */
export async function writeJson(target: JsonTarget, value: unknown): Promise<void> {
  if (target.path === null) {
    println(JSON.stringify(value));
    return;
  }
  await Deno.mkdir(dirname(target.path), { recursive: true });
  await Deno.writeTextFile(target.path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * The entry point of every script: parses `argv` with `command` (help: exit 0;
 * usage error: one line, exit 2, before anything starts), checks the logging
 * environment, then runs `main` through `runMain` (exit codes, permission
 * failures in a `deno task` user's words).
 */
export async function runCommand<O extends Spec, C extends string>(
  command: Command<O, C>,
  main: (args: Args<O, C>) => Promise<number>,
  argv: readonly string[] = Deno.args,
): Promise<void> {
  await runMain(async () => {
    const args = command.parse(argv);
    checkEnvironment();
    return await main(args);
  }, command.spec.task);
}
