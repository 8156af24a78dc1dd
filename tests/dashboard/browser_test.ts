/**
 * The dashboard as a person meets it: `deno task dashboard` (spawned with its
 * task's exact permissions, on the test broker, topics under a unique prefix)
 * serves the page; Debian's chromium, driven by playwright-core, loads it
 * without a console error and sees the empty states; a replay through the real
 * producer makes the live values change; a station whose NO2 jumps climbs the
 * ranking with a FLIP glide; an alert (with markup in its reason) appears as
 * text; the forecasts topic appears and its panel comes alive; /metrics on the
 * same server counts what the feed handled. Ctrl-C stops it.
 *
 * With AIRQ_SCREENSHOT=docs/dashboard.png it also saves the README's screenshot.
 */
import assert from "node:assert/strict";
import { createKafka, ensureTopics, Partitioners, withAdmin } from "../../lib/kafka/mod.ts";
import { runProducer } from "../../lib/pipeline/produce.ts";
import { parseSpeed } from "../../lib/replay/mod.ts";
import { type ForecastSet, ForecastSetSchema, MEASUREMENT_FIELDS } from "../../lib/records/mod.ts";
import { freePort, waitFor } from "../_kafka.ts";
import { pipelineContext, spawnTask } from "../_pipeline.ts";
import { Browser, collect } from "../_browser.ts";

const FIXTURE = new URL("../fixtures/uci_head.csv", import.meta.url).pathname;

function reading(station: string, ts: string, no2: number) {
  const measurements = Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, null]));
  return {
    schema_version: 1,
    station_id: station,
    ts,
    measurements: { ...measurements, no2_ug_m3: no2, co_mg_m3: 1 },
  };
}

Deno.test("deno task dashboard: live values, a FLIP ranking change, an alert, forecasts once their topic exists", async () => {
  const ctx = await pipelineContext();
  const port = freePort();
  const kafka = createKafka(ctx.kafka, { clientId: "airq-test-dashboard" });
  await withAdmin(kafka, (admin) => ensureTopics(admin, ctx.topics));
  const app = await spawnTask("dashboard", ["--port", String(port)], ctx.env);
  const stdout = collect(app.stdout);
  const stderr = collect(app.stderr);
  let exited = false;
  const status = app.status.then((s) => {
    exited = true;
    return s;
  });
  const browser = new Browser(new URL("./_driver.ts", import.meta.url));
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const send = async (topic: string, key: string, value: unknown) =>
    void await producer.send({
      topic,
      acks: -1,
      messages: [{ key, value: JSON.stringify(value) }],
    });
  try {
    await waitFor(() => exited || stdout.text().includes("Dashboard ready: http"), {
      timeoutMs: 30_000,
      what: "the dashboard to start",
    });
    assert.ok(!exited, `the dashboard exited early:\n${stderr.text()}`);
    const url = `http://127.0.0.1:${port}/`;
    assert.match(stdout.text(), new RegExp(`Dashboard ready: ${url}`));
    await producer.connect();

    const opened = await browser.do<Record<string, string | boolean>>({ cmd: "open", url });
    assert.equal(opened.nowEmpty, true);
    assert.match(String(opened.nowText), /waiting for data/i);
    assert.match(String(opened.forecastText), /no forecasts yet — start the forecaster/i);

    // a replay through the real producer: 48 hours as 4 stations, 5 hours per second
    const replay = runProducer({
      kafka: ctx.kafka,
      topic: ctx.raw,
      topics: ctx.topics,
      datasetPath: FIXTURE,
      utcOffset: ctx.producer.utcOffset,
      speed: parseSpeed("18000"),
      stations: 4,
      seed: ctx.producer.seed,
      loop: false,
      faults: ctx.producer.faults,
      batchSize: 50,
      lingerMs: 20,
      compression: ctx.producer.compression,
      retry: ctx.producer.retry,
      progressIntervalMs: 60_000,
      signal: new AbortController().signal,
    });
    const first = await browser.do<{ text: string }>({
      cmd: "waitText",
      selector: "#clock",
      pattern: "Station time 2004",
    });
    // the page gets at most one snapshot a second; on a busy machine give it time
    let later = first;
    const until = Date.now() + 15_000;
    while (later.text === first.text && Date.now() < until) {
      await browser.do({ cmd: "wait", ms: 250 });
      later = await browser.do<{ text: string }>({ cmd: "text", selector: "#clock" });
    }
    assert.notEqual(later.text, first.text, "the station clock moves while the replay runs");
    const summary = await replay;
    assert.equal(summary.sent, 48 * 4, "the fixture's 48 hours as 4 stations");
    await browser.do({
      cmd: "waitText",
      selector: "#health",
      pattern: `Readings seen${summary.sent}`,
    });
    assert.equal(
      (await browser.do<{ count: number }>({ cmd: "count", selector: "#cards .card" })).count,
      4,
    );

    // /metrics, /healthz, /readyz on the page's own server: the raw feed handled every
    // reading, one viewer is watching, every feed has joined (the Host check: server_test.ts)
    const metrics = await (await fetch(`${url}metrics`)).text();
    assert.match(
      metrics,
      new RegExp(`^airq_stream_messages_total\\{topic="${ctx.raw}"\\} ${summary.sent}$`, "m"),
    );
    assert.match(metrics, /^airq_dashboard_viewers 1$/m);
    const ready = await fetch(`${url}readyz`);
    assert.equal(ready.status, 200, await ready.text());

    // the station in last place jumps to 420 ug/m3 NO2: first place, with a glide
    const before = (await browser.do<{ order: string[] }>({ cmd: "ranking" })).order;
    assert.equal(before.length, 4);
    const climber = before[3]!; // last place jumps to 420 ug/m3 NO2
    await browser.do({ cmd: "record" });
    await send(ctx.raw, climber, reading(climber, "2004-03-12T18:00:00+01:00", 420));
    await waitFor(
      async () => (await browser.do<{ order: string[] }>({ cmd: "ranking" })).order[0] === climber,
      {
        what: `${climber} to reach first place`,
      },
    );
    await browser.do({ cmd: "wait", ms: 800 });
    const seen = (await browser.do<{ seen: string[] }>({ cmd: "seen" })).seen;
    const moved = seen.filter((s) => s.startsWith(`${climber}|`)).join("\n");
    // Invert: it moved up the page, so it is first translated back down (a positive y)
    assert.match(moved, /translateY\(\d+(\.\d+)?px\)/, `${climber} put back first:\n${moved}`);
    assert.match(moved, /transition: transform \d+ms/, "then the translation glides away");

    // an alert, with markup in its reason: shown as text
    await send(ctx.alerts, "station-004", {
      schema_version: 1,
      alert_id: "00000000000000aa",
      kind: "exceedance",
      severity: "critical",
      station_id: "station-004",
      field: "no2_ug_m3",
      state: "firing",
      reason: "<b>NO2</b> 420 µg/m³ is above the EU hourly limit of 200",
      evidence: {
        value: 420,
        threshold: 200,
        unit: "ug/m3",
        window: {
          start: "2004-03-12T18:00:00+01:00",
          end: "2004-03-12T18:00:00+01:00",
          size: 1,
          size_unit: "hours",
        },
      },
      event_ts: "2004-03-12T18:00:00+01:00",
      raised_at: new Date().toISOString(),
    });
    await browser.do({ cmd: "waitText", selector: "#alerts", pattern: "<b>NO2</b> 420" });
    assert.equal(
      (await browser.do<{ count: number }>({ cmd: "count", selector: "#alerts b" })).count,
      0,
    );

    // the forecasts topic appears (the forecaster's first run): the panel comes alive
    const forecasts = `${ctx.prefix}airq.forecasts`;
    await withAdmin(
      kafka,
      (admin) =>
        ensureTopics(admin, [{
          ...ctx.topics[0]!,
          name: forecasts,
          role: "forecasts",
          partitions: 1,
        }]),
    );
    // one forecast set per reading, as the forecaster writes them (lib/records)
    const sets: ForecastSet[] = [];
    const local = (ms: number) => new Date(ms + 3_600_000).toISOString().slice(0, 19) + "+01:00";
    for (let h = 30; h < 49; h++) {
      const t = Date.UTC(2004, 2, 10, 17) + h * 3_600_000;
      const ts = local(t);
      sets.push({
        schema_version: 1,
        kind: "forecast_set",
        set_id: `station-001|${ts}`,
        station_id: "station-001",
        ts,
        issued_at: new Date().toISOString(),
        models: ["test-1"],
        forecasts: [1, 6].map((horizon) => ({
          target: "NO2(GT)" as const,
          horizon_h: horizon,
          target_ts: local(t + horizon * 3_600_000),
          value: 100 + (h % 5) * 8,
          lower: 70 + (h % 5) * 8,
          upper: 135 + (h % 5) * 8,
          interval_source: "artifact" as const,
          model: 0,
          fallback_reason: null,
        })),
        source: null,
      });
    }
    await producer.send({
      topic: forecasts,
      acks: -1,
      messages: sets.map((set) => ({
        key: set.station_id,
        value: JSON.stringify(ForecastSetSchema.parse(set)),
      })),
    });
    await waitFor(
      async () =>
        (await browser.do<{ count: number }>({ cmd: "count", selector: "#forecast-charts figure" }))
          .count === 2,
      { timeoutMs: 20_000, what: "the forecast charts" },
    );
    await browser.do({ cmd: "waitText", selector: "#model-rows", pattern: "NO₂" });

    const screenshot = Deno.env.get("AIRQ_SCREENSHOT");
    if (screenshot) await browser.do({ cmd: "screenshot", path: screenshot });
    assert.deepEqual(await browser.close(), [], "the page logged no errors or warnings");
  } finally {
    await browser.close().catch(() => []);
    await producer.disconnect();
    if (!exited) app.kill("SIGINT");
    const code = (await status).code;
    await stdout.done;
    await stderr.done;
    await Deno.remove(ctx.dir, { recursive: true }).catch(() => {});
    assert.equal(code, 0, stderr.text());
  }
  assert.match(stdout.text(), /dashboard stopped/);
});
