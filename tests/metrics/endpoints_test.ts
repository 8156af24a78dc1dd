/**
 * The metrics and health endpoints (lib/metrics) without a broker: the text
 * exposition, liveness, readiness, methods, unknown paths, the listener on
 * loopback, and the `--metrics-port` option.
 */
import assert from "node:assert/strict";
import { Metrics, metricsRoutes, serveMetrics } from "../../lib/metrics/mod.ts";
import { defineCommand, opt, UsageError } from "../../lib/cli/command.ts";

const get = (path: string, method = "GET") => new Request(`http://127.0.0.1${path}`, { method });

Deno.test("metricsRoutes: /metrics is the Prometheus text format of what was recorded", async () => {
  const metrics = new Metrics();
  const t = metrics.stream.forTopic("airq.readings.raw");
  t.messages.inc(7);
  t.lag(3, 42);
  t.latencySeconds.observe(0.2);
  metrics.consumer.validationFailures.inc({ reason: "schema" });
  const response = await metricsRoutes(metrics)(get("/metrics"))!;
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  assert.match(text, /^# TYPE airq_stream_messages_total counter$/m);
  assert.match(text, /^airq_stream_messages_total\{topic="airq\.readings\.raw"\} 7$/m);
  assert.match(text, /^airq_stream_lag_messages\{topic="airq\.readings\.raw",partition="3"\} 42$/m);
  assert.match(
    text,
    /^airq_stream_end_to_end_latency_seconds_bucket\{le="0\.25",topic="airq\.readings\.raw"\} 1$/m,
  );
  assert.match(text, /^airq_validation_failures_total\{reason="schema"\} 1$/m);
  // a group not asked for is not exported
  assert.doesNotMatch(text, /airq_forecasts_written_total/);
});

Deno.test("metricsRoutes: /healthz is live; /readyz is 503 until every component is ready", async () => {
  const metrics = new Metrics();
  const routes = metricsRoutes(metrics);
  assert.equal((await routes(get("/healthz"))!).status, 200);
  let ready = await routes(get("/readyz"))!;
  assert.equal(ready.status, 503, "nothing reported yet: not ready");
  assert.deepEqual(await ready.json(), { ready: false, components: {} });
  metrics.setReady("stream:consumer", true);
  metrics.setReady("stream:other", false);
  ready = await routes(get("/readyz"))!;
  assert.equal(ready.status, 503);
  assert.deepEqual((await ready.json()).components, {
    "stream:consumer": true,
    "stream:other": false,
  });
  metrics.setReady("stream:other", true);
  ready = await routes(get("/readyz"))!;
  assert.equal(ready.status, 200);
  await ready.body?.cancel();
});

Deno.test("metricsRoutes: other paths are the caller's; only GET and HEAD", async () => {
  const routes = metricsRoutes(new Metrics());
  assert.equal(routes(get("/")), null);
  assert.equal(routes(get("/metrics/extra")), null);
  const post = await routes(get("/metrics", "POST"))!;
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  await post.body?.cancel();
  const head = await routes(get("/metrics", "HEAD"))!;
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
});

Deno.test("serveMetrics: listens on 127.0.0.1 on a free port, 404 elsewhere, closes", async () => {
  const metrics = new Metrics();
  metrics.forecaster.forecasts.inc(12);
  const server = serveMetrics(metrics, { port: 0, name: "test" });
  try {
    assert.ok(server.port > 0);
    const base = `http://127.0.0.1:${server.port}`;
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /^airq_forecasts_written_total 12$/m);
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  } finally {
    await server.close();
  }
  await assert.rejects(fetch(`http://127.0.0.1:${server.port}/healthz`));
});

Deno.test("--metrics-port: absent leaves the config's port; 0 to 65535; anything else a usage error", () => {
  const CLI = defineCommand({
    task: "consume",
    description: "test",
    options: { "metrics-port": opt.metricsPort("consumer.json") },
  });
  const port = (args: string[], configured: number | null) =>
    CLI.parse(args)["metrics-port"] ?? configured;
  assert.equal(port([], null), null);
  assert.equal(port([], 9464), 9464);
  assert.equal(port(["--metrics-port", "9100"], null), 9100);
  assert.equal(port(["--metrics-port", "0"], 9464), 0);
  for (const bad of ["", "x", "-1", "65536", "1.5"]) {
    assert.throws(() => CLI.parse(["--metrics-port", bad]), UsageError);
  }
});
