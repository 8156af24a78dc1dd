// @ts-check
/// <reference lib="dom" />
/**
 * Time-series charts with uPlot (served from its npm package under /vendor/).
 * Loaded lazily: when uPlot is unavailable the page works without charts.
 * Colours are Okabe–Ito; limit lines are dashed and named in the legend.
 */

export const PALETTE = [
  "#0072b2",
  "#e69f00",
  "#009e73",
  "#cc79a7",
  "#56b4e9",
  "#d55e00",
  "#000000",
];

/** @type {any} */
let uPlot = null;
/** @type {Promise<boolean> | null} */
let loading = null;

/** Loads uPlot once; resolves false when it is not available. */
export function loadCharts() {
  loading ??= import("/vendor/uPlot.esm.js").then(
    (m) => {
      uPlot = m.default;
      return true;
    },
    () => false,
  );
  return loading;
}

/**
 * uPlot's date formatting in a fixed offset ("Etc/GMT-1" is UTC+01:00).
 * @param {string} offset
 */
function zone(offset) {
  const m = /^([+-])(\d{2}):00$/.exec(offset);
  if (m === null || m[2] === "00") return "UTC";
  return `Etc/GMT${m[1] === "+" ? "-" : "+"}${Number(m[2])}`;
}

/**
 * A chart that keeps its uPlot instance while the series stay the same.
 */
export class Chart {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    /** @type {any} */
    this.plot = null;
    this.key = "";
  }

  /**
   * @param {{
   *   offset: string,
   *   series: { label: string, color: string, dash?: number[], width?: number }[],
   *   data: (number | null)[][],
   *   bands?: [number, number][],
   *   height?: number,
   *   yLabel?: string,
   * }} spec
   */
  render(spec) {
    if (uPlot === null) return;
    const width = Math.max(280, this.container.clientWidth);
    const key = JSON.stringify([spec.series, spec.bands ?? [], spec.offset]);
    if (this.plot === null || key !== this.key) {
      this.plot?.destroy();
      this.key = key;
      const tz = zone(spec.offset);
      this.plot = new uPlot(
        {
          width,
          height: spec.height ?? 220,
          tzDate: (/** @type {number} */ ts) => uPlot.tzDate(new Date(ts * 1000), tz),
          scales: { x: { time: true } },
          axes: [{}, { label: spec.yLabel ?? "", size: 56 }],
          series: [
            { label: "time" },
            ...spec.series.map((s) => ({
              label: s.label,
              stroke: s.color,
              width: s.width ?? 1.5,
              dash: s.dash,
              spanGaps: false,
              points: { show: false },
            })),
          ],
          bands: (spec.bands ?? []).map(([hi, lo]) => ({
            series: [hi, lo],
            fill: "rgba(86, 180, 233, 0.25)",
          })),
          legend: { live: false },
          cursor: { show: true, drag: { x: false, y: false } },
        },
        spec.data,
        this.container,
      );
    } else {
      if (Math.abs(this.plot.width - width) > 4) {
        this.plot.setSize({ width, height: this.plot.height });
      }
      this.plot.setData(spec.data);
    }
  }

  clear() {
    this.plot?.destroy();
    this.plot = null;
    this.key = "";
    this.container.replaceChildren();
  }
}
