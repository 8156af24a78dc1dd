/**
 * The final report as it is printed: `report.ts --pdf` on a slice of the real
 * file, the committed evaluation, ingest bench and drill JSON, a real-time
 * bench file and a monitoring snapshot made here (the model monitor run over
 * the slice with persistence forecasts), printed to A4 by Chromium: between 3
 * and 10 pages, every figure drawn, every section there, goals judged.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { main as report } from "../../tools/report.ts";
import {
  type BenchRealtime,
  type MonitorOutput,
  parseMonitorOutput,
} from "../../lib/reports/final.ts";
import { pdfPageCount } from "../../lib/render/pdf.ts";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { toHourlySeries } from "../../lib/features/mod.ts";
import { countDataMarks } from "../../lib/render/mod.ts";
import {
  inputReference,
  loadExpectedErrors,
  ModelMonitor,
  MONITORED_HORIZONS,
  MONITORED_TARGETS,
} from "../../lib/monitoring/mod.ts";
import type { Alert } from "../../lib/records/mod.ts";
import { UCI_PATH } from "../_data.ts";
import { uciCleanReading } from "../_uci_rows.ts";
import { CONFIG, forecast, HOUR_MS } from "../monitoring/_helpers.ts";

const ROWS = 2400;
/** The Vega figures of a page (the hand-drawn architecture diagram has no data marks). */
const svgsOf = (html: string) =>
  (html.match(/<svg[\s\S]*?<\/svg>/g) ?? []).filter((s) => !s.includes("airq architecture"));

/** The first `ROWS` data rows of the real file, in its raw format (CRLF, header). */
async function slice(dir: string): Promise<string> {
  const text = await readFile(UCI_PATH, "utf8");
  const path = join(dir, "slice.csv");
  await writeFile(path, text.split("\r\n").slice(0, ROWS + 1).join("\r\n") + "\r\n");
  return path;
}

/** What `deno task monitor` would print after persistence forecasts for every slice hour. */
async function monitorOutput(input: string): Promise<MonitorOutput> {
  const rows = await Array.fromAsync(readUciFile(input, { utcOffset: "+01:00" }));
  const series = toHourlySeries(rows);
  const evaluation = JSON.parse(await readFile("docs/reports/evaluation.json", "utf8"));
  const monitor = new ModelMonitor(CONFIG, {
    expected: loadExpectedErrors(evaluation),
    reference: inputReference(series, { from: 0, to: 1000, createdAt: "2026-01-01T00:00:00Z" }),
  });
  const alerts: Alert[] = [];
  const t0 = rows[0]!.epochMs;
  let forecasts = 0;
  rows.forEach((row, t) => {
    alerts.push(...monitor.observe(uciCleanReading(row, t, "airq.readings.raw"), row.epochMs));
    const records = MONITORED_TARGETS.flatMap(({ target, field }) =>
      MONITORED_HORIZONS.map((h) => ({
        ...forecast((row.epochMs - t0) / HOUR_MS, target, h, row.measurements[field]),
        ts: row.ts,
      }))
    );
    forecasts += records.length;
    monitor.forecasts(records);
  });
  return {
    db: "var/airq.db",
    updated_at: "2026-01-01T00:00:00.000Z",
    age_s: 0.5,
    store: { forecasts, estimates: 0, alerts: alerts.length },
    monitor: monitor.snapshot(),
    recent_alerts: alerts.slice(-20).reverse(),
  };
}

/** A real-time bench result in the format `deno task bench realtime --json` writes. */
const REALTIME: BenchRealtime = {
  readings_per_s: 21_500,
  latency_ms_p50: 9,
  latency_ms_p99: 31,
  peak_rss_mb: 212.4,
  kafka_producer_perf_per_s: 200_000,
  ratio_to_kafka_producer_perf: 0.1075,
  forecast_set_bytes: 1900,
  throughput: {
    readings: 280_710,
    stations: 30,
    members: 1,
    raw_partitions: 6,
    forecasts_per_reading: 12,
    seconds: 13.06,
    seconds_with_startup: 14.1,
    forecasts_per_s: 258_000,
    rss_mb_first_quarter: 180.2,
    rss_mb_last_quarter: 183.9,
    forecaster_summary: {},
    peak_rss_mb_all_members: 212.4,
  },
  latency: {
    target_readings_per_s: 1000,
    achieved_readings_per_s: 998,
    seconds: 30,
    warmup_s: 5,
    measured_readings: 25_000,
    latency_ms_mean: 10.2,
    latency_ms_max: 64,
    peak_rss_mb: 190.1,
    forecaster_summary: {},
  },
  kafka_version: "4.1.2",
  machine: { cpus: 2, deno: "2.9.6" },
};

Deno.test("report.ts --pdf --png: the final report prints on 3 to 10 A4 pages, each rendered to PNG, every figure drawn", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-final-" });
  try {
    const input = await slice(dir);
    const monitorPath = join(dir, "monitor.json");
    await writeFile(monitorPath, JSON.stringify(await monitorOutput(input)));
    const realtimePath = join(dir, "bench-realtime.json");
    await writeFile(realtimePath, JSON.stringify(REALTIME));
    const out = join(dir, "final");
    const args = [
      ["--input", input, "--out", out, "--pdf", "--png"],
      ["--evaluation", "docs/reports/evaluation.json", "--bench", "docs/reports/bench-ingest.json"],
      ["--realtime", realtimePath, "--monitor", monitorPath],
    ].flat();
    assert.equal(await report(args), 0);

    const html = await readFile(join(out, "index.html"), "utf8");
    for (
      const h of [
        "1. Executive summary",
        "2. Architecture",
        "3. Data intelligence",
        "4. Model development",
        "5. Real-time deployment, monitoring and drift",
        "6. Conclusions: limitations, lessons learned, scaling",
        "Key findings",
        "Recommendations",
        "Why these choices",
        "Challenges and solutions",
        "Lessons learned",
        "Features",
        "RMSE best",
        "Speed and size against the goals",
        "Live model monitoring and drift",
        "Alert design",
        "Exactly once",
        "tests/realtime/forecaster_test.ts",
        "tests/realtime/parity_test.ts",
        "AIRQ_KAFKA_BROKERS",
        "postgres://",
      ]
    ) assert.ok(html.includes(h), h);
    // judged against the goals, from the inputs: 21,500 readings/s met, p99 31 ms missed
    assert.match(html, /21,500 readings\/s[^<]*<\/td><td>met/);
    assert.match(html, /31 ms \(p50 9 ms\)<\/td><td>missed/);
    // the alert limits come from config/alerts.json, the drill from its JSON
    const alerts = JSON.parse(await readFile("config/alerts.json", "utf8"));
    assert.ok(html.includes(`${alerts.limits[0].label} (${alerts.limits[0].threshold} `));
    const drill = JSON.parse(await readFile("docs/reports/drill-consumer-kill.json", "utf8"));
    assert.ok(html.includes(drill.produced.toLocaleString("en-US")));
    assert.ok(!html.includes("NaN") && !html.includes("undefined"));
    assert.ok(!html.includes("No monitoring snapshot") && !html.includes("needs the evaluation"));

    const svgs = svgsOf(html);
    for (const id of ["architecture", "exceedances", "profiles", "drift", "skill", "monitor"]) {
      assert.ok(html.includes(`id="fig-${id}"`), `figure ${id}`);
    }
    assert.equal(svgs.length, 5);
    // What a reader sees has no machine paths and no raw ISO timestamps.
    const text = html.replace(/<svg[\s\S]*?<\/svg>/g, "").replace(/<style>[\s\S]*?<\/style>/g, "");
    assert.doesNotMatch(text, /\/(tmp|root|home)\//, "no machine paths");
    assert.doesNotMatch(text, /\d{4}-\d{2}-\d{2}T\d{2}/, "no raw ISO timestamps");
    for (const svg of svgs) assert.ok(countDataMarks(svg) > 0 && !svg.includes("NaN"));

    const pages = pdfPageCount(await Deno.readFile(join(out, "index.pdf")));
    assert.ok(pages >= 3 && pages <= 10, `${pages} pages`);
    // every printed page was rendered, as a PNG with content (not a blank page)
    for (let n = 1; n <= pages; n++) {
      const png = await Deno.readFile(join(out, `page-${n}.png`));
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], `page-${n}.png is a PNG`);
      assert.ok(png.length > 5_000, `page-${n}.png has content (${png.length} bytes)`);
    }
    await assert.rejects(Deno.stat(join(out, `page-${pages + 1}.png`)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseMonitorOutput takes `deno task monitor` output or a bare snapshot, names a wrong file", () => {
  const snapshot = {
    format: "airq-model-monitor",
    version: 1,
    drift: "none",
    alerts_firing: 0,
    event_range: { from: null, to: null },
    settings: {
      window_forecasts: 168,
      mae_ratio_warning: 1.5,
      mae_ratio_critical: 2,
      page_hinkley: { delta: 0.25, lambda: 40 },
      psi_window_h: 720,
      psi_warning: 0.25,
      expected_model: "best",
      expected_baseline: "persistence",
      reference_window: null,
    },
    counts: Object.fromEntries(
      [
        "readings",
        "forecasts",
        "forecasts_without_value",
        "forecasts_ignored",
        "forecasts_stale",
        "forecasts_duplicate",
        "forecasts_expired",
        "readings_late",
        "scored_model",
        "scored_baseline",
        "unscored_missing_actual",
        "page_hinkley_detections",
        "alerts_emitted",
      ].map((k) => [k, 0]),
    ),
    stations: {},
  };
  assert.equal(parseMonitorOutput(snapshot, "x.json").store, null);
  const printed = {
    db: "var/airq.db",
    updated_at: "2026-01-01T00:00:00.000Z",
    age_s: 1,
    store: { forecasts: 1, estimates: 2, alerts: 3 },
    monitor: snapshot,
    recent_alerts: [],
  };
  assert.deepEqual(parseMonitorOutput(printed, "x.json").store, printed.store);
  assert.throws(() => parseMonitorOutput({ db: 1 }, "var/m.json"), /var\/m\.json/);
});

Deno.test("pdfPageCount counts /Type /Page objects, not /Pages, and refuses what is not a PDF", () => {
  const pdf = new TextEncoder().encode(
    "%PDF-1.4\n1 0 obj <</Type /Pages /Count 2>>\n2 0 obj <</Type /Page>>\n3 0 obj <</Type/Page/Parent 1 0 R>>\n",
  );
  assert.equal(pdfPageCount(pdf), 2);
  assert.throws(() => pdfPageCount(new TextEncoder().encode("<html>")), RangeError);
  assert.throws(() => pdfPageCount(new TextEncoder().encode("%PDF-1.4\n")), RangeError);
});
