/**
 * The Markdown that airq writes (docs/analysis.md: headings, wrapped
 * paragraphs, `- ` lists with indented continuation lines, pipe tables,
 * `**bold**`, `` `code` `` and `[text](link)`) as HTML, so a generated
 * report prints as it reads. Not a general Markdown parser: anything else is
 * kept as escaped text, never dropped.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import { esc } from "./html.ts";

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
export function headingSlug(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

/** Inline Markdown of one block of text; `link` may rewrite each link target. */
export function inlineHtml(text: string, link: (href: string) => string = (h) => h): string {
  // code spans first, so nothing inside them is read as Markdown
  return text.split(/(`[^`]*`)/).map((part) => {
    if (part.length >= 2 && part.startsWith("`") && part.endsWith("`")) {
      return `<code>${esc(part.slice(1, -1))}</code>`;
    }
    return esc(part)
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(
        /\[([^\]]+)\]\(([^)\s]+)\)/g,
        (_, label: string, href: string) => `<a href="${esc(link(href))}">${label}</a>`,
      );
  }).join("");
}

const cells = (line: string) => line.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());

/**
 * `markdown` as HTML body elements. Headings get GitHub's anchors as ids, so
 * in-page links keep working; `link` rewrites link targets (e.g. to figures
 * printed in the same document).
 */
export function markdownToHtml(
  markdown: string,
  link: (href: string) => string = (h) => h,
): string {
  const out: string[] = [];
  const lines = markdown.split(/\r?\n/);
  let i = 0;
  const inline = (text: string) => inlineHtml(text, link);
  while (i < lines.length) {
    const line = lines[i]!;
    const heading = /^(#{1,6}) (.*)$/.exec(line);
    if (line.trim() === "") {
      i++;
    } else if (heading !== null) {
      const level = heading[1]!.length, text = heading[2]!;
      out.push(`<h${level} id="${esc(headingSlug(text))}">${inline(text)}</h${level}>`);
      i++;
    } else if (line.startsWith("- ")) {
      const items: string[] = [];
      while (i < lines.length && (lines[i]!.startsWith("- ") || lines[i]!.startsWith("  "))) {
        if (lines[i]!.startsWith("- ")) items.push(lines[i]!.slice(2));
        else items[items.length - 1] += ` ${lines[i]!.trim()}`;
        i++;
      }
      out.push(`<ul>${items.map((t) => `<li>${inline(t)}</li>`).join("")}</ul>`);
    } else if (line.startsWith("|") && /^\|[\s:|-]+\|$/.test(lines[i + 1]?.trim() ?? "")) {
      const head = cells(line);
      const align = cells(lines[i + 1]!).map((c) => c.endsWith(":") ? "right" : "left");
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.startsWith("|")) rows.push(cells(lines[i++]!));
      const td = (tag: string, c: string, k: number) =>
        `<${tag} style="text-align:${align[k] ?? "left"}">${inline(c)}</${tag}>`;
      out.push(
        `<table><thead><tr>${head.map((c, k) => td("th", c, k)).join("")}</tr></thead><tbody>${
          rows.map((r) => `<tr>${r.map((c, k) => td("td", c, k)).join("")}</tr>`).join("")
        }</tbody></table>`,
      );
    } else {
      const text: string[] = [];
      while (
        i < lines.length && lines[i]!.trim() !== "" && !/^(#{1,6} |- |\|)/.test(lines[i]!)
      ) text.push(lines[i++]!.trim());
      out.push(`<p>${inline(text.join(" "))}</p>`);
    }
  }
  return out.join("\n");
}
