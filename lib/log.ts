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

/**
 * Configures LogTape for an entry script. Call once, at start-up.
 * `AIRQ_LOG_LEVEL` and `AIRQ_LOG_FORMAT` override the arguments.
 */
export async function configureLogging(
  options: { level?: LogLevel; format?: LogFormat } = {},
): Promise<void> {
  const envLevel = readEnv("AIRQ_LOG_LEVEL");
  const envFormat = readEnv("AIRQ_LOG_FORMAT");
  const level: LogLevel = isLevel(envLevel) ? envLevel : options.level ?? "info";
  const format: LogFormat = envFormat === "text" || envFormat === "json"
    ? envFormat
    : options.format ?? "json";
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
  return value === "trace" || value === "debug" || value === "info" || value === "warning" ||
    value === "error" || value === "fatal";
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env for it: use the defaults
  }
}
