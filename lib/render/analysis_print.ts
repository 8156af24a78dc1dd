/**
 * The analysis report as it prints: the prose of docs/analysis.md, then its
 * figures, each on the page after the prose, in the order the findings cite
 * them. Links to the figures page (`…/index.html#fig-X`) become links to the
 * figure in the same document.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import { esc, figureHtml, htmlPage } from "./html.ts";
import { markdownToHtml } from "./markdown_html.ts";
import type { Figure } from "./vega.ts";

/** The ids of the figures `markdown` links to (`…#fig-ID`), in the order it first cites them. */
export function citedFigures(markdown: string): string[] {
  const ids: string[] = [];
  for (const m of markdown.matchAll(/\]\([^)\s]*#fig-([\w-]+)\)/g)) {
    if (!ids.includes(m[1]!)) ids.push(m[1]!);
  }
  return ids;
}

/** For each figure id, the headings of the `###` sections (the findings) that cite it. */
export function citingSections(markdown: string): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const section of markdown.split(/\n(?=### )/).slice(1)) {
    const title = section.slice(
      4,
      section.indexOf("\n") === -1 ? undefined : section.indexOf("\n"),
    );
    for (const id of citedFigures(section)) by.set(id, [...(by.get(id) ?? []), title.trim()]);
  }
  return by;
}

/**
 * The printable analysis report: `markdown` (the analytical report) as HTML,
 * then with `withFigures` a "Figures" part starting on a new page: the cited
 * figures first, in citation order, then the others. Without `withFigures`,
 * the prose alone (to measure its length in pages).
 */
export function analysisPrintHtml(
  markdown: string,
  figures: readonly Figure[],
  svgs: ReadonlyMap<string, string>,
  withFigures = true,
): string {
  const local = (href: string) => /#fig-[\w-]+$/.test(href) ? href.slice(href.indexOf("#")) : href;
  // denser than the shared print style: the prose is held to 2-3 A4 pages
  const prose = `<style>@media print{body{font-size:9.5pt;line-height:1.35}h1{margin:0 0 .4em}` +
    `h2{margin-top:1em}h3{margin:.8em 0 .3em}p,ul{margin:.4em 0}@page{margin:12mm}}</style>\n` +
    markdownToHtml(markdown, local);
  if (!withFigures) return htmlPage("airq — air-quality analysis", prose);
  const cited = citedFigures(markdown);
  const citing = citingSections(markdown);
  const figure = (f: Figure) => {
    const by = citing.get(f.id) ?? [];
    return figureHtml(f, svgs.get(f.id) ?? "") +
      (by.length === 0
        ? ""
        : `<p class="cited">Finding ${by.map((t) => esc(t)).join("; finding ")}</p>`);
  };
  const order = [
    ...cited.flatMap((id) => figures.filter((f) => f.id === id)),
    ...figures.filter((f) => !cited.includes(f.id)),
  ];
  const body = [
    prose,
    `<h2 id="figures" style="break-before:page">Figures</h2>`,
    `<style>.cited{font-size:.85em;color:#555;margin-top:-.6em}</style>`,
    ...order.map(figure),
  ];
  return htmlPage("airq — air-quality analysis", body.join("\n"));
}
