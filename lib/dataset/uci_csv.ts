/**
 * Parser for the raw UCI Air Quality CSV (dataset 360): `;` separator, decimal
 * commas, `-200` / `-200,0` for missing values, two empty trailing columns, empty
 * trailing rows, and local station time without daylight-saving jumps.
 *
 * Pure: no `Deno.*`, no network. The input is a byte stream, so a large file never
 * has to fit in memory.
 *
 * @module
 */
import { CsvError, type Options as CsvOptions, parse } from "csv-parse/stream";
import { COLUMNS, type MeasurementField, type Measurements } from "../records/reading.ts";

/** The 15 column names of the UCI header, in file order. */
export const UCI_HEADER: readonly string[] = ["Date", "Time", ...COLUMNS.map((c) => c.source)];

/** One parsed data row of the UCI file. */
export interface UciRow {
  /** 1-based physical line of the row in the source. */
  readonly line: number;
  /** Local station time with its fixed offset, e.g. `2004-03-10T18:00:00+01:00`. */
  readonly ts: string;
  /** The same instant in milliseconds since the Unix epoch. */
  readonly epochMs: number;
  /** The 13 measured values; `null` where the file says `-200`. */
  readonly measurements: Measurements;
}

/** What went wrong in a {@linkcode UciParseError}. */
export type UciIssueKind = "header" | "fields" | "date" | "time" | "number" | "csv";

/** Everything a {@linkcode UciParseError} reports. */
export interface UciIssue {
  /** Category of the problem. */
  readonly kind: UciIssueKind;
  /** Name of the input, as given by the caller. */
  readonly file: string;
  /** 1-based physical line. */
  readonly line: number;
  /** Source column name, e.g. `CO(GT)` or `Date`. */
  readonly column: string;
  /** The offending text. */
  readonly value: string;
  /** What is wrong with the value, e.g. `is not a number`. */
  readonly problem: string;
  /** What would have been valid. */
  readonly expected: string;
}

/**
 * A row or header of the UCI CSV that cannot be parsed. The message names the
 * input, line, column, value and what was expected, e.g.
 * `AirQualityUCI.csv:57 column "CO(GT)": "2,x" is not a number; expected a decimal
 * number with a comma or dot (e.g. 2,6) or -200 for missing`.
 */
export class UciParseError extends Error implements UciIssue {
  readonly kind: UciIssueKind;
  readonly file: string;
  readonly line: number;
  readonly column: string;
  readonly value: string;
  readonly problem: string;
  readonly expected: string;

  /** Builds the error and its message from the issue's parts. */
  constructor(issue: UciIssue, options?: ErrorOptions) {
    super(
      `${issue.file}:${issue.line} column "${issue.column}": ${
        JSON.stringify(issue.value)
      } ${issue.problem}; expected ${issue.expected}`,
      options,
    );
    this.name = "UciParseError";
    ({
      kind: this.kind,
      file: this.file,
      line: this.line,
      column: this.column,
      value: this.value,
      problem: this.problem,
      expected: this.expected,
    } = issue);
  }
}

/** Options of {@linkcode parseUciCsv} shared by both error modes. */
export interface ParseUciBaseOptions {
  /** Name of the input used in errors. Default `"<input>"`. */
  file?: string | undefined;
  /** Fixed offset of the station's local time, `±HH:MM` or `Z`. Default `+01:00`. */
  utcOffset?: string | undefined;
}

/**
 * Options of {@linkcode parseUciCsv}. With `onError: "stop"` (the default) the first
 * bad row throws a {@linkcode UciParseError}; with `"skip"` bad rows are passed to
 * `onIssue` and parsing goes on. A wrong header or an empty input always throws.
 */
export type ParseUciOptions =
  & ParseUciBaseOptions
  & (
    | { onError?: "stop" | undefined; onIssue?: undefined }
    | { onError: "skip"; onIssue: (error: UciParseError) => void }
  );

const EXPECTED: Record<UciIssueKind, string> = {
  number: "a decimal number with a comma or dot (e.g. 2,6) or -200 for missing",
  date: "a date as DD/MM/YYYY (e.g. 10/03/2004)",
  time: "a time as HH.MM.SS (e.g. 18.00.00)",
  fields: `${UCI_HEADER.length} fields (${
    UCI_HEADER.join(";")
  }), optionally followed by 2 empty ones`,
  header: `the header ${UCI_HEADER.join(";")};;`,
  csv: "a field either quoted as a whole with a closing quote, or not quoted at all",
};
const MISSING = -200;
const NUMBER_RE = /^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$/;
const DATE_RE = /^(\d{2})\/(\d{2})\/([1-9]\d{3})$/;
const TIME_RE = /^(\d{2})\.(\d{2})\.(\d{2})$/;
const OFFSET_RE = /^(?:Z|([+-])(\d{2}):(\d{2}))$/;
const FIELDS: readonly MeasurementField[] = COLUMNS.map((c) => c.field);

type Fail = (kind: UciIssueKind, column: string, value: string, problem: string) => UciParseError;
type Item = UciRow | UciParseError;

/**
 * Parses the raw UCI Air Quality CSV from a byte stream, yielding one
 * {@linkcode UciRow} per data row. Empty trailing rows are dropped.
 *
 * @throws {RangeError} at once if `utcOffset` is not `±HH:MM` or `Z`.
 * @throws {UciParseError} while iterating, on a bad header, or on a bad row
 *   unless `onError` is `"skip"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseUciCsv, UCI_HEADER } from "./uci_csv.ts";
 * const csv = `${UCI_HEADER.join(";")};;\r\n` +
 *   "10/03/2004;18.00.00;2,6;1360;150;11,9;1046;166;1056;113;1692;1268;13,6;48,9;-200;;\r\n";
 * const bytes = ReadableStream.from([new TextEncoder().encode(csv)]);
 * const rows = await Array.fromAsync(parseUciCsv(bytes, { file: "example.csv" }));
 * assert.equal(rows[0]?.ts, "2004-03-10T18:00:00+01:00");
 * assert.equal(rows[0]?.measurements.co_mg_m3, 2.6);
 * assert.equal(rows[0]?.measurements.ah, null);
 * ```
 */
export function parseUciCsv(
  input: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: ParseUciOptions = {},
): AsyncGenerator<UciRow, void, undefined> {
  const offset = options.utcOffset ?? "+01:00";
  const match = OFFSET_RE.exec(offset);
  const offsetMin = match?.[1] === undefined
    ? 0
    : (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
  if (match === null || Math.abs(offsetMin) > 18 * 60 || Number(match[3] ?? 0) > 59) {
    throw new RangeError(`Invalid UTC offset "${offset}": expected ±HH:MM (e.g. +01:00) or Z`);
  }
  const stream = input instanceof ReadableStream ? input : ReadableStream.from(input);
  return run(stream, options.file ?? "<input>", offset, offsetMin, options);
}

/**
 * Parses a whole UCI CSV held in a string; a convenience for tests and small inputs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseUciText, UCI_HEADER } from "./uci_csv.ts";
 * const rows = await parseUciText(
 *   `${UCI_HEADER.join(";")}\n04/04/2005;14.00.00;2,2;1071;-200;11,9;1047;265;654;168;1129;816;28,5;13,1;0,5028\n`,
 *   { utcOffset: "Z" },
 * );
 * assert.equal(rows[0]?.epochMs, Date.UTC(2005, 3, 4, 14));
 * ```
 */
export function parseUciText(text: string, options: ParseUciOptions = {}): Promise<UciRow[]> {
  return Array.fromAsync(
    parseUciCsv(ReadableStream.from([new TextEncoder().encode(text)]), options),
  );
}

async function* run(
  input: ReadableStream<Uint8Array>,
  file: string,
  offset: string,
  offsetMin: number,
  options: ParseUciOptions,
): AsyncGenerator<UciRow, void, undefined> {
  const skip = options.onError === "skip";
  let lastLine = 0;
  let headerSeen = false;
  const csvIssues: UciParseError[] = [];
  const issue = (line: number, cause?: unknown): Fail => (kind, column, value, problem) =>
    new UciParseError(
      { kind, file, line, column, value, problem, expected: EXPECTED[kind] },
      cause === undefined ? undefined : { cause },
    );
  const fromCsv = (err: CsvError): UciParseError => {
    const e = err as CsvError & { lines?: number; column?: number; field?: string };
    const unclosed = e.code === "CSV_QUOTE_NOT_CLOSED";
    const column = UCI_HEADER[e.column ?? 0] ?? `(field ${(e.column ?? 0) + 1})`;
    const problem = unclosed ? "opens a quote that is never closed" : `is badly quoted (${e.code})`;
    return issue(unclosed ? lastLine + 1 : e.lines ?? lastLine + 1, err)(
      "csv",
      column,
      typeof e.field === "string" ? e.field : '"',
      problem,
    );
  };
  const onRecord = (record: string[], ctx: { lines: number }): Item | null => {
    lastLine = ctx.lines;
    if (!headerSeen) {
      headerSeen = true;
      return checkHeader(record, issue(ctx.lines)) ?? null;
    }
    return convertRow(record, ctx.lines, offset, offsetMin, issue(ctx.lines));
  };
  const parser = parse({
    delimiter: ";",
    bom: true,
    relax_column_count: true,
    skip_records_with_error: skip,
    on_skip: (err) => void (err !== undefined && csvIssues.push(fromCsv(err))),
    on_record: onRecord as unknown as NonNullable<CsvOptions["on_record"]>,
  }) as unknown as TransformStream<Uint8Array, Item>;
  // Feed one chunk at a time (not pipeThrough): csv-parse's writable side would
  // buffer up to 1,024 chunks ahead of the consumer.
  const source = input.getReader();
  const reader = parser.readable.getReader();
  const pump = feed(source, parser.writable.getWriter());
  const report = (err: UciParseError): void => {
    if (!skip || err.kind === "header") throw err;
    options.onIssue?.(err);
  };
  try {
    while (true) {
      let next: ReadableStreamReadResult<Item>;
      try {
        next = await reader.read();
      } catch (err) {
        throw err instanceof CsvError ? fromCsv(err) : err;
      }
      const line = next.done ? Infinity : next.value.line;
      while (csvIssues.length > 0 && csvIssues[0]!.line <= line) report(csvIssues.shift()!);
      if (next.done) break;
      if (next.value instanceof UciParseError) report(next.value);
      else yield next.value;
    }
    if (!headerSeen) {
      report(issue(1)("header", "Date", "", "is not a header (the input is empty)"));
    }
  } finally {
    await Promise.all([reader.cancel(), source.cancel()].map((p) => p.catch(() => {})));
    await pump;
  }
}

async function feed(
  source: ReadableStreamDefaultReader<Uint8Array>,
  sink: WritableStreamDefaultWriter<Uint8Array>,
): Promise<void> {
  try {
    for (let next = await source.read(); !next.done; next = await source.read()) {
      await sink.write(next.value);
    }
    await sink.close();
  } catch (err) {
    await Promise.all([sink.abort(err), source.cancel(err)].map((p) => p.catch(() => {})));
  }
}

function checkHeader(record: readonly string[], fail: Fail): UciParseError | undefined {
  const want = record.length > UCI_HEADER.length ? [...UCI_HEADER, "", ""] : UCI_HEADER;
  for (let i = 0; i < Math.max(record.length, want.length); i++) {
    if (record[i] !== want[i]) {
      const column = UCI_HEADER[i] ?? `(field ${i + 1})`;
      return fail("header", column, record[i] ?? "", "is not the expected header");
    }
  }
  return undefined;
}

function convertRow(
  record: readonly string[],
  line: number,
  offset: string,
  offsetMin: number,
  fail: Fail,
): Item | null {
  const n = UCI_HEADER.length;
  if (record.every((f) => f === "")) return null;
  if (
    record.length !== n && !(record.length === n + 2 && record[n] === "" && record[n + 1] === "")
  ) {
    const column = UCI_HEADER[record.length] ?? `(field ${n + 1})`;
    const problem = record.length === n + 2
      ? `has ${n + 2} fields but the last 2 are not empty`
      : `has ${record.length} fields`;
    return fail("fields", column, record.join(";"), problem);
  }
  const [date = "", time = ""] = record;
  const d = DATE_RE.exec(date);
  if (d === null) {
    const problem = date === "" ? "is empty but the row has values" : "is not a date";
    return fail("date", "Date", date, problem);
  }
  const [day, month, year] = [Number(d[1]), Number(d[2]), Number(d[3])];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) {
    return fail("date", "Date", date, "is not a real calendar date");
  }
  const t = TIME_RE.exec(time);
  const [hh, mm, ss] = t === null ? [NaN, NaN, NaN] : [Number(t[1]), Number(t[2]), Number(t[3])];
  if (!(hh <= 23 && mm <= 59 && ss <= 59)) return fail("time", "Time", time, "is not a time");
  const measurements = {} as Measurements;
  for (let i = 0; i < FIELDS.length; i++) {
    const text = record[i + 2]!;
    const value = NUMBER_RE.test(text) ? Number(text.replace(",", ".")) : NaN;
    if (!Number.isFinite(value)) {
      const problem = text === ""
        ? "is empty"
        : Number.isNaN(value)
        ? "is not a number"
        : "is not a finite number";
      return fail("number", COLUMNS[i]!.source, text, problem);
    }
    measurements[FIELDS[i]!] = value === MISSING ? null : value;
  }
  return {
    line,
    ts: `${d[3]}-${d[2]}-${d[1]}T${t![1]}:${t![2]}:${t![3]}${offset}`,
    epochMs: Date.UTC(year, month - 1, day, hh, mm, ss) - offsetMin * 60_000,
    measurements,
  };
}
