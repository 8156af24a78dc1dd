/**
 * The final report (`deno task report`): one printable HTML page (at most 10
 * A4 pages) built only from airq's own outputs — the analysis, the
 * preprocessing statistics, the topic, consumer, alert and monitoring
 * configs, the evaluation JSON, the bench JSON (ingest and real time), the
 * monitoring snapshot and the drill JSON. A missing input makes its section
 * say so; no number is typed in by hand.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import { findTopicByRole, type TopicsConfig } from "../config/mod.ts";
import type { Figure } from "../render/mod.ts";
import type { EvaluationReport } from "../offline/evaluate.ts";
import type { PreprocessingStats } from "./preprocessing.ts";
import { monitorFigure, skillFigure } from "./final_figures.ts";
import { int, type RealtimeInputs, SPEED_GOALS } from "./final_inputs.ts";
import { modelSection, significant } from "./final_model.ts";
import { realtimeSection } from "./final_realtime.ts";
import { findingsOf } from "../analysis/findings.ts";
import { episodeTable, esc, figureHtml, htmlPage, htmlTable } from "../render/html.ts";
import { fmt } from "../render/markdown.ts";
import type { Analysis } from "../analysis/run.ts";

export {
  type BenchIngest,
  type BenchRealtime,
  type DrillResult,
  type MonitorOutput,
  parseMonitorOutput,
  SPEED_GOALS,
} from "./final_inputs.ts";

/** Inputs of {@linkcode finalReportHtml}; `null` means the file was not there. */
export interface FinalInputs extends RealtimeInputs {
  analysis: Analysis;
  /** The analysis figures and {@linkcode finalFigures}, rendered into `svgs` by id. */
  figures: readonly Figure[];
  svgs: ReadonlyMap<string, string>;
  preprocessing: PreprocessingStats;
  topics: TopicsConfig;
  /** `groupId` of config/consumer.json. */
  consumerGroup: string;
  evaluation: { path: string; report: EvaluationReport | null };
  dataset: string;
  date: string;
}

/** The report's own figures (skill, live monitoring) for the inputs that exist. */
export function finalFigures(
  x: Pick<FinalInputs, "evaluation" | "monitor">,
): Figure[] {
  const skill = x.evaluation.report === null ? null : skillFigure(x.evaluation.report);
  const monitor = x.monitor.output === null ? null : monitorFigure(x.monitor.output.monitor);
  return [skill, monitor].filter((f): f is Figure => f !== null);
}

/** Print layout: A4, a section per page, figures and tables kept whole, page numbers. */
const PRINT_CSS = `<style>
h3{font-size:1.05em;margin:1em 0 .3em}td:not(:first-child){white-space:nowrap}
@media print{
@page{size:A4;margin:13mm 13mm 15mm;@bottom-right{content:"airq final report · " counter(page) " / " counter(pages);font:8pt system-ui,sans-serif;color:#777}}
body{font-size:9.5pt;line-height:1.35}h1{font-size:16pt;margin:0 0 .3em}
h2{break-before:page;font-size:13pt;margin-top:0}h2.same-page{break-before:auto;margin-top:1.2em}
h3{break-after:avoid}table{font-size:7.5pt}thead{display:table-header-group}
tr,figure,table,.note{break-inside:avoid}p,li{orphans:3;widows:3}
figure{margin:.4em 0}figure h3{margin:.2em 0}figure svg{max-height:68mm;width:auto;max-width:100%}
details>summary{display:none}}
</style>`;

const members = (ratio: number) => (ratio <= 1 ? "one member" : `${Math.ceil(ratio)} members`);

/** Recommendations for scaling, sized by the measured throughput where it exists. */
function scalingSection(x: FinalInputs): string {
  const raw = findTopicByRole(x.topics, "raw");
  const forecasts = findTopicByRole(x.topics, "forecasts");
  const replication = [...new Set(x.topics.topics.map((t) => t.replicationFactor))];
  const b = x.bench.result, rt = x.realtime.result;
  const perConsumer = b === null ? null : b.consumer_only_per_s ?? b.readings_per_s;
  const consumers = perConsumer === null || !(perConsumer > 0)
    ? ""
    : ` One consumer stores ${int(perConsumer)} readings/s${
      b?.consumer_only_per_s === undefined ? " end to end" : " alone"
    }, so the ingest goal of ${int(SPEED_GOALS.ingestReadingsPerS)} needs ${
      members(SPEED_GOALS.ingestReadingsPerS / perConsumer)
    } on cores of their own.`;
  const forecasters = rt === null || !(rt.readings_per_s > 0)
    ? ""
    : ` At the measured ${int(rt.readings_per_s)} readings/s per forecaster, ${
      int(SPEED_GOALS.realtimeReadingsPerS)
    } readings/s need ${members(SPEED_GOALS.realtimeReadingsPerS / rt.readings_per_s)}${
      raw !== undefined && Math.ceil(SPEED_GOALS.realtimeReadingsPerS / rt.readings_per_s) >
          raw.partitions
        ? ", more than the raw topic's partitions: the per-reading cost has to come down too"
        : ""
    }.`;
  return [
    `<h3>Scaling</h3><ul>`,
    `<li>Partitions: the raw topic has ${
      raw?.partitions ?? "n/a"
    } partitions and the forecasts topic ${
      forecasts?.partitions ?? "n/a"
    }: at most that many members of one group share the work, and readings are keyed by station, so each station stays in order on one partition.${consumers} More stations need a new topic with more partitions (adding partitions to a live topic moves keys and breaks per-station order during the move).</li>`,
    `<li>Consumer groups: one group per purpose reads the same topics independently (storage: <code>${
      esc(x.consumerGroup)
    }</code>; the forecaster's own group; the dashboard). The storage group scales by adding members up to the partition count. The forecaster group scales the same way: each raw partition has its own transactional producer (its id names the partition), so a partition's new owner fences the old one and several forecasters can share the group; the benchmark ran one.${forecasters}</li>`,
    `<li>External clusters: set AIRQ_KAFKA_BROKERS (TLS and SASL supported) and no local broker is started; raise the replication factor (${
      replication.join(", ")
    } today) to 3 with min.insync.replicas 2. The local single-node broker is for development.</li>`,
    `<li>PostgreSQL: SQLite has one writer; <code>--db postgres://…</code> (consumer, forecaster, monitor, quality) stores into PostgreSQL with the same idempotent upserts, so several consumer members can write at once.</li></ul>`,
  ].join("\n");
}

/** Renders the final report. */
export function finalReportHtml(x: FinalInputs): string {
  const a = x.analysis, f = findingsOf(a), pre = x.preprocessing;
  const fig = (id: string) => {
    const figure = x.figures.find((g) => g.id === id);
    return figure === undefined ? "" : figureHtml(figure, x.svgs.get(id) ?? "");
  };
  const ps = f.pollutants;
  const list = (fn: (p: (typeof ps)[number]) => string) => ps.map(fn).join("; ");
  const ev = x.evaluation.report, rt = x.realtime.result, mon = x.monitor.output;
  const used = [
    ["evaluation", ev !== null, x.evaluation.path],
    ["ingest bench", x.bench.result !== null, x.bench.path],
    ["real-time bench", rt !== null, x.realtime.path],
    ["monitoring snapshot", mon !== null, x.monitor.path],
    ...x.drills.map((d) => ["drill", d.result !== null, d.path] as const),
  ] as const;
  const skill = (h: number) => {
    const at = ev?.results.filter((r) => r.model === "best" && r.horizon_h === h) ?? [];
    return at.reduce((s, r) => s + r.skill, 0) / at.length;
  };
  const body = [
    PRINT_CSS,
    `<h1>airq — final report</h1>`,
    `<p>Built by <code>deno task report</code> on ${esc(x.date)} from <code>${
      esc(x.dataset)
    }</code>, config/*.json and ${
      used.map(([what, ok, path]) =>
        ok ? `${what} <code>${esc(path)}</code>` : `${what} (absent: ${esc(path)})`
      ).join(", ")
    }.</p>`,
    `<h2 id="summary" class="same-page">1. Executive summary and business context</h2>`,
    `<p>City environmental teams need trustworthy cleaned data, early warnings before a pollutant crosses a legal limit, and forecasts for the next hours and day, from a network of low-cost sensors. airq streams one station's readings (${pre.rows} hourly rows, ${
      esc(a.range.first)
    } to ${
      esc(a.range.last)
    }, replayed as many virtual stations) through Apache Kafka, validates and stores them exactly once, analyses them, forecasts CO, NOx, NO2 and benzene ${
      x.forecast.horizonsH.map((h) => `${h} h`).join(", ")
    } ahead in real time, raises alerts and watches its own errors for drift.</p>`,
    `<ul><li>Data: ${pre.valid} readings valid, ${pre.dead_letters} dead letters; reference analysers missing ${
      list((p) => `${p.name} ${fmt(p.missingPct)} %`)
    }.</li>`,
    `<li>Drivers: weekday peaks at ${
      list((p) => `${p.name} ${p.peakHour}:00`)
    }; weekends lower by ${list((p) => `${fmt(p.weekendDropPct, 0)} %`)}; daily cycle explains ${
      list((p) => `${fmt(p.sharesPct.daily, 0)} %`)
    } of hourly variance.</li>`,
    `<li>Forecasts: ${
      ev === null
        ? "evaluation JSON absent (section 4)"
        : `mean skill over the naive baselines ${
          x.forecast.horizonsH.map((h) => `${fmt(skill(h), 2)} at ${h} h`).join(", ")
        } on the test window; ${significant(ev)} (section 4)`
    }.</li>`,
    `<li>Throughput: ${
      x.bench.result === null
        ? "ingest not yet measured"
        : `${int(x.bench.result.readings_per_s)} readings/s end to end (goal ${
          int(SPEED_GOALS.ingestReadingsPerS)
        })`
    }; ${
      rt === null
        ? "real-time forecasting not yet benchmarked"
        : `forecasting ${int(rt.readings_per_s)} readings/s (goal ${
          int(SPEED_GOALS.realtimeReadingsPerS)
        }), p99 latency ${int(rt.latency_ms_p99)} ms (goal ${SPEED_GOALS.latencyP99Ms})`
    }. Live drift: ${
      mon === null ? "no monitoring snapshot yet" : `${esc(mon.monitor.drift)} (section 5)`
    }.</li></ul>`,
    `<h2 id="architecture" class="same-page">2. Architecture and infrastructure</h2>`,
    `<p>One thin entry script per process around pure libraries; producer → raw topic (key = station id) → consumer group that validates with zod, cleans (-200 → missing with flags), upserts idempotently into SQLite in one transaction per batch, dead-letters bad messages with a reason, and commits offsets only after the write. The forecaster reads the same raw topic in its own group and writes forecasts, estimates and alerts in Kafka transactions. Topics are created explicitly (auto-creation off):</p>`,
    htmlTable(
      ["topic", "role", "partitions", "replication", "retention (days)", "cleanup"],
      x.topics.topics.map((t) => [
        t.name,
        t.role,
        String(t.partitions),
        String(t.replicationFactor),
        t.configs["retention.ms"] === undefined
          ? ""
          : fmt(Number(t.configs["retention.ms"]) / 86_400_000, 0),
        t.configs["cleanup.policy"] ?? "",
      ]),
    ),
    `<p>Problems met (docs/decisions.md): JSR unreachable, so npm replacements for the std modules; kafkajs 2.2.4 against Kafka 4 (old protocol versions removed; compatibility proved by a test on the real broker), its idempotent producer limited to one request in flight, coordinator-loading errors logged as errors, a negative-timeout warning; one batch of forecasts overflowed the broker's message size, so sends are chunked; Deno needs --allow-all to read /proc, so the broker manager asks ps and ss.</p>`,
    `<h2 id="data">3. Data intelligence</h2>`,
    htmlTable(
      ["column", "missing %", "longest gap (h)", "outages ≥ 24 h"],
      pre.columns.map((
        c,
      ) => [c.column, fmt(c.missing_pct, 1), String(c.longest_gap_h), String(c.outages_24h)]),
    ),
    fig("profiles"),
    `<p>The cheap sensors follow the references closely (${
      f.pairs.map((p) => `${p.reference} ↔ ${p.sensor} ρ ${fmt(p.rho, 2)}`).join("; ")
    }) but their calibration drifts: ${
      f.drift.map((d) =>
        `${d.pair} slope ${fmt(d.slopeChangePct, 0)} % from ${d.firstMonth} to ${d.lastMonth}`
      ).join("; ")
    }. ${a.episodes.length} anomalous episodes: ${
      Object.entries(f.causes).map(([k, v]) => `${v} ${k}`).join(", ")
    }.</p>`,
    fig("drift"),
    `<details><summary>Largest anomalous episodes</summary>${episodeTable(a, 8)}</details>`,
    `<h2 id="models">4. Model development and performance against the baselines</h2>`,
    modelSection(x.evaluation, fig("skill")),
    `<h2 id="realtime">5. Real-time deployment, monitoring and drift</h2>`,
    realtimeSection(x, fig("monitor")),
    `<h2 id="limitations">6. Limitations and recommendations for scaling</h2>`,
    `<h3>Limitations</h3><ul><li>One station, one year: seasonal findings rest on a single cycle, and the virtual stations of the benchmarks are copies of it; ${a.sensorOutageHours} hours without any cheap sensor.</li>`,
    `<li>Correlation p-values assume independent hours; with lag-1 autocorrelation of ${
      list((p) => fmt(p.acf.lag1, 2))
    } they are optimistic.</li>`,
    `<li>The live expectation is the evaluation's <code>best</code> row, which blends SARIMA in; the forecaster serves the ridge and trees blend alone, so the offline MAE it is judged against is somewhat optimistic.</li></ul>`,
    scalingSection(x),
  ];
  return htmlPage("airq — final report", body.join("\n"));
}
