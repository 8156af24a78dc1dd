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
import { episodesPart, monitorPart } from "./final_monitoring.ts";
import { int, note, type RealtimeInputs, SPEED_GOALS } from "./final_inputs.ts";
import { esc, htmlTable } from "../render/html.ts";
import { fmt } from "../render/markdown.ts";

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
