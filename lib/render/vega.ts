/**
 * Renders Vega-Lite specs to SVG headless (no browser, no permissions) with
 * npm `vega` and `vega-lite`, and checks that a rendered figure draws something.
 *
 * Time axes: callers pass local station time as epoch milliseconds read as UTC
 * and mark their time scales `utc`, so the axes show station time whatever the
 * time zone of the process.
 *
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";

/** A Vega-Lite specification (the JSON object). */
export type VegaLiteSpec = Record<string, unknown>;

/** A figure: an id (for anchors and file names), a title, a caption and its spec. */
export interface Figure {
  /** Short id, e.g. `timeseries`; also the SVG file name. */
  id: string;
  /** Heading shown above the figure. */
  title: string;
  /** One or two sentences on how to read it. */
  caption: string;
  /** The Vega-Lite spec. */
  spec: VegaLiteSpec;
}

const BASE = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  background: "white",
  config: {
    font: "sans-serif",
    view: { stroke: "#ddd" },
    axis: { labelFontSize: 10, titleFontSize: 11 },
    // labelLimit 0: legend labels are never cut ("PT08.S3(NOx) vs NOx(GT)" was truncated at
    // Vega's default 160 px).
    legend: { labelFontSize: 10, titleFontSize: 11, labelLimit: 0 },
  },
};

/** Compiles a Vega-Lite spec and renders it to an SVG string. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = vl.compile({ ...BASE, ...spec } as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Number of drawn data items in an SVG made by {@linkcode renderSvg}: children
 * (`path`, `line`, `rect`, `text`, `circle`) of its data mark groups
 * (`role-mark`), not counting axes, legends or titles.
 */
export function countDataMarks(svg: string): number {
  let count = 0;
  const re = /<g class="mark-[a-z]+ role-mark[^"]*"[^>]*>/g;
  for (let m = re.exec(svg); m !== null; m = re.exec(svg)) {
    let depth = 1, i = re.lastIndex;
    const tag = /<(\/?)([a-z]+)([^>]*?)(\/?)>/g;
    tag.lastIndex = i;
    for (let t = tag.exec(svg); t !== null && depth > 0; t = tag.exec(svg)) {
      if (t[1] === "/") depth -= t[2] === "g" ? 1 : 0;
      else if (t[2] === "g") depth += t[4] === "/" ? 0 : 1;
      else if (/^(path|line|rect|text|circle)$/.test(t[2]!)) count++;
      i = tag.lastIndex;
    }
  }
  return count;
}

/** Renders every figure; throws a `RangeError` naming the first that draws nothing or contains NaN. */
export async function renderFigures(figures: readonly Figure[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const figure of figures) {
    const svg = await renderSvg(figure.spec);
    if (countDataMarks(svg) === 0 || svg.includes("NaN")) {
      throw new RangeError(
        `Figure "${figure.id}" came out empty (no data marks, or NaN in the SVG)`,
      );
    }
    out.set(figure.id, svg);
  }
  return out;
}
