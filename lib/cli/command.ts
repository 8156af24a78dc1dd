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
import type { JsonTarget, Option } from "./options.ts";
import { userPath } from "./paths.ts";
import { permissionMessage } from "./permissions.ts";

export { CliExit, UsageError };
export { type JsonTarget, opt, type Option, required } from "./options.ts";

/** The options of a command, by name. */
export type Spec = Record<string, Option<unknown>>;

/**
 * The parsed arguments: one field per option, `command` when the task has commands, and
 * `operands` (the positional paths) when the task declares them.
 */
export type Args<O extends Spec, C extends string = never> =
  & { [K in keyof O]: O[K] extends Option<infer T> ? T : never }
  & ([C] extends [never] ? unknown : { command: C })
  & { operands?: string[] };

/** The parsed arguments of a `Command`: `ArgsOf<typeof CLI>`. */
export type ArgsOf<X> = X extends Command<infer O, infer C> ? Args<O, C> : never;

/** What a command is: its task, description, commands (first positional) and options. */
export interface CommandSpec<O extends Spec, C extends string> {
  /** The `deno task` name. */
  task: string;
  /** One or two sentences: what the command does. */
  description: string;
  /** Sub-commands (the first positional argument) with their help. */
  commands?: Record<C, string>;
  options: O;
  /**
   * Positional paths (files or folders; not with `commands`), each resolved like a path option
   * and required to exist. Absent: the task takes no positional argument.
   */
  operands?: { value: string; help: string };
  /** Text after the options (environment variables, examples). */
  notes?: string;
}

/** A command line definition: `parse` and `help`. */
export class Command<O extends Spec, C extends string = never> {
  constructor(readonly spec: CommandSpec<O, C>) {}

  /** The help text: usage line, description, commands, options with defaults, notes. */
  help(): string {
    const { task, description, commands, options, operands, notes } = this.spec;
    const names = commands === undefined ? [] : Object.keys(commands);
    const listed = `Usage: deno task ${task}${names.length ? ` ${names.join("|")}` : ""} [options]`;
    // too many commands for one line: name them below, under Commands
    const usage = listed.length <= 100 ? listed : `Usage: deno task ${task} command [options]`;
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
    if (operands !== undefined) {
      parts.push("Arguments:", line([`${operands.value} ...`, operands.help]), "");
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
        checkInput(`--${name} ${result[name]}`, result[name] as string, this.spec.task);
      }
    }
    if (this.spec.operands !== undefined) {
      result["operands"] = values.positionals.map((given) => {
        const path = userPath(given);
        checkInput(given, path, this.spec.task);
        return path;
      });
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
        allowPositionals: commands.length > 0 || this.spec.operands !== undefined,
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

/** Usage error unless `path` exists and may be read; `label` names it in the message. */
function checkInput(label: string, path: string, task: string): void {
  try {
    statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || (error as { code?: string }).code === "ENOENT") {
      throw new UsageError(`${label}: no such file or folder`);
    }
    const permission = permissionMessage(error, task, "this task");
    if (permission !== null) throw new UsageError(`${label}: ${permission}`);
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
