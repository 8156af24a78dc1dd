/**
 * Figures: Vega-Lite specs rendered to SVG without a browser, and a check that
 * a rendered figure is not empty.
 *
 * ```ts ignore
 * import { renderFigures } from "./lib/figures/mod.ts";
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
} from "./render.ts";
