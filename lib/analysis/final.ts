/**
 * The final report (`deno task report`): one printable HTML page built only
 * from airq's own outputs — the analysis, the preprocessing statistics, the
 * topic configuration, the evaluation JSON and the bench JSON. A missing input
 * makes its section say so; no number is typed in by hand.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import type { TopicsConfig } from "../config/mod.ts";
import type { Figure } from "../figures/mod.ts";
import type { EvaluationReport } from "../forecast/evaluate.ts";
import { GOALS } from "../forecast/report.ts";
import type { PreprocessingStats } from "../reports/preprocessing.ts";
import { findingsOf } from "./findings.ts";
import { episodeTable, esc, figureHtml, htmlPage, htmlTable } from "./html.ts";
import { fmt } from "./markdown.ts";
import type { Analysis } from "./run.ts";

/** What `deno task bench ingest --json PATH` writes (the fields the report reads). */
export interface BenchIngest {
  readings: number;
  seconds: number;
  readings_per_s: number;
  peak_rss_mb: number;
  broker_producer_perf_per_s: number;
  broker_consumer_perf_per_s: number;
}

/** Inputs of {@linkcode finalReportHtml}; `null` means the file was not there. */
export interface FinalInputs {
  analysis: Analysis;
  figures: readonly Figure[];
  svgs: ReadonlyMap<string, string>;
  preprocessing: PreprocessingStats;
  topics: TopicsConfig;
  evaluation: { path: string; report: EvaluationReport | null };
  bench: { path: string; result: BenchIngest | null };
  dataset: string;
  date: string;
}

const pv = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));
const note = (text: string) => `<p class="note">${esc(text)}</p>`;

function modelSection(ev: FinalInputs["evaluation"]): string {
  const r = ev.report;
  if (r === null) {
    return note(
      `Not available: this section needs the evaluation JSON (${ev.path}), written by \`deno task evaluate --json ${ev.path}\`. Pass another file with --evaluation PATH.`,
    );
  }
  const best = r.results.filter((x) => x.model === "best");
  const horizons = [...new Set(best.map((x) => x.horizon_h))];
  const means = horizons.map((h) => {
    const at = best.filter((x) => x.horizon_h === h);
    const mean = at.reduce((s, x) => s + x.skill, 0) / at.length;
    const goal = GOALS.meanSkill[h];
    return [
      `${h} h`,
      fmt(mean, 3),
      goal === undefined ? "none" : `≥ ${goal}`,
      goal === undefined ? "" : mean >= goal ? "met" : "missed",
    ];
  });
  const w = r.warning_no2_200;
  return [
    `<p>Walk-forward on the fixed test window ${esc(r.test_window.from)} to ${
      esc(r.test_window.to)
    }, ${r.protocol.refits} refits every ${r.protocol.refit_every_h} h; skill = 1 − MAE(model)/min(MAE persistence, MAE seasonal naive 24 h). Significance: Diebold-Mariano (HLN) against the better naive baseline; 95 % bootstrap intervals on skill.</p>`,
    htmlTable(["horizon", "mean skill of best", "goal", ""], means),
    htmlTable(
      ["target", "horizon", "MAE", "skill", "skill 95 % CI", "DM p", "90 % PI coverage"],
      best.map((x) => [
        x.target,
        `${x.horizon_h} h`,
        fmt(x.mae, 3),
        fmt(x.skill, 3),
        x.skill_ci95 === null ? "" : `${fmt(x.skill_ci95[0], 3)} – ${fmt(x.skill_ci95[1], 3)}`,
        x.dm === null ? "" : pv(x.dm.p_value),
        fmt(100 * x.interval_coverage, 1) + " %",
      ]),
    ),
    htmlTable(
      ["virtual sensor", "n", "MAE", "goal"],
      r.nowcast.map((
        x,
      ) => [
        x.target,
        String(x.n),
        fmt(x.mae, 3),
        GOALS.nowcastMae[x.target] === undefined ? "" : `≤ ${GOALS.nowcastMae[x.target]}`,
      ]),
    ),
    `<p>NO2 &gt; 200 µg/m³ within the next hour (${w.events} events in ${w.n} hours): F1 ${
      fmt(w.f1, 3)
    } (precision ${fmt(w.precision, 3)}, recall ${fmt(w.recall, 3)}) against persistence's ${
      fmt(w.persistence_f1, 3)
    }.</p>`,
  ].join("\n");
}

function benchSection(b: FinalInputs["bench"]): string {
  const r = b.result;
  if (r === null) {
    return note(
      `Not yet measured: no bench JSON at ${b.path}. Run \`deno task bench ingest --json ${b.path}\` and rebuild this report (--bench PATH).`,
    );
  }
  return htmlTable(
    [
      "readings",
      "seconds",
      "readings/s end to end",
      "peak RSS (MB)",
      "broker producer perf (msg/s)",
      "broker consumer perf (msg/s)",
    ],
    [[
      String(r.readings),
      fmt(r.seconds, 1),
      String(r.readings_per_s),
      String(r.peak_rss_mb),
      String(r.broker_producer_perf_per_s),
      String(r.broker_consumer_perf_per_s),
    ]],
  );
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
  const body = [
    `<h1>airq — final report</h1>`,
    `<p>Built by <code>deno task report</code> on ${esc(x.date)} from <code>${
      esc(x.dataset)
    }</code>, <code>config/topics.json</code>, the evaluation JSON (${
      x.evaluation.report === null ? "absent" : esc(x.evaluation.path)
    }) and the bench JSON (${x.bench.result === null ? "absent" : esc(x.bench.path)}).</p>`,
    `<h2>1. Executive summary and business context</h2>`,
    `<p>City environmental teams need trustworthy cleaned data, early warnings before a pollutant crosses a legal limit, and forecasts for the next hours and day, from a network of low-cost sensors. airq streams one station's readings (${pre.rows} hourly rows, ${
      esc(a.range.first)
    } to ${
      esc(a.range.last)
    }) through Apache Kafka, validates and stores them exactly once, analyses them and forecasts CO, NOx, NO2 and benzene.</p>`,
    `<ul><li>Data: ${pre.valid} readings valid, ${pre.dead_letters} dead letters; reference analysers missing ${
      list((p) => `${p.name} ${fmt(p.missingPct)} %`)
    }.</li>`,
    `<li>Drivers: weekday peaks at ${
      list((p) => `${p.name} ${p.peakHour}:00`)
    }; weekends lower by ${list((p) => `${fmt(p.weekendDropPct, 0)} %`)}; daily cycle explains ${
      list((p) => `${fmt(p.sharesPct.daily, 0)} %`)
    } of hourly variance.</li>`,
    `<li>Forecasts: ${
      x.evaluation.report === null
        ? "evaluation JSON absent (section 4)"
        : "see section 4 for skill against persistence and seasonal naive, with significance"
    }. Throughput: ${
      x.bench.result === null
        ? "not yet measured"
        : `${x.bench.result.readings_per_s} readings/s end to end`
    }.</li></ul>`,
    `<h2>2. Architecture and infrastructure</h2>`,
    `<p>One thin entry script per process around pure libraries; producer → raw topic (key = station id) → consumer group that validates with zod, cleans (-200 → missing with flags), upserts idempotently into SQLite in one transaction per batch, dead-letters bad messages with a reason, and commits offsets only after the write. Topics are created explicitly (auto-creation off):</p>`,
    htmlTable(
      ["topic", "role", "partitions", "retention (days)", "cleanup"],
      x.topics.topics.map((t) => [
        t.name,
        t.role,
        String(t.partitions),
        t.configs["retention.ms"] === undefined
          ? ""
          : fmt(Number(t.configs["retention.ms"]) / 86_400_000, 0),
        t.configs["cleanup.policy"] ?? "",
      ]),
    ),
    `<p>Problems met (docs/decisions.md): JSR unreachable, so npm replacements for the std modules; kafkajs 2.2.4 against Kafka 4 (old protocol versions removed; compatibility proved by a test on the real broker), its idempotent producer limited to one request in flight, coordinator-loading errors logged as errors, a negative-timeout warning; Deno needs --allow-all to read /proc, so the broker manager asks ps and ss.</p>`,
    `<h2>3. Data intelligence</h2>`,
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
    `<h2>4. Model development and performance against the baselines</h2>`,
    modelSection(x.evaluation),
    `<h2>5. Real-time deployment, monitoring and drift</h2>`,
    benchSection(x.bench),
    `<p>Monitoring: the consumer's data-quality monitor raised ${
      Object.values(pre.alerts).reduce((s, n) => s + n, 0)
    } alerts over the file (${
      Object.entries(pre.alerts).map(([k, v]) => `${esc(k)} ${v}`).join(", ")
    }). Sensor drift (section 3) is the main reason to refit walk-forward and watch live error.</p>`,
    `<h2>6. Limitations and recommendations for scaling</h2>`,
    `<ul><li>One station, one year: seasonal findings rest on a single cycle; ${a.sensorOutageHours} hours without any cheap sensor.</li>`,
    `<li>Correlation p-values assume independent hours; with lag-1 autocorrelation of ${
      list((p) => fmt(p.acf.lag1, 2))
    } they are optimistic.</li>`,
    `<li>Partitions: the raw topic has ${
      x.topics.topics.find((t) => t.role === "raw")?.partitions ?? "n/a"
    } partitions, so at most that many consumers of one group share the work; more stations need a new topic with more partitions (adding partitions moves keys).</li>`,
    `<li>Consumer groups: one group per purpose (storage, forecasting, dashboard) reads the same topics independently; scale a group by adding members up to the partition count.</li>`,
    `<li>External clusters: set AIRQ_KAFKA_BROKERS (TLS/SASL supported) and raise the replication factor above 1; the local single-node broker is for development.</li>`,
    `<li>PostgreSQL: SQLite has one writer; several consumer members writing at once need PostgreSQL with the same idempotent upsert on (station, hour).</li></ul>`,
  ];
  return htmlPage("airq — final report", body.join("\n"));
}
