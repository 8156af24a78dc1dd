// @ts-check
/// <reference lib="dom" />
/**
 * Small helpers for the dashboard page: element creation (text only, through
 * textContent: nothing from the server is ever parsed as HTML), numbers, and
 * times in the stations' fixed offset from UTC (no daylight saving).
 */

/**
 * Creates an element with a class and text.
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * Minutes east of UTC of an offset like "+01:00".
 * @param {string} offset
 */
export function offsetMinutes(offset) {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
  if (m === null) return 0;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/**
 * "2004-03-10 18:00" in the given fixed offset.
 * @param {number} ms
 * @param {string} offset
 */
export function stationTime(ms, offset) {
  const local = new Date(ms + offsetMinutes(offset) * 60_000).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 16)}`;
}

/**
 * A measured value with sensible precision, or "—".
 * @param {number | null | undefined} x
 */
export function num(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  const abs = Math.abs(x);
  return x.toLocaleString("en", { maximumFractionDigits: abs >= 100 ? 0 : abs >= 10 ? 1 : 2 });
}

/**
 * A ratio as a percentage.
 * @param {number | null | undefined} x
 */
export function pct(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  return `${Math.round(x * 100)} %`;
}
