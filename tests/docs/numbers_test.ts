/**
 * Numbers have one source: a sample of the numbers the docs quote is
 * recomputed from the generated files they come from, so a doc cannot keep a
 * number from an older run (issue 16: "179.7 s" in the docs against 99.0 s in
 * evaluation.json, 40 + 36 episodes against 69 alerts in monitor.json).
 *
 * - docs/analysis.md is exactly what `analyzeFrame` + `analysisMarkdown` give
 *   on the real file today (only the generation date may differ);
 * - the evaluation's wall time and SARIMA time, in docs/forecasting.md and
 *   docs/reports/model-report.md, are evaluation.json's;
 * - the monitoring counts in docs/monitoring.md are monitor.json's (in sample) and
 *   monitor-test-window.json's (the test window, out of sample), and the final
 *   report's are the test window's;
 * - the realtime bench's headline in docs/realtime.md is bench-realtime.json's;
 * - the NO2 exceedance hours in docs/alerts.md are the analysis's count.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import {
  ANALYSIS_CONFIG_FILE,
  AnalysisConfigSchema,
  analyzeFrame,
  countableLimits,
  frameFromRows,
} from "../../lib/analysis/mod.ts";
import { ALERTS_CONFIG_FILE, AlertsConfigSchema } from "../../lib/alerts/mod.ts";
import { CONFIG_DIR, loadConfig } from "../../lib/config/mod.ts";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { RealtimeResultSchema } from "../../lib/records/mod.ts";
import { MonitorEpisodesOutputSchema } from "../../lib/monitoring/mod.ts";
import { analysisMarkdown } from "../../lib/render/mod.ts";
import { UCI_PATH } from "../_data.ts";

const text = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), "utf8");
const json = async (path: string) => JSON.parse(await text(path));
const int = (n: number) => n.toLocaleString("en-US");

Deno.test("docs/analysis.md is what the analysis of the real file gives today", async () => {
  const config = await loadConfig(new URL(ANALYSIS_CONFIG_FILE, CONFIG_DIR), AnalysisConfigSchema);
  const alerts = await loadConfig(new URL(ALERTS_CONFIG_FILE, CONFIG_DIR), AlertsConfigSchema);
  const rows = await Array.fromAsync(readUciFile(UCI_PATH));
  const analysis = analyzeFrame(frameFromRows(rows), config, countableLimits(alerts.limits));
  const committed = await text("docs/analysis.md");
  const date = /on (\d{1,2} \w+ \d{4}) from/.exec(committed)?.[1];
  assert.ok(date !== undefined, "docs/analysis.md names its generation date");
  const fresh = analysisMarkdown(analysis, {
    dataset: "AirQualityUCI.csv",
    date: new Date(`${date} 12:00 UTC`).toISOString().slice(0, 10),
    figuresLink: "reports/analysis/index.html",
  });
  // deno fmt may rewrap; compare the words.
  const words = (s: string) => s.split(/\s+/).filter((w) => w !== "");
  assert.deepEqual(words(committed), words(fresh), "run `deno task analyze` and commit");
});

Deno.test("the evaluation's timings in the docs are evaluation.json's", async () => {
  const ev = await json("docs/reports/evaluation.json");
  const total = (ev.timings_ms.total / 1000).toFixed(1);
  const sarima = (ev.timings_ms.sarima / 1000).toFixed(1);
  for (const doc of ["docs/forecasting.md", "docs/reports/model-report.md"]) {
    const words = (await text(doc)).replace(/\s+/g, " ");
    assert.ok(words.includes(`${total} s, of which SARIMA ${sarima} s`), `${doc}: ${total} s`);
  }
});

Deno.test("docs/monitoring.md quotes monitor.json's counts", async () => {
  const m = (await json("docs/reports/monitor.json")).monitor;
  const doc = (await text("docs/monitoring.md")).replace(/\s+/g, " ");
  for (
    const quoted of [
      `${int(m.counts.readings)} readings`,
      `${int(m.counts.scored_model)} model forecasts scored`,
      `${m.counts.page_hinkley_detections} Page-Hinkley detections`,
      `${m.counts.alerts_emitted} drift alert events`,
      `drift state is \`${m.drift}\``,
    ]
  ) assert.ok(doc.includes(quoted), `docs/monitoring.md says "${quoted}"`);
});

Deno.test("docs/monitoring.md and the final report quote monitor-test-window.json", async () => {
  const out = MonitorEpisodesOutputSchema.parse(
    await json("docs/reports/monitor-test-window.json"),
  );
  const m = out.monitor, eps = out.drift_episodes;
  const doc = (await text("docs/monitoring.md")).replace(/\s+/g, " ");
  const of = (d: string) => eps.filter((e) => e.detector === d).length;
  const open = eps.filter((e) => e.resolved_ts === null);
  const mae = eps.filter((e) => e.detector === "mae_ratio");
  const levelRatio = mae.reduce((s, e) => s + e.level! / e.level_all!, 0) / mae.length;
  const events = m.retraining?.events ?? [];
  const gap = Math.max(
    ...Object.values(m.stations).flatMap((st) =>
      st.forecasts.map((f) => Math.abs(f.mae_all! / f.expected_mae! - 1))
    ),
  );
  const critical = eps.filter((e) => e.severity === "critical").length;
  const ah = eps.find((e) => e.detector === "psi" && e.field === "ah")!;
  const early = eps.filter((e) =>
    e.detector === "psi" &&
    Date.parse(e.fired_ts) - Date.parse(m.event_range.from!) < 14 * 86_400_000
  );
  for (
    const quoted of [
      `${int(m.counts.readings)} readings, ${int(m.counts.scored_model)} model forecasts scored`,
      `${m.counts.page_hinkley_detections} Page-Hinkley detections and ${m.counts.alerts_emitted} drift alert events`,
      `in ${eps.length} episodes: ${of("page_hinkley")} Page-Hinkley, ${
        of("mae_ratio")
      } MAE-ratio and ${of("psi")} PSI, ${critical === 0 ? "none" : critical} critical`,
      `drift state is \`${m.drift}\`, with ${open.length} episodes still firing`,
      `All ${events.length} weekly refits were promoted`,
      `within ${(gap * 100).toFixed(1)} % of evaluate's`,
      `on average ${levelRatio.toFixed(2)}x its mean`,
      `PSI ${ah.value.toFixed(2)} when it fired`,
      `${early.length} of the ${of("psi")} PSI episodes`,
    ]
  ) assert.ok(doc.includes(quoted), `docs/monitoring.md says "${quoted}"`);
  assert.ok(events.every((e) => e.promoted));
  // the final report's monitoring section is the test window's
  const report = (await text("docs/reports/final/index.html")).replace(/<[^>]+>/g, "");
  for (
    const quoted of [
      `${int(m.counts.readings)} readings, ${int(m.counts.scored_model)} model`,
      `opened ${eps.length} drift episodes`,
      `stood at ${levelRatio.toFixed(2)}× its mean`,
      "Out of sample:",
    ]
  ) assert.ok(report.includes(quoted), `the final report says "${quoted}"`);
});

Deno.test("docs/realtime.md's headline is bench-realtime.json's", async () => {
  const r = RealtimeResultSchema.parse(await json("docs/reports/bench-realtime.json"));
  const doc = (await text("docs/realtime.md")).replace(/\s+/g, " ");
  for (
    const quoted of [
      `**${int(r.readings_per_s)} readings/s**`,
      `p50 ${int(r.latency_ms_p50)} ms and p99 ${int(r.latency_ms_p99)} ms`,
      `peak ${Math.round(r.peak_rss_mb)} MB`,
    ]
  ) assert.ok(doc.includes(quoted), `docs/realtime.md says "${quoted}"`);
});

Deno.test("docs/alerts.md's NO2 exceedance hours are the analysis's", async () => {
  const doc = await text("docs/alerts.md");
  const analysis = await text("docs/analysis.md");
  const hours = /in ([\d,]+) hours of [\d,]+ measured/.exec(analysis.replace(/\s+/g, " "))?.[1];
  assert.ok(hours !== undefined, "docs/analysis.md quotes the NO2 hours");
  assert.match(doc, new RegExp(`\\| \`eu_no2_1h\`\\s+\\| ${hours} hours`));
});
