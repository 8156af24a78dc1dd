/**
 * The options of airq's command lines (lib/cli/command.ts): each one a zod
 * schema for its value, with the placeholder, default and validity text the
 * help and the usage errors show.
 *
 * @module
 */
import { z } from "zod";
import { userPath } from "./paths.ts";

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

  /**
   * `--metrics-port N`: serve /metrics, /healthz, /readyz on 127.0.0.1:N (0 = any
   * free port); absent, the process uses `metrics.port` of `configFile`.
   */
  metricsPort(configFile: string): Option<number | undefined> {
    return opt.int(
      `serve /metrics, /healthz, /readyz on 127.0.0.1:N (0 = any free port; default: metrics.port of config/${configFile}, null = off)`,
      { min: 0, max: 65535 },
    );
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

/** The options of a service that consumes a topic into a store: `--db`, `--group`, `--exit-when-idle`. */
export interface ServiceOptions {
  readonly db: Option<string | undefined>;
  readonly group: Option<string | undefined>;
  readonly "exit-when-idle": Option<number | undefined>;
}

/**
 * The option set the consumer and the forecaster share (spread it into `options`); `help`
 * says what `--db` holds and where `--group` defaults from for this service.
 */
export function serviceOptions(help: { db: string; group: string }): ServiceOptions {
  return {
    db: opt.string(help.db, {
      value: "PATH|URL",
      expected: "a SQLite file path or a postgres:// URL",
      default: undefined,
    }),
    group: opt.string(help.group, { value: "ID" }),
    "exit-when-idle": opt.number("exit 0 once no new message arrived for that long", {
      value: "SECONDS",
      above: 0,
    }),
  };
}
