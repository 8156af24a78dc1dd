// @ts-check
/// <reference lib="dom" />
/**
 * Browser helpers the dashboard and the leaderboard pages share: finding the page's elements,
 * the connection-state pill (web/shared/base.css draws its dot), and ranked table rows that
 * glide to their new place with FLIP (First: measure, Last: reorder, Invert: translate back,
 * Play: transition the translation away). No build step: the pages import this file as an ES
 * module from /web/shared/live.js.
 */

/** The reader asked for reduced motion: nothing slides or flashes. */
export const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

/**
 * The element with `id`; a page without it is a bug, said at once.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`#${id} is missing from the page`);
  return e;
}

/**
 * Shows the connection state in the page's `#status` pill.
 * @param {"live" | "connecting" | "reconnecting"} state
 * @param {string} text
 */
export function setStatus(state, text) {
  const s = byId("status");
  s.dataset["state"] = state;
  s.textContent = text;
}

/**
 * First: where every row is now, by key, and its rank (`data-rank`) before the update.
 * @param {Map<string, HTMLTableRowElement>} rows
 * @returns {{ tops: Map<string, number>, ranks: Map<string, number> }}
 */
export function measureRows(rows) {
  const tops = new Map();
  const ranks = new Map();
  for (const [id, tr] of rows) {
    tops.set(id, tr.getBoundingClientRect().top);
    ranks.set(id, Number(tr.dataset["rank"]));
  }
  return { tops, ranks };
}

/**
 * Removes (from the page and from `rows`) every row whose key is not in `keep`.
 * @param {Map<string, HTMLTableRowElement>} rows
 * @param {Set<string>} keep
 */
export function dropRows(rows, keep) {
  for (const [id, tr] of rows) {
    if (!keep.has(id)) {
      tr.remove();
      rows.delete(id);
    }
  }
}

/**
 * Invert and Play: after the rows took their new places, each one that moved is put back where
 * it was (`tops`, from {@linkcode measureRows}) and slides to its place over `moveMs`. Nothing
 * moves when the reader asked for reduced motion.
 * @param {Map<string, HTMLTableRowElement>} rows
 * @param {Map<string, number>} tops
 * @param {number} moveMs
 */
export function slideMoved(rows, tops, moveMs) {
  if (reducedMotion.matches) return;
  /** @type {HTMLTableRowElement[]} */
  const moved = [];
  for (const [id, tr] of rows) {
    const top = tops.get(id);
    if (top === undefined) continue;
    const dy = top - tr.getBoundingClientRect().top;
    if (Math.abs(dy) < 0.5) continue;
    tr.style.transition = "none";
    tr.style.transform = `translateY(${dy}px)`;
    moved.push(tr);
  }
  if (moved.length === 0) return;
  requestAnimationFrame(() => {
    for (const tr of moved) {
      tr.style.transition = `transform ${moveMs}ms cubic-bezier(0.2, 0.8, 0.2, 1)`;
      tr.style.transform = "";
      tr.addEventListener("transitionend", () => (tr.style.transition = ""), { once: true });
    }
  });
}
