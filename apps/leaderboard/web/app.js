// @ts-check
/// <reference lib="dom" />
/**
 * The leaderboard page: follows the board over a WebSocket (a snapshot, then
 * changes) and animates it. Rows slide to their new ranks with the FLIP
 * technique (First: measure, Last: reorder, Invert: translate back to where
 * they were, Play: transition the translation away), scores tick to their new
 * values, and new rows fade in. No dependencies, no build step; everything from
 * the server is written with textContent. The helpers both pages use (elements, the
 * connection pill, the FLIP slide) are in web/shared/live.js.
 */
import {
  byId,
  dropRows,
  measureRows,
  reducedMotion,
  setStatus,
  slideMoved,
} from "../../../web/shared/live.js";

/** @typedef {{ rank: number, skin_id: string, score: number, favorites: number }} Row */
/** @typedef {{ events: number, duplicates: number, skins: number }} Totals */
/**
 * @typedef {{ type: "snapshot", seq: number, top: number, rows: Row[], totals: Totals }
 *   | { type: "changes", seq: number, upserts: Row[], removed: string[], totals: Totals }} ServerMessage
 */

const MOVE_MS = 600;
const TICK_MS = 500;
const TREND_MS = 3000;

const tbody = /** @type {HTMLTableSectionElement} */ (byId("rows"));
const empty = byId("empty");
const totalsEl = byId("totals");
const datalist = byId("skins");
const form = /** @type {HTMLFormElement} */ (byId("vote-form"));
const skinInput = /** @type {HTMLInputElement} */ (byId("skin"));
const voteResult = byId("vote-result");

/** @type {Map<string, Row>} the board as the server last described it */
const board = new Map();
/** @type {Map<string, HTMLTableRowElement>} */
const rowEls = new Map();
const numberFormat = new Intl.NumberFormat("en");

/** @param {Totals} t */
function renderTotals(t) {
  totalsEl.textContent = `${numberFormat.format(t.events)} votes applied · ` +
    `${numberFormat.format(t.skins)} skins · ${
      numberFormat.format(t.duplicates)
    } duplicates ignored`;
}

/** @param {string} skinId */
function createRow(skinId) {
  const tr = document.createElement("tr");
  tr.dataset["skin"] = skinId;
  const rank = document.createElement("td");
  rank.className = "rank";
  const trend = document.createElement("span");
  trend.className = "trend";
  trend.setAttribute("aria-hidden", "true");
  rank.append(document.createElement("span"), trend);
  const skin = document.createElement("td");
  skin.className = "skin";
  skin.textContent = skinId;
  const score = document.createElement("td");
  score.className = "num score";
  const favorites = document.createElement("td");
  favorites.className = "num fav";
  tr.append(rank, skin, score, favorites);
  tr.classList.add("entering");
  tr.addEventListener("animationend", (e) => {
    if (e.animationName === "fade-in") tr.classList.remove("entering");
  });
  return tr;
}

/**
 * Counts a number cell from its shown value to `to`.
 * @param {HTMLElement} cell
 * @param {number} to
 */
function tick(cell, to) {
  const from = Number(cell.dataset["value"] ?? to);
  cell.dataset["value"] = String(to);
  if (from === to || reducedMotion.matches) {
    cell.textContent = numberFormat.format(to);
    return;
  }
  cell.classList.remove("bump");
  void cell.offsetWidth; // restart the bump animation
  cell.classList.add("bump");
  const t0 = performance.now();
  const step = (/** @type {number} */ now) => {
    if (cell.dataset["value"] !== String(to)) return; // a newer tick took over
    const p = Math.min(1, (now - t0) / TICK_MS);
    const eased = 1 - (1 - p) ** 3;
    cell.textContent = numberFormat.format(Math.round(from + (to - from) * eased));
    if (p < 1) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

/** @type {WeakMap<HTMLTableRowElement, ReturnType<typeof setTimeout>>} */
const trendTimers = new WeakMap();

/**
 * Marks a row as rising or falling (colour and ▲/▼) for a few seconds.
 * @param {HTMLTableRowElement} tr
 * @param {Row} row
 * @param {number} before
 */
function showTrend(tr, row, before) {
  const trend = /** @type {HTMLElement} */ (tr.cells[0]?.lastElementChild);
  const rising = row.rank < before;
  tr.classList.toggle("rising", rising);
  tr.classList.toggle("falling", !rising);
  trend.textContent = rising ? "▲" : "▼";
  tr.setAttribute(
    "aria-label",
    `${row.skin_id}: rank ${row.rank}, ${rising ? "up" : "down"} from ${before}`,
  );
  clearTimeout(trendTimers.get(tr));
  trendTimers.set(
    tr,
    setTimeout(() => {
      tr.classList.remove("rising", "falling");
      trend.textContent = "";
      tr.removeAttribute("aria-label");
    }, TREND_MS),
  );
}

/** Re-renders the table from `board`, animating what moved. */
function render() {
  const rows = [...board.values()].sort((a, b) => a.rank - b.rank);
  // First: where every row is now
  const { tops, ranks: oldRank } = measureRows(rowEls);

  // Last: the new order in the DOM
  dropRows(rowEls, new Set(rows.map((r) => r.skin_id)));
  for (const [index, row] of rows.entries()) {
    let tr = rowEls.get(row.skin_id);
    if (tr === undefined) {
      tr = createRow(row.skin_id);
      rowEls.set(row.skin_id, tr);
    }
    const [rankCell, , scoreCell, favCell] = tr.cells;
    const rankText = /** @type {HTMLElement} */ (rankCell?.firstElementChild);
    rankText.textContent = String(row.rank);
    tick(/** @type {HTMLElement} */ (scoreCell), row.score);
    tick(/** @type {HTMLElement} */ (favCell), row.favorites);
    const before = oldRank.get(row.skin_id);
    if (before !== undefined && before !== row.rank) showTrend(tr, row, before);
    tr.dataset["rank"] = String(row.rank);
    // move a row only when it is out of place: re-inserting a node restarts its animations
    const here = tbody.children[index] ?? null;
    if (here !== tr) tbody.insertBefore(tr, here);
  }
  empty.hidden = rows.length > 0;
  datalist.replaceChildren(...rows.map((r) => {
    const option = document.createElement("option");
    option.value = r.skin_id;
    return option;
  }));
  // Invert and Play
  slideMoved(rowEls, tops, MOVE_MS);
}

/** @param {ServerMessage} message */
function apply(message) {
  if (message.type === "snapshot") {
    board.clear();
    for (const row of message.rows) board.set(row.skin_id, row);
  } else if (message.type === "changes") {
    for (const id of message.removed) board.delete(id);
    for (const row of message.upserts) board.set(row.skin_id, row);
  } else return;
  renderTotals(message.totals);
  render();
}

let retryMs = 500;

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/ws`);
  socket.addEventListener("open", () => {
    retryMs = 500;
    setStatus("live", "live");
  });
  socket.addEventListener("message", (event) => {
    if (typeof event.data !== "string") return;
    /** @type {ServerMessage} */
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    apply(message);
  });
  socket.addEventListener("close", () => {
    const wait = retryMs;
    retryMs = Math.min(retryMs * 2, 10_000);
    setStatus("reconnecting", `reconnecting in ${Math.round(wait / 1000) || 1} s…`);
    setTimeout(connect, wait);
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const submitter = /** @type {HTMLButtonElement | null} */ (
    /** @type {SubmitEvent} */ (event).submitter
  );
  const kind = submitter?.value ?? "up";
  const skinId = skinInput.value.trim();
  if (!skinInput.checkValidity()) {
    voteResult.textContent = "Skin ids are 1–32 of a–z, 0–9, - and _.";
    return;
  }
  voteResult.textContent = "sending…";
  try {
    const response = await fetch("/api/vote", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ skin_id: skinId, kind }),
      credentials: "same-origin",
    });
    const body = await response.json().catch(() => ({}));
    voteResult.textContent = response.ok
      ? `${kind} vote for ${skinId} sent.`
      : `Not sent: ${typeof body.error === "string" ? body.error : response.statusText}`;
  } catch {
    voteResult.textContent = "Not sent: the server did not answer.";
  }
});

connect();
