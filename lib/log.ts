/**
 * Logging set-up for entry scripts: structured JSON lines (or plain text for a
 * person at a terminal) on stderr, so stdout stays free for data such as
 * `--json` output. Library code only calls `getLogger([...])`.
 *
 * @module
 */
import {
  configure,
  getLogger,
  getTextFormatter,
  jsonLinesFormatter,
  type Logger,
  type LogLevel,
  type LogRecord,
  reset,
} from "@logtape/logtape";

export { getLogger, type Logger };

/** How log lines look. */
export type LogFormat = "json" | "text";

const encoder = new TextEncoder();

/** The values `AIRQ_LOG_LEVEL` may take. */
export const LOG_LEVELS: readonly LogLevel[] = [
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "fatal",
];

/** The values `AIRQ_LOG_FORMAT` may take. */
export const LOG_FORMATS: readonly LogFormat[] = ["json", "text"];

/**
 * What is wrong with `AIRQ_LOG_LEVEL` or `AIRQ_LOG_FORMAT`, in one line naming
 * the value and the valid ones; null when both are unset or valid.
 */
export function checkLogEnv(): string | null {
  const level = readEnv("AIRQ_LOG_LEVEL");
  if (level && !isLevel(level)) {
    return `AIRQ_LOG_LEVEL=${level} is not a log level: expected one of ${LOG_LEVELS.join(", ")}`;
  }
  const format = readEnv("AIRQ_LOG_FORMAT");
  if (format && format !== "json" && format !== "text") {
    return `AIRQ_LOG_FORMAT=${format} is not a log format: expected one of ${
      LOG_FORMATS.join(", ")
    }`;
  }
  return null;
}

/**
 * Configures LogTape for an entry script. Call once, at start-up.
 * `AIRQ_LOG_LEVEL` and `AIRQ_LOG_FORMAT` override the arguments. The format
 * defaults to plain text when stderr is a terminal and JSON lines otherwise
 * (piped, a file, a parent process).
 *
 * @throws {RangeError} when `AIRQ_LOG_LEVEL` or `AIRQ_LOG_FORMAT` holds an unknown value.
 */
export async function configureLogging(
  options: { level?: LogLevel; format?: LogFormat } = {},
): Promise<void> {
  const problem = checkLogEnv();
  if (problem !== null) throw new RangeError(problem);
  const envLevel = readEnv("AIRQ_LOG_LEVEL");
  const envFormat = readEnv("AIRQ_LOG_FORMAT");
  const level: LogLevel = isLevel(envLevel) ? envLevel : options.level ?? "info";
  const format: LogFormat = envFormat === "text" || envFormat === "json"
    ? envFormat
    : options.format ?? (Deno.stderr.isTerminal() ? "text" : "json");
  const text = getTextFormatter({ timestamp: "time" });
  const formatter = format === "json" ? jsonLinesFormatter : text;
  await configure({
    reset: true,
    sinks: {
      stderr: (record: LogRecord) => {
        Deno.stderr.writeSync(encoder.encode(formatter(record)));
      },
    },
    loggers: [
      { category: ["airq"], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/** Undoes `configureLogging` (tests). */
export async function resetLogging(): Promise<void> {
  await reset();
}

function isLevel(value: string | undefined): value is LogLevel {
  return (LOG_LEVELS as readonly (string | undefined)[]).includes(value);
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env for it: use the defaults
  }
}
