/**
 * The text building blocks of the generated Markdown and HTML reports: number,
 * percentage, date and count formats, and paragraphs and list items wrapped
 * the way `deno fmt` wraps them.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import { wrapParagraph } from "../offline/report.ts";

/** Formats a number with `d` decimals; `n/a` when not finite. */
export function fmt(x: number, d = 1): string {
  return Number.isFinite(x) ? x.toFixed(d) : "n/a";
}

/** A paragraph wrapped as `deno fmt` wraps it. */
export const para = (text: string): string => wrapParagraph(text);
/** A list item wrapped as `deno fmt` wraps it: 100 columns, continuation lines indented by 2. */
export function bullet(text: string): string {
  const lines: string[] = [];
  let line = "-";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line.length + 1 + word.length > 100 && line.trim() !== "-") {
      lines.push(line);
      line = `  ${word}`;
    } else line = `${line} ${word}`;
  }
  return [...lines, line].join("\n");
}

/** Where the report came from, shown in its header. */
export interface ReportSource {
  /** Dataset file name. */
  dataset: string;
  /** Generation date (YYYY-MM-DD). */
  date: string;
  /** Relative link from the Markdown to the HTML figures page. */
  figuresLink: string;
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** `2004-08` as "August 2004". */
export function monthName(month: string): string {
  return `${MONTHS[Number(month.slice(5, 7)) - 1]} ${month.slice(0, 4)}`;
}

/** `2004-11-22` (or a longer local timestamp) as "22 November 2004". */
export function dayName(day: string): string {
  return `${Number(day.slice(8, 10))} ${monthName(day.slice(0, 7))}`;
}

/** A local timestamp or day (`2004-03-10 18:00`, `2005-01-01T00:00:00+01:00`) as "10 March 2004". */
export function dateOf(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(iso) ? dayName(iso.slice(0, 10)) : iso;
}

/** "1 outage", "61 outages". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** A signed percentage: "+12 %". */
export const pct = (x: number, d = 0): string => `${x >= 0 ? "+" : ""}${fmt(x, d)} %`;
