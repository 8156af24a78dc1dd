/**
 * The dashboard's handler in-process (createHandler(deps)(new Request(...))):
 * security headers and CSP on every answer, read-only routes (404/405), the
 * Host check, the event stream's first frame; the page never parses server
 * text as HTML; the state's ranking, means, forecast set parsing and live error.
 */
import assert from "node:assert/strict";
import {
  CONTENT_SECURITY_POLICY,
  createHandler,
  DashboardState,
  EventHub,
  loadAssets,
  loadDashboardConfig,
  parseForecastSet,
  withRoutes,
} from "../../lib/dashboard/mod.ts";
import { Metrics, metricsRoutes } from "../../lib/metrics/mod.ts";
import { type CleanReading, MEASUREMENT_FIELDS } from "../../lib/records/mod.ts";

const config = await loadDashboardConfig();
const assets = await loadAssets();

function handler(state = new DashboardState(config)) {
  const hub = new EventHub(state, config.server);
  return {
    hub,
    handle: createHandler({ assets, events: () => hub.stream(), hostnames: ["127.0.0.1"] }),
  };
}

function reading(station: string, hour: number, no2: number | null, co: number | null) {
  const ts_utc_ms = Date.UTC(2004, 2, 10, 17) + hour * 3_600_000;
  const measurements = Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, null])) as Record<
    string,
    number | null
  >;
  measurements["no2_ug_m3"] = no2;
  measurements["co_mg_m3"] = co;
  return {
    schema_version: 1,
    station_id: station,
    ts: new Date(ts_utc_ms + 3_600_000).toISOString().slice(0, 19) + "+01:00",
    ts_utc_ms,
    measurements,
    flags: {},
    rejected: {},
    status: "ok",
    source: { topic: "t", partition: 0, offset: String(hour) },
  } as unknown as CleanReading;
}

Deno.test("every answer carries the strict CSP and hardening headers", async () => {
  const { handle } = handler();
  for (const path of ["/", "/app.js", "/style.css", "/vendor/uPlot.esm.js", "/nope"]) {
    const res = handle(new Request(`http://127.0.0.1:8788${path}`));
    assert.equal(res.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY, path);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    await res.body?.cancel();
  }
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe/);
});

Deno.test("read-only: the page and uPlot are served, anything else is 404 or 405", async () => {
  const { handle } = handler();
  const page = handle(new Request("http://127.0.0.1:8788/"));
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type")!, /text\/html/);
  assert.match(await page.text(), /airq/);
  const uplot = handle(new Request("http://127.0.0.1:8788/vendor/uPlot.esm.js"));
  assert.equal(uplot.status, 200, "uPlot is served from its npm package");
  await uplot.body?.cancel();
  // the helpers shared with the leaderboard, where the page's relative imports land
  const shared: [string, RegExp][] = [
    ["/web/shared/live.js", /javascript/],
    ["/web/shared/base.css", /css/],
  ];
  for (const [path, type] of shared) {
    const res = handle(new Request(`http://127.0.0.1:8788${path}`));
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type")!, type);
    await res.body?.cancel();
  }
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    const res = handle(new Request("http://127.0.0.1:8788/", { method }));
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    await res.body?.cancel();
    const events = handle(new Request("http://127.0.0.1:8788/events", { method }));
    assert.equal(events.status, 405, `${method} /events`);
    await events.body?.cancel();
  }
  const unlisted = ["/api/vote", "/../deno.json", "/index.html.bak", "/web/dashboard/app.js"];
  for (const path of [...unlisted, "/web/shared/", "/web/shared/nothing.js"]) {
    const res = handle(new Request(`http://127.0.0.1:8788${path}`));
    assert.equal(res.status, 404, path);
    await res.body?.cancel();
  }
});

Deno.test("the Host check refuses other names (DNS rebinding), the stream refuses other origins", async () => {
  const { handle, hub } = handler();
  const evil = handle(
    new Request("http://127.0.0.1:8788/", { headers: { host: "evil.example:8788" } }),
  );
  assert.equal(evil.status, 421);
  await evil.body?.cancel();
  const cross = handle(
    new Request("http://127.0.0.1:8788/events", { headers: { origin: "http://evil.example" } }),
  );
  assert.equal(cross.status, 403);
  await cross.body?.cancel();
  const ok = handle(new Request("http://localhost:8788/events"));
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get("content-type")!, /text\/event-stream/);
  const reader = ok.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("event: snapshot")) text += (await reader.read()).value ?? "";
  await reader.cancel();
  hub.close();
});

Deno.test("/metrics, /healthz, /readyz on the page's server, behind the same Host check", async () => {
  const { handle, hub } = handler();
  const metrics = new Metrics();
  metrics.dashboard.onViewers(() => 3);
  const serve = withRoutes(handle, metricsRoutes(metrics), ["127.0.0.1"]);
  const text = await (await serve(new Request("http://127.0.0.1:8788/metrics"))).text();
  assert.match(text, /^airq_dashboard_viewers 3$/m);
  const live = await serve(new Request("http://localhost:8788/healthz"));
  assert.equal(live.status, 200);
  await live.body?.cancel();
  const evil = await serve(
    new Request("http://127.0.0.1:8788/metrics", { headers: { host: "evil.example:8788" } }),
  );
  assert.equal(evil.status, 421, "a rebinding host gets no metrics");
  await evil.body?.cancel();
  const page = await serve(new Request("http://127.0.0.1:8788/"));
  assert.equal(page.status, 200, "the page's own routes still answer");
  assert.equal(page.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
  await page.body?.cancel();
  hub.close();
});

Deno.test("the page never parses server text as HTML and has no inline script or style", async () => {
  for (
    const name of [
      "dashboard/app.js",
      "dashboard/charts.js",
      "dashboard/format.js",
      "shared/live.js",
    ]
  ) {
    const js = await Deno.readTextFile(new URL(`../../web/${name}`, import.meta.url));
    assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/, name);
  }
  const html = await Deno.readTextFile(new URL("../../web/dashboard/index.html", import.meta.url));
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(html, /\sstyle=|<style|\son[a-z]+=/);
});

Deno.test("state: ranking by the worst ratio to an EU limit, 8-hour means, alerts kept as text", () => {
  const state = new DashboardState(config, () => 0);
  for (let h = 0; h < 8; h++) {
    state.observeReading(reading("station-001", h, 100, 2));
    state.observeReading(reading("station-002", h, 50, 12));
  }
  let snap = state.snapshot();
  assert.deepEqual(snap.ranking.map((r) => r.station_id), ["station-002", "station-001"]);
  assert.equal(snap.ranking[0]!.driver, "co_mg_m3");
  const co = snap.stations[1]!.pollutants.find((p) => p.field === "co_mg_m3")!;
  assert.equal(co.mean_8h, 12);
  assert.equal(co.mean_24h, null, "a 24-hour mean needs 18 hours");
  state.observeReading(reading("station-001", 8, 300, 2));
  snap = state.snapshot();
  assert.deepEqual(snap.ranking.map((r) => r.station_id), ["station-001", "station-002"]);
  assert.equal(snap.ranking[0]!.index, 1.5);
  state.observeAlert({
    schema_version: 1,
    alert_id: "0123456789abcdef",
    kind: "exceedance",
    severity: "critical",
    station_id: "station-001",
    field: "no2_ug_m3",
    state: "firing",
    reason: "<img src=x onerror=alert(1)> NO2 above 200",
    evidence: {
      value: 300,
      threshold: 200,
      unit: "ug/m3",
      window: {
        start: "2004-03-10T18:00:00+01:00",
        end: "2004-03-10T18:00:00+01:00",
        size: 1,
        size_unit: "hours",
      },
    },
    event_ts: "2004-03-10T18:00:00+01:00",
    raised_at: "2026-01-01T00:00:00Z",
  });
  snap = state.snapshot();
  assert.equal(snap.alerts.recent[0]!.reason, "<img src=x onerror=alert(1)> NO2 above 200");
  assert.equal(snap.alerts.firing, 1);
});

Deno.test("forecasts: sets parsed with the records' schema, intervals, actuals and the live error", () => {
  const set = {
    schema_version: 1,
    kind: "forecast_set",
    set_id: "station-001|2004-03-10T18:00:00+01:00",
    station_id: "station-001",
    ts: "2004-03-10T18:00:00+01:00",
    issued_at: "2026-12-04T16:00:00.000Z",
    models: ["ridge-1", "persistence"],
    forecasts: [
      {
        target: "NO2(GT)",
        horizon_h: 1,
        target_ts: "2004-03-10T19:00:00+01:00",
        value: 110,
        lower: 90,
        upper: 130,
        interval_source: "artifact",
        model: 0,
        fallback_reason: null,
      },
      {
        target: "CO(GT)",
        horizon_h: 1,
        target_ts: "2004-03-10T19:00:00+01:00",
        value: null,
        lower: null,
        upper: null,
        interval_source: null,
        model: 1,
        fallback_reason: "no_observation",
      },
    ],
    source: { topic: "airq.readings.raw", partition: 0, offset: "7" },
  };
  // not a set, an unknown target, an extra member, a model index out of range: refused
  assert.equal(parseForecastSet({ target: "NO2(GT)" }), null);
  assert.equal(
    parseForecastSet({ ...set, forecasts: [{ ...set.forecasts[0], target: "nope" }] }),
    null,
  );
  assert.equal(parseForecastSet({ ...set, extra: "no" }), null);
  assert.equal(parseForecastSet({ ...set, forecasts: [{ ...set.forecasts[0], model: 2 }] }), null);
  const state = new DashboardState(config, () => 0);
  state.observeReading(reading("station-001", 0, 100, 2));
  const parsed = parseForecastSet(set);
  assert.ok(parsed);
  // the forecast without a value is not shown
  assert.equal(parsed.length, 1);
  const f = parsed[0];
  assert.ok(f);
  assert.equal(f.field, "no2_ug_m3");
  assert.equal(f.target_ms - f.issued_ms, 3_600_000);
  state.observeForecast(f);
  let snap = state.snapshot();
  assert.equal(snap.forecasts.series.length, 1);
  assert.deepEqual(snap.forecasts.series[0]!.points[0], {
    target_ms: f.target_ms,
    value: 110,
    lower: 90,
    upper: 130,
    actual: null,
  });
  state.observeReading(reading("station-001", 1, 120, 2));
  snap = state.snapshot();
  assert.equal(snap.forecasts.series[0]!.points[0]!.actual, 120);
  assert.deepEqual(snap.model.live, [{
    field: "no2_ug_m3",
    horizon_h: 1,
    live_mae: 10,
    n: 1,
    expected_mae: null,
  }]);
  assert.equal(snap.model.expected_version, null);
  // the trained version's offline MAE (expected.json of `deno task train`) beside the live one
  state.setExpected({
    format: "airq-expected-mae",
    version: 1,
    model_version: "2026-12-01T00:00:00.000Z",
    source: "test",
    rows: [{ target: "NO2(GT)", horizon_h: 1, n: 2000, mae: 12.5 }],
  });
  snap = state.snapshot();
  assert.equal(snap.model.expected_version, "2026-12-01T00:00:00.000Z");
  assert.equal(snap.model.live[0]!.expected_mae, 12.5);
  // retraining events are listed, newest first
  const retrained = (at: string) => ({
    schema_version: 1 as const,
    alert_id: (at === "a" ? "a" : "b").repeat(16),
    kind: "model_retrained" as const,
    severity: "info" as const,
    station_id: "station-001",
    field: null,
    state: "resolved" as const,
    reason: `retrained ${at}`,
    evidence: {
      value: 0.9,
      threshold: 1,
      unit: "ratio",
      window: {
        start: "2005-01-01T00:00:00.000Z",
        end: "2005-01-08T00:00:00.000Z",
        size: 168,
        size_unit: "hours" as const,
      },
    },
    event_ts: "2005-01-08T00:00:00.000Z",
    raised_at: "2026-12-05T00:00:00.000Z",
  });
  state.observeAlert(retrained("a"));
  state.observeAlert(retrained("b"));
  snap = state.snapshot();
  assert.deepEqual(snap.model.retraining.map((r) => r.reason), ["retrained b", "retrained a"]);
  assert.equal(snap.model.drift.length, 0);
});
