/**
 * The Markdown building blocks of the generated reports: tables padded and
 * paragraphs wrapped the way `deno fmt` does it (so generated files stay
 * fmt-clean), and the number formats of the model report.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */

/** A Markdown table padded the way `deno fmt` pads it, so generated files stay fmt-clean. */
export function markdownTable(
  header: string[],
  rightAligned: boolean[],
  rows: string[][],
): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? "").length)));
  const cell = (text: string, j: number) =>
    rightAligned[j] ? text.padStart(widths[j]!) : text.padEnd(widths[j]!);
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  const rule = widths.map((w, j) => (rightAligned[j] ? "-".repeat(w - 1) + ":" : "-".repeat(w)));
  return [line(header), `| ${rule.join(" | ")} |`, ...rows.map(line)];
}

/** Greedy word wrap at `width` columns, as `deno fmt` wraps Markdown paragraphs. */
export function wrapParagraph(text: string, width = 100): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}

/** A number with `digits` decimals, or "n/a". */
export const f = (
  v: number,
  digits = 3,
): string => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");
/**
 * `v` against a goal: 3 decimals, or 4 when 3 would print the goal itself while `v` is not it
 * (0.1598 against ">= 0.16" would read "0.160, missed"); without a goal, 3 decimals.
 */
export const fGoal = (v: number, goal: number | undefined): string =>
  goal !== undefined && v !== goal && Number(f(v)) === goal ? f(v, 4) : f(v);
/** A 95 % interval after a value, or nothing. */
export const ci = (
  c: [number, number] | null,
): string => (c === null ? "" : ` [${f(c[0])}, ${f(c[1])}]`);
/** A p-value. */
export const pv = (p: number): string => (p < 1e-4 ? p.toExponential(1) : f(p, 4));
