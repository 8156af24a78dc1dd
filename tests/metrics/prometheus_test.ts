/**
 * A real Prometheus (Debian's `prometheus`) scrapes a running consumer and a
 * running forecaster (`deno task consume|forecast --metrics-port N`, their
 * task permissions) during a small replay on the test broker, and its HTTP
 * API answers with what they did: the readings stored, the messages handled,
 * lag back to 0, the forecast sets written, the model version and drift state. The alert
 * rules load in that server, pass `promtool check rules`, and their unit tests
 * pass `promtool test rules`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pipelineContext, runTask, spawnTask } from "../_pipeline.ts";
import { freePort, waitFor } from "../_kafka.ts";
import { UCI_PATH } from "../_data.ts";

const RULES = fileURLToPath(new URL("../../config/prometheus/rules.yml", import.meta.url));
const RULES_TEST = fileURLToPath(
  new URL("../../config/prometheus/rules_test.yml", import.meta.url),
);
const READINGS = 300;

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

/** One instant vector from Prometheus's HTTP API: the samples' values by their labels. */
async function query(
  base: string,
  promql: string,
): Promise<{ labels: Record<string, string>; value: number }[]> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = await response.json();
  assert.equal(body.status, "success", JSON.stringify(body));
  return body.data.result.map((r: { metric: Record<string, string>; value: [number, string] }) => ({
    labels: r.metric,
    value: Number(r.value[1]),
  }));
}

Deno.test("promtool: the alert rules are valid and their unit tests pass", async () => {
  const check = await run("promtool", ["check", "rules", RULES]);
  assert.equal(check.code, 0, check.out);
  assert.match(check.out, /SUCCESS: 5 rules found/);
  const unit = await run("promtool", ["test", "rules", RULES_TEST]);
  assert.equal(unit.code, 0, unit.out);
});

Deno.test("prometheus scrapes the consumer and the forecaster during a replay; its API returns what they did", async () => {
  const ctx = await pipelineContext();
  const metricsPort = await freePort();
  const forecasterPort = await freePort();
  const promPort = await freePort();
  const promDir = join(ctx.dir, "prometheus");
  await Deno.mkdir(promDir);
  const promConfig = join(promDir, "prometheus.yml");
  await Deno.writeTextFile(
    promConfig,
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "rule_files:",
      `  - ${JSON.stringify(RULES)}`,
      "scrape_configs:",
      "  - job_name: consumer",
      "    static_configs:",
      `      - targets: ["127.0.0.1:${metricsPort}"]`,
      "  - job_name: forecaster",
      "    static_configs:",
      `      - targets: ["127.0.0.1:${forecasterPort}"]`,
      "",
    ].join("\n"),
  );
  const consumer = await spawnTask(
    "consume",
    ["--db", join(ctx.dir, "airq.db"), "--metrics-port", String(metricsPort), "--json"],
    ctx.env,
  );
  const consumerDone = consumer.output(); // drains its pipes while it runs
  const forecaster = await spawnTask(
    "forecast",
    ["--db", join(ctx.dir, "forecasts.db"), "--metrics-port", String(forecasterPort), "--json"],
    ctx.env,
  );
  const forecasterDone = forecaster.output();
  const prometheus = new Deno.Command("prometheus", {
    args: [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${join(promDir, "data")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      "--log.level=warn",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const prometheusDone = prometheus.output();
  const base = `http://127.0.0.1:${promPort}`;
  try {
    // each answers /readyz 200 once it has joined its group
    for (const port of [metricsPort, forecasterPort]) {
      await waitFor(async () => {
        try {
          const r = await fetch(`http://127.0.0.1:${port}/readyz`);
          await r.body?.cancel();
          return r.status === 200;
        } catch {
          return false;
        }
      }, { timeoutMs: 90_000, intervalMs: 200, what: `/readyz on ${port}` });
    }

    const produced = await runTask(
      "produce",
      ["--input", UCI_PATH, "--speed", "max", "--limit", String(READINGS), "--json"],
      ctx.env,
    );
    assert.equal(produced.code, 0, produced.stderr);
    const p = JSON.parse(produced.stdout.trim().split("\n").at(-1)!);
    assert.equal(p.sent, READINGS);

    // Prometheus's own view, through its HTTP API, once a scrape has seen the whole replay:
    // the store's counter moves inside the handler, the stream loop's after it returns, so
    // wait for a scrape that has both
    let stored: { labels: Record<string, string>; value: number }[] = [];
    await waitFor(async () => {
      try {
        stored = await query(base, 'airq_consumer_readings_stored_total{job="consumer"}');
        const handled = await query(
          base,
          `airq_stream_messages_total{job="consumer",topic="${ctx.raw}"}`,
        );
        return stored.length === 1 && stored[0]!.value === READINGS &&
          handled.length === 1 && handled[0]!.value === READINGS;
      } catch {
        return false; // not up yet
      }
    }, { timeoutMs: 60_000, intervalMs: 500, what: `Prometheus to see ${READINGS} stored` });
    assert.equal(stored[0]!.labels["job"], "consumer");
    assert.equal(stored[0]!.labels["instance"], `127.0.0.1:${metricsPort}`);

    const [up] = await query(base, 'up{job="consumer"}');
    assert.equal(up!.value, 1);
    const messages = await query(
      base,
      `airq_stream_messages_total{job="consumer",topic="${ctx.raw}"}`,
    );
    assert.deepEqual(messages.map((m) => m.value), [READINGS]);
    const lag = await query(
      base,
      `sum(airq_stream_lag_messages{job="consumer",topic="${ctx.raw}"})`,
    );
    assert.deepEqual(lag.map((m) => m.value), [0]);
    const latency = await query(
      base,
      `airq_stream_end_to_end_latency_seconds_count{job="consumer",topic="${ctx.raw}"}`,
    );
    assert.deepEqual(
      latency.map((m) => m.value),
      [READINGS],
      "every reading carried its send time",
    );
    const joined = await query(base, 'airq_stream_joined{job="consumer",stream="consumer"}');
    assert.deepEqual(joined.map((m) => m.value), [1]);
    const dead = await query(base, 'airq_dead_letters_total{job="consumer"}');
    assert.deepEqual(dead.map((m) => m.value), [0]);

    // the forecaster: one set per reading, committed; its model version and drift state
    await waitFor(async () => {
      const sets = await query(base, 'airq_forecast_sets_written_total{job="forecaster"}');
      return sets.length === 1 && sets[0]!.value === READINGS;
    }, { timeoutMs: 60_000, intervalMs: 500, what: `Prometheus to see ${READINGS} forecast sets` });
    const models = await query(base, 'airq_model_info{job="forecaster"}');
    assert.ok(models.length >= 1 && models.every((m) => m.value === 1), JSON.stringify(models));
    assert.ok(models.every((m) => m.labels["version"] !== ""), JSON.stringify(models));
    const drift = await query(base, 'airq_model_drift_state{job="forecaster"}');
    assert.equal(drift.length, 1);
    assert.ok([0, 1, 2].includes(drift[0]!.value));
    const forecasterMessages = await query(base, 'airq_stream_messages_total{job="forecaster"}');
    assert.deepEqual(forecasterMessages.map((m) => m.value), [READINGS]);
    // where each committed chunk's time went: every stage observed once per transaction
    const committed = await query(
      base,
      'airq_forecaster_transactions_total{job="forecaster",outcome="committed"}',
    );
    const stages = await query(base, 'airq_forecaster_chunk_stage_seconds_count{job="forecaster"}');
    assert.deepEqual(
      stages.map((m) => m.labels["stage"]).sort(),
      ["commit", "fetch", "offsets", "process", "queue", "send", "store", "total"],
    );
    assert.ok(
      committed.length === 1 && stages.every((m) => m.value === committed[0]!.value),
      JSON.stringify({ committed, stages }),
    );

    // the rules loaded into this server
    const rules = await (await fetch(`${base}/api/v1/rules`)).json();
    const names = rules.data.groups.flatMap((g: { rules: { name: string }[] }) =>
      g.rules.map((r) => r.name)
    );
    assert.ok(names.includes("AirqLagGrowing"), JSON.stringify(names));
  } finally {
    try {
      consumer.kill("SIGTERM");
    } catch { /* already gone */ }
    try {
      forecaster.kill("SIGTERM");
    } catch { /* already gone */ }
    try {
      prometheus.kill("SIGTERM");
    } catch { /* already gone */ }
    const [c, f, pr] = await Promise.all([consumerDone, forecasterDone, prometheusDone]);
    await Deno.remove(ctx.dir, { recursive: true });
    assert.equal(c.code, 0, new TextDecoder().decode(c.stderr).slice(-2000));
    assert.equal(f.code, 0, new TextDecoder().decode(f.stderr).slice(-2000));
    assert.ok(pr.code === 0 || pr.signal === "SIGTERM", new TextDecoder().decode(pr.stderr));
  }
});
