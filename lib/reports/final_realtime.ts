/**
 * Section 5 of the final report: real-time deployment, monitoring and drift,
 * from the ingest and real-time bench JSON, the monitoring snapshot that
 * `deno task monitor` prints, the drill JSON and the alert and monitoring
 * configs. Every input is optional: a missing one makes its part say which
 * command writes it.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import type { Alert } from "../records/mod.ts";
import type { DriftEpisode, MonitorSnapshot } from "../monitoring/mod.ts";
import { int, monitorRows, note, type RealtimeInputs, SPEED_GOALS } from "./final_inputs.ts";
import { esc, htmlTable } from "../render/html.ts";
import { dateOf, fmt } from "../render/markdown.ts";

const verdict = (ok: boolean) => (ok ? "met" : "missed");

function goalsTable(x: RealtimeInputs): string {
  const g = SPEED_GOALS, b = x.bench.result, r = x.realtime.result;
  const rows: string[][] = [];
  if (b !== null) {
    rows.push([
      `ingest: replay → validate → store → commit (${int(b.readings)} readings)`,
      `≥ ${int(g.ingestReadingsPerS)} readings/s over ≥ ${int(g.ingestMinReadings)}`,
      `${int(b.readings_per_s)} readings/s`,
      verdict(b.readings_per_s >= g.ingestReadingsPerS && b.readings >= g.ingestMinReadings),
    ]);
    rows.push([
      "ingest: peak resident memory",
      `< ${g.rssMb} MB`,
      `${fmt(b.peak_rss_mb, 0)} MB`,
      verdict(b.peak_rss_mb < g.rssMb),
    ]);
  }
  if (r !== null) {
    const t = r.throughput, l = r.latency;
    rows.push([
      `real time: every horizon forecast (${int(t.readings)} readings, ${t.stations} stations)`,
      `≥ ${int(g.realtimeReadingsPerS)} readings/s`,
      `${int(r.readings_per_s)} readings/s (${int(t.forecasts_per_s)} forecasts/s)`,
      verdict(r.readings_per_s >= g.realtimeReadingsPerS),
    ]);
    const atGoalRate = l.target_readings_per_s === g.latencyAtReadingsPerS;
    rows.push([
      `real time: p99 reading produced → forecast readable, at ${
        int(l.achieved_readings_per_s)
      } readings/s`,
      `≤ ${g.latencyP99Ms} ms at ${int(g.latencyAtReadingsPerS)} readings/s`,
      `${int(r.latency_ms_p99)} ms (p50 ${int(r.latency_ms_p50)} ms)`,
      atGoalRate ? verdict(r.latency_ms_p99 <= g.latencyP99Ms) : "other rate",
    ]);
    rows.push([
      "real time: forecaster peak resident memory",
      `< ${g.rssMb} MB`,
      `${fmt(r.peak_rss_mb, 0)} MB`,
      verdict(r.peak_rss_mb < g.rssMb),
    ]);
  }
  const missing = [
    b === null
      ? `the ingest bench (${x.bench.path}: \`deno task bench ingest --json ${x.bench.path}\`, or --bench PATH)`
      : "",
    r === null
      ? `the real-time bench (${x.realtime.path}: \`deno task bench realtime --json ${x.realtime.path}\`, or --realtime PATH)`
      : "",
  ].filter((s) => s !== "");
  return [
    rows.length === 0 ? "" : htmlTable(["measure", "goal", "measured", ""], rows),
    missing.length === 0 ? "" : note(`Not yet measured: ${missing.join("; ")}.`),
  ].join("\n");
}

function benchDetails(x: RealtimeInputs): string {
  const b = x.bench.result, r = x.realtime.result;
  const parts: string[] = [];
  if (b !== null) {
    const time = Object.entries(b.consumer_time_ms ?? {}).sort((p, q) => q[1] - p[1]);
    const total = (b.consumer_seconds ?? b.seconds) * 1000;
    parts.push(
      `Ingest ran ${fmt(b.seconds, 1)} s${
        b.machine === undefined ? "" : ` on ${b.machine.cpus} CPUs`
      }; in the same run the broker's own perf tools moved ${
        int(b.broker_producer_perf_per_s)
      } msg/s (producer) and ${
        int(b.broker_consumer_perf_per_s)
      } msg/s (consumer), so Kafka is not the bound: our Deno processes are.${
        b.consumer_only_per_s === undefined || b.producer_only_per_s === undefined
          ? ""
          : ` Alone, the consumer stores ${
            int(b.consumer_only_per_s)
          } readings/s and the producer sends ${
            int(b.producer_only_per_s)
          }; together they share the CPUs.`
      }${
        time.length === 0
          ? ""
          : ` The consumer's time went to ${
            time.slice(0, 3).map(([k, ms]) =>
              `${esc(k.replaceAll("_", " "))} ${fmt(100 * ms / total, 0)} %`
            )
              .join(", ")
          }; the rest is kafkajs fetching and decoding.`
      }`,
    );
  }
  if (r !== null) {
    const t = r.throughput, l = r.latency;
    parts.push(
      `The real-time bench (Kafka ${esc(r.kafka_version)}, ${r.machine.cpus} CPUs, Deno ${
        esc(r.machine.deno)
      }) made ${
        fmt(t.forecasts_per_reading, 0)
      } forecasts per reading; the forecaster's memory went from ${
        fmt(t.rss_mb_first_quarter, 0)
      } MB (median of the first quarter) to ${
        fmt(t.rss_mb_last_quarter, 0)
      } MB (last quarter). Latency: ${int(l.measured_readings)} readings over ${
        fmt(l.seconds, 0)
      } s at ${int(l.achieved_readings_per_s)} of ${
        int(l.target_readings_per_s)
      } readings/s asked, mean ${int(l.latency_ms_mean)} ms, max ${int(l.latency_ms_max)} ms.`,
    );
  }
  return parts.length === 0 ? "" : `<p>${parts.join(" ")}</p>`;
}

function monitorPart(x: RealtimeInputs): string {
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

function alertDesign(x: RealtimeInputs): string {
  const a = x.alerts, m = x.monitoring;
  const limits = a.limits.map((l) =>
    `${esc(l.label)} (${l.threshold} ${esc(l.unit)}, ${l.severity}${
      l.earlyWarning ? ", with early warning" : ""
    })`
  ).join("; ");
  return `<p><b>Alert design</b> (config/alerts.json, config/monitoring.json). Pollution: ${limits}. An exceedance resolves only below ${
    fmt(100 * (1 - a.hysteresis.fraction), 0)
  } % of its threshold, then the same station and limit stay quiet for ${a.cooldown.hours} h of event time; an 8-hour mean needs ${
    a.minValidHours["8h"]
  } valid hours and a 24-hour mean ${
    a.minValidHours["24h"]
  }. Early warnings fire when the forecast interval puts the probability of an exceedance within the horizon at ${
    fmt(100 * a.earlyWarning.probability, 0)
  } % or more and clear below ${fmt(100 * a.earlyWarning.clearProbability, 0)} %${
    a.earlyWarning.useBaseline ? "" : "; persistence stand-ins never warn"
  }. Model drift: live MAE / offline MAE over a full window of ${m.errors.windowForecasts} forecasts warns at ${m.maeRatio.warning}×, is critical at ${m.maeRatio.critical}× and resolves below ${m.maeRatio.resolve}×; a Page-Hinkley test on normalised absolute errors (δ ${m.pageHinkley.delta}, λ ${m.pageHinkley.lambda}) catches sudden changes; each input's PSI over ${m.psi.windowH} h against the training window warns at ${m.psi.warning}. Every alert episode has a deterministic id, fires once, escalates at most once and resolves once.</p>`;
}

function exactlyOnce(x: RealtimeInputs): string {
  const done = x.drills.filter((d) => d.result !== null);
  const missing = x.drills.filter((d) => d.result === null);
  const drills = done.map((d) => {
    const r = d.result!;
    return [
      r.drill,
      int(r.produced),
      int(r.stored_readings),
      String(r.kills),
      String(r.kills_mid_stream),
      int(r.duplicates_absorbed),
      fmt(r.seconds, 0),
      r.ok ? "every reading stored once" : "FAILED",
    ];
  });
  return [
    `<p><b>Exactly once.</b> The consumer commits offsets only after its idempotent upsert; the forecaster publishes a batch's forecasts and estimates and commits its consumed offsets in one Kafka transaction, so read_committed readers see exactly one forecast per reading, target (${x.forecast.targets.length}) and horizon (${
      x.forecast.horizonsH.map((h) => `${h} h`).join(", ")
    }). Evidence: the reliability drills below, and the forecaster's tests on the real broker — <code>tests/realtime/forecaster_test.ts</code> ("kill -9 mid-stream and restart: still exactly one forecast per reading, target and horizon"; "crash with the transaction open: its records are in the log but never read_committed") and <code>tests/realtime/parity_test.ts</code> (a Kafka replay of a slice equals the offline predictions of the same models).</p>`,
    drills.length === 0 ? "" : htmlTable(
      [
        "drill",
        "produced",
        "stored",
        "kills",
        "mid-stream",
        "duplicates absorbed",
        "seconds",
        "",
      ],
      drills,
    ),
    missing.length === 0 ? "" : note(
      `Not run: ${
        missing.map((d) =>
          `${d.path} (\`deno task drill ${
            d.path.split("/").at(-1)!.replace(/^drill-|\.json$/g, "")
          } --json ${d.path}\`)`
        ).join("; ")
      }.`,
    ),
  ].join("\n");
}

/** Renders section 5's body (without its heading); `figure` is the monitor figure's HTML or "". */
export function realtimeSection(x: RealtimeInputs, figure: string): string {
  const q = Object.entries(x.qualityAlerts);
  return [
    `<p>The forecaster joins its own consumer group on the raw topic, keeps per-station feature state and, for every reading, publishes one forecast per target and horizon (with a 90 % interval) and a virtual-sensor estimate for each missing reference value; alerts and a monitoring snapshot are stored in the same write as the forecasts, before the Kafka commit. <code>deno task dashboard</code> shows it all live.</p>`,
    `<h3>Speed and size against the goals</h3>`,
    goalsTable(x),
    benchDetails(x),
    `<h3>Live model monitoring and drift</h3>`,
    monitorPart(x),
    episodesPart(x),
    figure,
    `<p>Data quality: over the whole file the consumer's monitor raises ${
      q.reduce((s, [, n]) => s + n, 0)
    } alerts (${
      q.map(([k, v]) => `${esc(k)} ${v}`).join(", ")
    }). Calibration drift of the cheap sensors (section 3) is why the models are refit walk-forward and the live error is watched.</p>`,
    alertDesign(x),
    exactlyOnce(x),
  ].join("\n");
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
function episodesPart(x: RealtimeInputs): string {
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
    const errors = eps.filter((e) => e.detector !== "psi");
    const mae = of("mae_ratio").filter((e) => e.level !== null && e.level_all !== null);
    if (errors.length > 0) {
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
      parts.push(
        `Forecast-error episodes fired from ${day(first.fired_ts)} to ${day(last.fired_ts)} (${
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
        }`,
      );
    }
    const psi = of("psi");
    if (psi.length > 0) {
      const early = psi.filter((e) =>
        Date.parse(e.fired_ts) - Date.parse(from ?? e.fired_ts) < 14 * 86_400_000
      );
      parts.push(
        `${early.length} of the ${psi.length} PSI episodes fired in the first two weeks, while the ${m.settings.psi_window_h}-hour input window held little more than its minimum of a week of readings (one week of one weather regime against a longer reference); ${
          early.filter((e) => e.resolved_ts !== null).length
        } of them resolved as the window filled. The ones still firing (${
          open.filter((e) => e.detector === "psi").map((e) => e.field).join(", ")
        }) compare the last 30 days with the first training window${
          w === null ? "" : ` (${dateOf(w.from)} to ${dateOf(w.to)})`
        }, which the weekly refits do not move: the season changed in between.`,
      );
    }
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
