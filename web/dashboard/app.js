// @ts-check
/// <reference lib="dom" />
/**
 * The dashboard page: follows the server's snapshots over Server-Sent Events
 * and renders them. Every text from the server goes through textContent (see
 * format.js); the station ranking glides with FLIP (web/shared/live.js, shared
 * with the leaderboard page).
 * No build step, no framework; charts with uPlot when it is available.
 */
import { Chart, loadCharts, PALETTE } from "./charts.js";
import { el, num, pct, stationTime } from "./format.js";
import { byId, dropRows, measureRows, setStatus, slideMoved } from "../../web/shared/live.js";

const MOVE_MS = 600;
const TREND_MS = 3000;

/** @type {any} the last snapshot */
let snap = null;
const rankRows = /** @type {Map<string, HTMLTableRowElement>} */ (new Map());
const seenAlerts = new Set();
let firstAlerts = true;
const historyChart = new Chart(byId("history-chart"));
/** @type {Map<string, Chart>} */
const forecastCharts = new Map();
const targetSelect = /** @type {HTMLSelectElement} */ (byId("forecast-target"));

/** @param {string} field */
function pollutant(field) {
  return snap.pollutants.find((/** @type {any} */ p) => p.field === field);
}

/** @param {string} field */
function label(field) {
  return pollutant(field)?.label ?? field;
}

/**
 * Level of a value against a pollutant's limits: "exceeded" (EU limit), "advisory"
 * (WHO guideline), "ok", with the sentence shown.
 * @param {any} p pollutant config
 * @param {any} now pollutant state
 */
function level(p, now) {
  const valueFor = (/** @type {any} */ l) =>
    l.averaging === "1h"
      ? now.value
      : l.averaging === "8h"
      ? now.mean_8h
      : l.averaging === "24h"
      ? now.mean_24h
      : null;
  for (const l of p.limits.filter((/** @type {any} */ l) => l.kind === "limit")) {
    const v = valueFor(l);
    if (v !== null && v > l.value) return { level: "exceeded", text: `above the ${l.source}` };
  }
  for (const l of p.limits.filter((/** @type {any} */ l) => l.kind === "guideline")) {
    const v = valueFor(l);
    if (v !== null && v > l.value) return { level: "advisory", text: `above the ${l.source}` };
  }
  if (p.limits.length === 0) return { level: "none", text: "no health limit for this quantity" };
  return { level: "ok", text: "within limits and guidelines" };
}

function renderNow() {
  const station = snap.stations.find((/** @type {any} */ s) => s.station_id === snap.focus_station);
  byId("focus").textContent = snap.focus_station ?? "—";
  byId("now-empty").hidden = station !== undefined;
  const cards = byId("cards");
  if (station === undefined) return cards.replaceChildren();
  cards.replaceChildren(...snap.pollutants.map((/** @type {any} */ p) => {
    const now = station.pollutants.find((/** @type {any} */ x) => x.field === p.field);
    const card = el("div", "card");
    card.dataset["field"] = p.field;
    const shown = now.value ?? now.estimate;
    const value = el("div", "value", num(shown));
    value.append(el("span", "unit", p.unit));
    const lv = level(p, now);
    const lvl = el(
      "div",
      "level",
      now.value === null && now.estimate === null ? "missing this hour" : lv.text,
    );
    lvl.dataset["level"] = lv.level;
    card.append(el("div", "label", p.label), value, lvl);
    const scale = Math.max(...p.limits.map((/** @type {any} */ l) => l.value), shown ?? 0) * 1.1;
    if (p.limits.length > 0 && scale > 0) {
      const bar = el("div", "bar");
      bar.setAttribute("role", "img");
      bar.setAttribute(
        "aria-label",
        `${num(shown)} ${p.unit}; ${
          p.limits.map((/** @type {any} */ l) => `${l.source} ${l.value}`).join(", ")
        }`,
      );
      const fill = el("div", "fill");
      fill.dataset["level"] = lv.level;
      fill.style.width = `${Math.min(100, ((shown ?? 0) / scale) * 100)}%`;
      bar.append(fill);
      for (const l of p.limits) {
        const mark = el("div", `mark ${l.kind}`);
        mark.style.left = `${(l.value / scale) * 100}%`;
        mark.title = `${l.source}: ${l.value} ${p.unit} (${l.averaging} mean)`;
        bar.append(mark);
      }
      card.append(bar);
    }
    const details = [];
    if (now.estimate !== null && now.value === null) details.push("virtual-sensor estimate");
    if (now.mean_8h !== null) details.push(`8-h mean ${num(now.mean_8h)}`);
    if (now.mean_24h !== null) details.push(`24-h mean ${num(now.mean_24h)}`);
    card.append(el("div", "detail", details.join(" · ") || "means need more hours of data"));
    return card;
  }));
}

function renderHistory() {
  const hist = snap.history.slice(0, PALETTE.length);
  byId("history-empty").hidden = hist.length > 0;
  if (hist.length === 0) return historyChart.clear();
  const times = [...new Set(hist.flatMap((/** @type {any} */ h) => h.ts_ms))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const series = hist.map((/** @type {any} */ h) => {
    const column = new Array(times.length).fill(null);
    h.ts_ms.forEach((/** @type {number} */ t, /** @type {number} */ i) => {
      column[/** @type {number} */ (index.get(t))] = h.values["no2_ug_m3"]?.[i] ?? null;
    });
    return column;
  });
  const no2 = pollutant("no2_ug_m3");
  const lines = (no2?.limits ?? []).filter((/** @type {any} */ l) =>
    l.averaging === "1h" || l.kind === "guideline"
  );
  historyChart.render({
    offset: snap.utc_offset,
    yLabel: "NO₂ µg/m³",
    series: [
      ...hist.map((/** @type {any} */ h, /** @type {number} */ i) => ({
        label: h.station_id,
        color: PALETTE[i] ?? "#000",
        width: h.station_id === snap.focus_station ? 2.5 : 1.2,
      })),
      ...lines.map((/** @type {any} */ l) => ({
        label: `${l.source} (${l.value})`,
        color: l.kind === "limit" ? "#d55e00" : "#57606a",
        dash: l.kind === "limit" ? [8, 4] : [2, 4],
      })),
    ],
    data: [
      times.map((t) => t / 1000),
      ...series,
      ...lines.map((/** @type {any} */ l) => times.map(() => l.value)),
    ],
  });
}

function renderRanking() {
  const tbody = byId("ranking-rows");
  const ranking = snap.ranking;
  byId("ranking-empty").hidden = ranking.length > 0;
  const { tops, ranks: oldRank } = measureRows(rankRows);
  dropRows(rankRows, new Set(ranking.map((/** @type {any} */ r) => r.station_id)));
  ranking.forEach((/** @type {any} */ r, /** @type {number} */ i) => {
    let tr = rankRows.get(r.station_id);
    if (tr === undefined) {
      tr = /** @type {HTMLTableRowElement} */ (el("tr"));
      tr.dataset["station"] = r.station_id;
      const rank = el("td", "rank");
      rank.append(el("span"), el("span", "trend"));
      tr.append(
        rank,
        el("td", "station", r.station_id),
        el("td", "num index"),
        el("td", "driver"),
        el("td", "num no2"),
        el("td", "num co"),
      );
      rankRows.set(r.station_id, tr);
    }
    const station = snap.stations.find((/** @type {any} */ s) => s.station_id === r.station_id);
    const value = (/** @type {string} */ f) =>
      station?.pollutants.find((/** @type {any} */ p) => p.field === f)?.value ?? null;
    const cells = tr.cells;
    /** @type {HTMLElement} */ (cells[0]?.firstElementChild).textContent = String(r.rank);
    /** @type {HTMLElement} */ (cells[2]).textContent = pct(r.index);
    /** @type {HTMLElement} */ (cells[3]).textContent = r.driver === null ? "—" : label(r.driver);
    /** @type {HTMLElement} */ (cells[4]).textContent = num(value("no2_ug_m3"));
    /** @type {HTMLElement} */ (cells[5]).textContent = num(value("co_mg_m3"));
    const before = oldRank.get(r.station_id);
    if (before !== undefined && before !== r.rank) {
      const rising = r.rank < before;
      tr.classList.toggle("rising", rising);
      tr.classList.toggle("falling", !rising);
      /** @type {HTMLElement} */ (cells[0]?.lastElementChild).textContent = rising ? "▲" : "▼";
      const row = tr;
      clearTimeout(Number(row.dataset["trendTimer"] ?? 0));
      row.dataset["trendTimer"] = String(setTimeout(() => {
        row.classList.remove("rising", "falling");
        /** @type {HTMLElement} */ (row.cells[0]?.lastElementChild).textContent = "";
      }, TREND_MS));
    }
    tr.dataset["rank"] = String(r.rank);
    const here = tbody.children[i] ?? null;
    if (here !== tr) tbody.insertBefore(tr, here);
  });
  slideMoved(rankRows, tops, MOVE_MS);
}

function renderAlerts() {
  const list = byId("alerts");
  const { recent, firing, received } = snap.alerts;
  byId("alerts-empty").hidden = recent.length > 0;
  byId("alerts-count").textContent = received > 0 ? `(${firing} firing)` : "";
  list.replaceChildren(...recent.map((/** @type {any} */ a) => {
    const li = el("li");
    const id = `${a.alert_id}|${a.state}|${a.severity}`;
    li.dataset["severity"] = a.severity;
    li.dataset["state"] = a.state;
    li.dataset["kind"] = a.kind;
    if (!seenAlerts.has(id) && !firstAlerts) li.classList.add("new");
    seenAlerts.add(id);
    const head = el("div");
    head.append(
      el("span", "badge", a.state === "resolved" ? `resolved` : a.severity),
      el("span", "reason", a.reason),
    );
    const where = [a.kind, a.station_id ?? "pipeline", a.field ? label(a.field) : null]
      .filter(Boolean).join(" · ");
    const when = Date.parse(a.event_ts);
    li.append(
      head,
      el(
        "div",
        "meta",
        `${where} · ${Number.isNaN(when) ? a.event_ts : stationTime(when, snap.utc_offset)}`,
      ),
    );
    return li;
  }));
  firstAlerts = false;
}

/**
 * @param {HTMLElement} dl
 * @param {[string, string][]} rows
 */
function stats(dl, rows) {
  dl.replaceChildren(...rows.flatMap(([k, v]) => [el("dt", "", k), el("dd", "", v)]));
}

function renderHealth() {
  const h = snap.health;
  const reasons = Object.entries(h.dead_letter_reasons).map(([r, n]) => `${r} ${n}`).join(", ");
  const unreadable = Object.entries(h.unreadable).map(([r, n]) => `${r} ${n}`).join(", ");
  const topics = Object.entries(h.topics).map(([r, ok]) => `${r} ${ok ? "✓" : "✗ (not yet)"}`).join(
    ", ",
  );
  /** @type {[string, string][]} */
  const rows = [
    ["Readings arriving", `${num(h.readings_per_s)} /s`],
    ["Readings seen", num(h.readings_total)],
    [
      "Consumer lag",
      h.lag === null
        ? "checking…"
        : h.lag.lag === null
        ? `group ${h.lag.group} has not committed yet`
        : `${num(h.lag.lag)} messages (group ${h.lag.group})`,
    ],
    [
      "Dead letters",
      h.dead_letters_total === 0 ? "none" : `${num(h.dead_letters_total)} (${reasons})`,
    ],
  ];
  if (unreadable) rows.push(["Rejected by validation", unreadable]);
  if (h.store !== null) {
    rows.push([
      "Store",
      `${num(h.store.stored_readings)} readings, ${h.store.stations} stations, ${
        num(h.store.dead_letters)
      } dead letters`,
    ]);
  }
  rows.push(["Topics", topics || "checking…"]);
  if (h.feed_error) rows.push(["Problem", h.feed_error]);
  stats(byId("health"), rows);
  stats(
    byId("missing"),
    Object.entries(h.missing_24h).map((
      [f, r],
    ) => [label(f), r === null ? "waiting for data" : pct(r)]),
  );
}

function renderForecasts() {
  const f = snap.forecasts;
  const empty = byId("forecast-empty");
  const has = f.series.length > 0;
  empty.hidden = has;
  empty.textContent = f.exists
    ? `No forecasts yet — start the forecaster (topic ${f.topic} exists, nothing on it for ${
      snap.focus_station ?? "any station"
    } yet).`
    : `No forecasts yet — start the forecaster (waiting for topic ${f.topic}).`;
  byId("forecast-controls").hidden = !has;
  if (!has) {
    for (const c of forecastCharts.values()) c.clear();
    forecastCharts.clear();
    byId("forecast-charts").replaceChildren();
    return;
  }
  const fields = [...new Set(f.series.map((/** @type {any} */ s) => s.field))];
  if (targetSelect.options.length !== fields.length) {
    const current = targetSelect.value;
    targetSelect.replaceChildren(...fields.map((field) => {
      const o = /** @type {HTMLOptionElement} */ (el("option", "", label(String(field))));
      o.value = String(field);
      return o;
    }));
    if (fields.includes(current)) targetSelect.value = current;
  }
  const field = targetSelect.value || String(fields[0]);
  const series = f.series.filter((/** @type {any} */ s) => s.field === field);
  byId("forecast-model").textContent = series[0]
    ? `model ${series[0].model_version ?? "unknown"}${
      series[0].baseline ? " (baseline while features warm up)" : ""
    } · ${snap.focus_station}`
    : "";
  const container = byId("forecast-charts");
  const wanted = new Set(series.map((/** @type {any} */ s) => `${s.field}|${s.horizon_h}`));
  for (const [key, chart] of forecastCharts) {
    if (!wanted.has(key)) {
      chart.clear();
      chart.container.parentElement?.remove();
      forecastCharts.delete(key);
    }
  }
  const unit = pollutant(field)?.unit ?? "";
  for (const s of series) {
    const key = `${s.field}|${s.horizon_h}`;
    let chart = forecastCharts.get(key);
    if (chart === undefined) {
      const fig = el("figure");
      fig.append(el("figcaption", "", `${label(s.field)}, ${s.horizon_h} h ahead`));
      const box = el("div", "chart");
      fig.append(box);
      container.append(fig);
      chart = new Chart(box);
      forecastCharts.set(key, chart);
    }
    const pts = s.points;
    chart.render({
      offset: snap.utc_offset,
      height: 180,
      yLabel: unit,
      series: [
        { label: "upper", color: "rgba(86,180,233,0.6)", width: 0.5 },
        { label: "lower", color: "rgba(86,180,233,0.6)", width: 0.5 },
        { label: "forecast", color: PALETTE[0] ?? "#0072b2", width: 2 },
        { label: "actual", color: "#000000", width: 1.5, dash: [4, 3] },
      ],
      bands: [[1, 2]],
      data: [
        pts.map((/** @type {any} */ p) => p.target_ms / 1000),
        pts.map((/** @type {any} */ p) => p.upper),
        pts.map((/** @type {any} */ p) => p.lower),
        pts.map((/** @type {any} */ p) => p.value),
        pts.map((/** @type {any} */ p) => p.actual),
      ],
    });
  }
}

function renderModel() {
  const { live, drift, expected_version: expectedVersion, retraining } = snap.model;
  byId("expected-version").textContent = expectedVersion === null
    ? "Expected: no expected.json from `deno task train`."
    : `Expected: offline MAE (evaluate's best, refit weekly) of version ${expectedVersion}.`;
  byId("retraining").replaceChildren(
    ...(retraining.length === 0
      ? [el("li", "", "No retraining yet.")]
      : retraining.map((/** @type {any} */ r) =>
        el("li", r.severity === "warning" ? "warning" : "", `${r.event_ts}: ${r.reason}`)
      )),
  );
  const scored = live.filter((/** @type {any} */ l) => l.n > 0);
  byId("model-empty").hidden = scored.length > 0;
  byId("model").hidden = scored.length === 0;
  byId("model-rows").replaceChildren(...scored.map((/** @type {any} */ l) => {
    const tr = el("tr");
    tr.append(
      el("td", "", label(l.field)),
      el("td", "num", `${l.horizon_h} h`),
      el("td", "num", num(l.live_mae)),
      el("td", "num", l.expected_mae === null ? "not sent" : num(l.expected_mae)),
      el(
        "td",
        "num",
        l.expected_mae === null || l.live_mae === null ? "" : num(l.live_mae / l.expected_mae),
      ),
      el("td", "num", String(l.n)),
    );
    return tr;
  }));
  byId("drift").textContent = drift.length === 0
    ? "No drift reported."
    : drift.map((/** @type {any} */ d) =>
      `${d.state === "firing" ? "DRIFT" : "resolved"}: ${d.reason}`
    ).join(" · ");
}

function render() {
  byId("offset").textContent = `UTC${snap.utc_offset}`;
  byId("clock").textContent = snap.event_ms === null
    ? "Station time: waiting for data…"
    : `Station time ${
      stationTime(snap.event_ms, snap.utc_offset)
    } (UTC${snap.utc_offset}) · ${snap.stations.length} station(s)`;
  renderNow();
  renderRanking();
  renderAlerts();
  renderHealth();
  renderModel();
  renderHistory();
  renderForecasts();
}

targetSelect.addEventListener("change", () => snap && renderForecasts());
addEventListener("resize", () => snap && (renderHistory(), renderForecasts()));

function connect() {
  const source = new EventSource("/events");
  source.addEventListener("open", () => setStatus("live", "live"));
  source.addEventListener("snapshot", (event) => {
    try {
      snap = JSON.parse(/** @type {MessageEvent} */ (event).data);
    } catch {
      return;
    }
    document.body.dataset["version"] = String(snap.version);
    render();
  });
  source.addEventListener("error", () => {
    setStatus("reconnecting", "reconnecting…");
  });
}

await loadCharts();
connect();
