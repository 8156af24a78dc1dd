/**
 * Rendering: Vega-Lite specs rendered to SVG without a browser (and a check
 * that a rendered figure is not empty), the analysis's figures, its Markdown
 * report and its HTML pages. Statistics come from `lib/analysis`.
 *
 * ```ts ignore
 * import { renderFigures } from "./lib/render/mod.ts";
 * const svgs = await renderFigures([{ id: "x", title: "X", caption: "", spec }]);
 * ```
 *
 * @module
 */
export {
  countDataMarks,
  type Figure,
  renderFigures,
  renderSvg,
  type VegaLiteSpec,
} from "./vega.ts";
export { analysisFigures } from "./analysis_figures.ts";
export {
  analysisHtml,
  correlationTable,
  episodeTable,
  esc,
  figureHtml,
  htmlPage,
  htmlTable,
} from "./html.ts";
export { analysisMarkdown, fmt, type ReportSource } from "./markdown.ts";
export { markdownToHtml } from "./markdown_html.ts";
export { analysisPrintHtml, citedFigures } from "./analysis_print.ts";
