/**
 * Section 5's monitoring part of the final report (./final_realtime.ts): the
 * live monitor's snapshot (counts, live against offline MAE, the largest
 * PSI, the alerts), where the monitored hours lie against the training
 * window, and the drift episodes the detectors opened.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import type { Alert } from "../records/mod.ts";
import type { DriftEpisode, MonitorSnapshot } from "../monitoring/mod.ts";
import { int, monitorRows, note, type RealtimeInputs } from "./final_inputs.ts";
import { esc, htmlTable } from "../render/html.ts";
import { dateOf, fmt } from "../render/markdown.ts";

/** The monitoring snapshot: counts, the live against the offline MAE, the largest PSI, the alerts. */
export function monitorPart(x: RealtimeInputs): string {
  const o = x.monitor.output;
  if (o === null) {
    return note(
      `No monitoring snapshot at ${x.monitor.path}: run the forecaster (\`deno task forecast --db var/airq.db\`) on a replay, then \`deno task monitor --db var/airq.db > ${x.monitor.path}\` and rebuild this report (--monitor PATH).`,
    );
  }
  const m = o.monitor, s = m.settings, c = m.counts;
  const stations = Object.entries(m.stations);
  const psi = psiRows(stations, s.psi_warning);
  const rows = monitorRows(m);
  return [
    `<p>The monitoring snapshot after a replay through the live forecaster: ${
      stations.length === 1 ? "one station" : `${stations.length} stations`
    }, readings from ${dateOf(m.event_range.from ?? "–")} to ${dateOf(m.event_range.to ?? "–")}, ${
      int(c.readings)
    } readings, ${int(c.scored_model)} model and ${
      int(c.scored_baseline)
    } baseline forecasts scored (${
      int(c.unscored_missing_actual)
    } not scored: actual missing). Overall drift state: <b>${
      esc(m.drift)
    }</b>, ${m.alerts_firing} drift alert(s) firing. Live MAE rolls over the last ${s.window_forecasts} forecasts; offline MAE is the evaluation's <code>${
      esc(s.expected_model)
    }</code> row; MAE and ratio are means over the stations.${inSample(m)}</p>`,
    htmlTable(
      [
        "target",
        "horizon",
        "scored",
        "live MAE",
        "MAE all",
        "offline MAE",
        "ratio",
        "baseline live MAE",
        "Page-Hinkley detections",
        "worst state",
      ],
      rows.map((r) => [
        r.target,
        `${r.horizon} h`,
        int(r.scored),
        fmt(r.live, 3),
        fmt(r.all, 3),
        fmt(r.expected, 3),
        fmt(r.ratio, 2),
        fmt(r.baselineLive, 3),
        String(r.detections),
        r.worst,
      ]),
    ),
    psi.length === 0 ? "" : htmlTable(
      ["input (largest PSI)", "PSI", "station", `stations ≥ ${s.psi_warning}`],
      psi.map((p) => [p.field, fmt(p.top!.h.psi!, 2), p.top!.id, String(p.over)]),
    ),
    alertsParagraph(o),
  ].join("\n");
}

/** The inputs with the largest PSI (top 5): the station where it is largest, and how many stations are over the warning. */
function psiRows(
  stations: [string, MonitorSnapshot["stations"][string]][],
  warning: number,
) {
  return Object.keys(stations[0]?.[1].inputs ?? {}).map((field) => {
    const at = stations.map(([id, st]) => ({ id, h: st.inputs[field as keyof typeof st.inputs]! }));
    const judged = at.filter((a) => a.h.psi !== null);
    const top = judged.reduce<(typeof at)[number] | null>(
      (w, a) => (w === null || a.h.psi! > w.h.psi! ? a : w),
      null,
    );
    return { field, top, over: judged.filter((a) => a.h.psi! >= warning).length };
  }).filter((p) => p.top !== null).sort((a, b) => b.top!.h.psi! - a.top!.h.psi!).slice(0, 5);
}

/** What the store and the monitor raised, and the latest alert events by kind. */
function alertsParagraph(o: NonNullable<RealtimeInputs["monitor"]["output"]>): string {
  const c = o.monitor.counts;
  const byKind = new Map<string, { firing: number; resolved: number; severities: Set<string> }>();
  for (const a of o.recent_alerts as Alert[]) {
    const k = byKind.get(a.kind) ?? { firing: 0, resolved: 0, severities: new Set() };
    k[a.state]++;
    if (a.state === "firing") k.severities.add(a.severity);
    byKind.set(a.kind, k);
  }
  return `<p>Alerts: ${
    o.store === null
      ? ""
      : `the store holds ${int(o.store.forecasts)} forecasts, ${
        int(o.store.estimates)
      } estimates and ${int(o.store.alerts)} alert events; `
  }the monitor emitted ${int(c.alerts_emitted)} drift alert events (${
    int(c.page_hinkley_detections)
  } Page-Hinkley detections). ${
    byKind.size === 0
      ? ""
      : `Of the latest ${o.recent_alerts.length} alert events: ${
        [...byKind].map(([kind, k]) =>
          `${esc(kind)} ${k.firing} firing${
            k.severities.size === 0 ? "" : ` (${[...k.severities].join(", ")})`
          }, ${k.resolved} resolved`
        ).join("; ")
      }.`
  }</p>`;
}

/** "CO(GT) 6 h", "t_c": what an episode watched. */
const watched = (e: DriftEpisode) =>
  e.target === null ? e.field : `${e.target} ${e.horizon_h ?? "?"} h`;

/** `iso`'s calendar day in the station's own time (the `ts` of a reading carries its offset). */
const day = (iso: string) => dateOf(iso);

/**
 * Where the monitored hours lie against the training window, and what the
 * drift detectors flagged there, episode by episode (with `--episodes`).
 */
export function episodesPart(x: RealtimeInputs): string {
  const o = x.monitor.output;
  if (o === null) return "";
  const m = o.monitor, w = m.settings.reference_window;
  const parts: string[] = [];
  const from = m.event_range.from, to = m.event_range.to;
  if (w !== null && from !== null && Date.parse(from) >= Date.parse(w.to)) {
    const events = m.retraining?.events ?? [];
    parts.push(
      `<b>Out of sample:</b> every monitored hour (${day(from)} to ${
        day(to ?? from)
      }, the evaluation's test window) comes after the window the deployed models were first trained on (${
        dateOf(w.from)
      } to ${
        dateOf(w.to)
      }), and the forecaster refit weekly from the store as in a deployment: ${events.length} refits, ${
        events.filter((e) => e.promoted).length
      } promoted.`,
    );
  }
  const eps = o.drift_episodes;
  if (eps !== undefined) {
    const of = (d: DriftEpisode["detector"]) => eps.filter((e) => e.detector === d);
    const open = eps.filter((e) => e.resolved_ts === null);
    const critical = eps.filter((e) => e.severity === "critical").length;
    parts.push(
      `The detectors opened ${eps.length} drift episodes (${
        critical === 0 ? "none critical" : `${critical} critical`
      }): ${of("page_hinkley").length} Page-Hinkley, ${of("mae_ratio").length} MAE-ratio, ${
        of("psi").length
      } PSI; ${open.length} still firing at the end (${open.map(watched).join(", ") || "none"}).`,
    );
    const error = errorEpisodesText(m, eps.filter((e) => e.detector !== "psi"), of("mae_ratio"));
    if (error !== null) parts.push(error);
    const psiText = psiEpisodesText(m, of("psi"), open, from);
    if (psiText !== null) parts.push(psiText);
  }
  return parts.length === 0 ? "" : `<p>${parts.join(" ")}</p>`;
}

/**
 * A warning when the monitored readings overlap the window the deployed
 * models were trained on: live errors there are in-sample, so ratios below 1
 * say nothing about how the models generalise.
 */
function inSample(
  m: { event_range: { from: string | null; to: string | null } } & {
    settings: { reference_window: { from: string; to: string } | null };
  },
): string {
  const w = m.settings.reference_window;
  const from = Date.parse(m.event_range.from ?? "");
  const to = Date.parse(m.event_range.to ?? "");
  if (w === null || !Number.isFinite(from) || !Number.isFinite(to)) return "";
  const overlapFrom = Math.max(from, Date.parse(w.from));
  const overlapTo = Math.min(to, Date.parse(w.to));
  if (!(overlapTo > overlapFrom)) return "";
  const hours = Math.round((overlapTo - overlapFrom) / 3_600_000);
  return ` <b>In-sample:</b> ${hours.toLocaleString("en-US")} of these hours lie inside the ` +
    `models' training window (${dateOf(w.from)} to ${
      dateOf(w.to)
    }), where the live MAE (the rolling ` +
    `window included) measures fit, not forecasting skill; the offline MAE comes from the ` +
    `walk-forward test window, models refitted without those hours.`;
}

/** The forecast-error episodes: when they fired, and whether they were high-pollution spells; null without any. */
function errorEpisodesText(
  m: MonitorSnapshot,
  errors: DriftEpisode[],
  maeEpisodes: DriftEpisode[],
): string | null {
  if (errors.length === 0) return null;
  const mae = maeEpisodes.filter((e) => e.level !== null && e.level_all !== null);
  const first = errors[0]!, last = errors.at(-1)!;
  const resolved = errors.map((e) => e.resolved_ts).filter((t) => t !== null).sort().at(-1);
  // the live all-time MAE against the offline MAE, worst target and horizon
  const rows = monitorRows(m).filter((r) => Number.isFinite(r.all) && r.expected > 0);
  const gap = rows.length === 0
    ? null
    : Math.max(...rows.map((r) => Math.abs(r.all / r.expected - 1)));
  const ratio = mae.length === 0
    ? null
    : mae.reduce((sum, e) => sum + e.level! / e.level_all!, 0) / mae.length;
  return (`Forecast-error episodes fired from ${day(first.fired_ts)} to ${day(last.fired_ts)} (${
    [...new Set(errors.map((e) => e.target))].join(", ")
  })${resolved === undefined ? "" : ` and had all resolved by ${day(resolved)}`}.${
    ratio === null
      ? ""
      : ` Over the MAE-ratio episodes' evidence windows the pollutant stood at ${
        fmt(ratio, 2)
      }× its mean over the whole window: errors grow with the level, so these are the high-pollution spells of the winter${
        gap === null
          ? ""
          : `, not a model going stale (over the whole window the live MAE is within ${
            fmt(gap * 100, 1)
          } % of the offline MAE at every target and horizon)`
      }.`
  }`);
}

/** The PSI episodes: how many fired while the input window was filling, and what the open ones compare; null without any. */
function psiEpisodesText(
  m: MonitorSnapshot,
  psi: DriftEpisode[],
  open: DriftEpisode[],
  from: string | null,
): string | null {
  if (psi.length === 0) return null;
  const w = m.settings.reference_window;
  const early = psi.filter((e) =>
    Date.parse(e.fired_ts) - Date.parse(from ?? e.fired_ts) < 14 * 86_400_000
  );
  return (`${early.length} of the ${psi.length} PSI episodes fired in the first two weeks, while the ${m.settings.psi_window_h}-hour input window held little more than its minimum of a week of readings (one week of one weather regime against a longer reference); ${
    early.filter((e) => e.resolved_ts !== null).length
  } of them resolved as the window filled. The ones still firing (${
    open.filter((e) => e.detector === "psi").map((e) => e.field).join(", ")
  }) compare the last 30 days with the first training window${
    w === null ? "" : ` (${dateOf(w.from)} to ${dateOf(w.to)})`
  }, which the weekly refits do not move: the season changed in between.`);
}
