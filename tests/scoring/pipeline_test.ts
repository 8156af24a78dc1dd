import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { featureNames, sliceSeries, toHourlySeries } from "../../lib/features/mod.ts";
import {
  artifactFileName,
  changeWeightOf,
  evaluateForecasts,
  type ForecastConfig,
  ForecastConfigSchema,
  seriesIndex,
  trainModels,
} from "../../lib/offline/mod.ts";
import { loadSarima, parseModelArtifact, predictModel } from "../../lib/models/mod.ts";
import { EvaluationReportSchema } from "../../lib/records/mod.ts";
import { runJobsInWorkers } from "../../lib/offline/evaluate_workers.ts";
import { UCI_PATH } from "../_data.ts";

/** What locates Deno's dependency cache, for a child started with `clearEnv`. */
function denoCacheEnv(): Record<string, string> {
  const vars = ["DENO_DIR", "XDG_CACHE_HOME", "HOME"].map((name) => [name, Deno.env.get(name)]);
  return Object.fromEntries(vars.filter((v): v is [string, string] => v[1] !== undefined));
}

const base = ForecastConfigSchema.parse(
  JSON.parse(await Deno.readTextFile(new URL("../../config/forecast.json", import.meta.url))),
);

/** The real config, shrunk to run in seconds on a slice. */
const small: ForecastConfig = {
  ...base,
  horizonsH: [1, 24],
  testWindow: { from: "2005-01-01T00:00:00+01:00", to: "2005-01-10T23:00:00+01:00" },
  validationWindow: { from: "2004-12-15T00:00:00+01:00", to: "2004-12-31T23:00:00+01:00" },
  walkForward: { refitEveryH: 168, trainWindowH: 1344 },
  gbt: { ...base.gbt, trees: 15 },
  conformal: { ...base.conformal, warmupH: 168, window: 200 },
  bootstrap: { ...base.bootstrap, resamples: 50 },
  sarima: { ...base.sarima, enabled: true },
};

async function slice() {
  const rows = await Array.fromAsync(readUciFile(UCI_PATH));
  const series = toHourlySeries(rows);
  const from = seriesIndex(series, "2004-10-01T00:00:00+01:00");
  const to = seriesIndex(series, "2005-01-11T00:00:00+01:00");
  return { series: sliceSeries(series, from, to), rows: rows.slice(from, to) };
}

Deno.test("evaluateForecasts() and trainModels() run end to end on a slice of the real file", async () => {
  const { series } = await slice();
  const report = evaluateForecasts(series, small); // no engine passed: no SARIMA
  assert.equal(report.sarima_seconds, null);
  EvaluationReportSchema.parse(report); // what `deno task evaluate` checks before writing
  for (const target of small.targets) {
    for (const h of small.horizonsH) {
      const rows = report.results.filter((r) => r.target === target && r.horizon_h === h);
      assert.deepEqual(
        rows.map((r) => r.model),
        ["persistence", "seasonal_naive_24h", "seasonal_naive_168h", "ridge", "gbt", "best"],
      );
      for (const r of rows) {
        assert.ok(r.n > 100 && r.n <= 240, `${target} ${h} ${r.model} n=${r.n}`);
        assert.ok(r.mae > 0 && r.rmse >= r.mae && r.mase > 0);
        assert.ok(r.interval_coverage >= 0 && r.interval_coverage <= 1);
      }
      // persistence and the seasonal naive coincide at 24 h
      if (h === 24) assert.equal(rows[0]!.mae, rows[1]!.mae);
      const best = rows.find((r) => r.model === "best")!;
      assert.ok(best.dm !== null && best.dm.p_value >= 0 && best.dm.p_value <= 1);
      // Holm across the 8 target-horizon pairs of `best`: never below the raw p-value
      assert.ok(best.dm.p_value_holm !== null && best.dm.p_value_holm >= best.dm.p_value);
      assert.ok(best.dm.lags >= h - 1);
      assert.ok(best.interval_score >= best.interval_mean_width);
      const regimes = report.coverage_by_regime.filter((r) =>
        r.target === target && r.horizon_h === h
      );
      assert.deepEqual(regimes.map((r) => r.regime), [
        "all",
        "high_pollution",
        "rush_hour",
        "weekend",
        "after_outage",
      ]);
      assert.equal(regimes[0]!.n, best.n);
      for (const r of regimes.slice(1)) assert.ok(r.n <= regimes[0]!.n);
      assert.ok(best.skill_ci95 !== null && best.skill_ci95[0] <= best.skill_ci95[1]);
    }
  }
  assert.equal(report.nowcast.length, 4);
  assert.ok(report.nowcast.every((r) => r.n > 100 && r.mae > 0));
  const w = report.warning_no2_200;
  assert.ok(w.f1 >= 0 && w.f1 <= 1 && w.n > 100);
  assert.deepEqual(w.by_lead_h.map((r) => r.lead_h), small.warning.leadsH);
  assert.equal(w.f1, w.by_lead_h[0]!.f1);
  assert.ok(
    w.by_lead_h.every((r) => small.warning.probabilityCutoffs.includes(r.probability_cutoff)),
  );
  assert.ok(w.episodes.warned <= w.episodes.count);

  const artifacts = trainModels(series, small, "2026-01-01T00:00:00.000Z");
  // ridge and trees per target and horizon (and nowcast), and the change models where u > 0
  const changed =
    small.targets.flatMap((t) => small.horizonsH.map((h) => changeWeightOf(small, t, String(h))))
      .filter((u) => u > 0).length;
  assert.ok(changed > 0);
  assert.equal(
    artifacts.length,
    small.targets.length * (small.horizonsH.length + 1) * 2 + 2 * changed,
  );
  const forecastChange = artifacts.filter((a) => a.mode === "forecast" && a.change !== undefined);
  assert.equal(forecastChange.length, 2 * changed);
  // the virtual sensors as evaluated: the change since the last value, their extra inputs
  const nowcast = artifacts.filter((a) => a.mode === "nowcast");
  const nowcastWidth = featureNames({ mode: "nowcast", horizonH: 0, utcOffsetMin: 60 }).length;
  assert.ok(nowcast.every((a) => a.change?.lookbackH === null && a.features.length > nowcastWidth));
  const names = new Set(artifacts.map(artifactFileName));
  assert.equal(names.size, artifacts.length);
  const one = parseModelArtifact(JSON.stringify(artifacts[0]));
  assert.equal(one.trainingWindow.to, "2005-01-10T22:00:00.000Z"); // 23:00 station time
  // a forecast's row: the shared features and the same-hour mean of each of the 4 pollutants
  assert.equal(one.mode, "forecast");
  assert.deepEqual(
    one.features,
    featureNames({ mode: "forecast", horizonH: one.horizonH, utcOffsetMin: 60 }),
  );
  assert.equal(one.features.length, nowcastWidth + 4);
  const x = { n: 1, p: one.features.length, data: new Float64Array(one.features.length).fill(NaN) };
  assert.ok(Number.isFinite(predictModel(one.model, x)[0]!));
});

Deno.test("the walk-forwards and the virtual sensor in workers give the same report as in a row", async () => {
  const { series } = await slice();
  const config: ForecastConfig = { ...small, gbt: { ...small.gbt, trees: 5 } };
  const inRow = evaluateForecasts(series, config);
  const precomputed = await runJobsInWorkers(series, config, { workers: 2 });
  assert.equal(precomputed.workers, 2);
  assert.deepEqual([...precomputed.walkForward.keys()].sort((a, b) => a - b), config.horizonsH);
  // the change models came back from the workers too
  assert.ok([...precomputed.walkForward.values()].every((j) => j.runs.every((r) => r.change)));
  const parallel = evaluateForecasts(series, config, { precomputed });
  assert.deepEqual(parallel.results, inRow.results);
  assert.deepEqual(parallel.nowcast, inRow.nowcast);
  assert.deepEqual(parallel.warning_no2_200, inRow.warning_no2_200);
  assert.deepEqual(parallel.coverage_by_regime, inRow.coverage_by_regime);
  assert.equal(parallel.timings_ms.jobs_wall, precomputed.wallMs);
});

Deno.test("evaluateForecasts() with SARIMA adds sarima rows, its blend and its own timing", async () => {
  const { series } = await slice();
  let now = 0;
  const report = evaluateForecasts(series, { ...small, gbt: { ...small.gbt, trees: 5 } }, {
    sarima: await loadSarima(),
    clock: () => (now += 1000),
  });
  assert.ok(report.sarima !== null && report.sarima.fits > 0 && report.sarima.failed_fits === 0);
  EvaluationReportSchema.parse(report);
  assert.ok(typeof report.sarima_seconds === "number" && report.sarima_seconds > 0);
  for (const target of small.targets) {
    for (const h of small.horizonsH) {
      const rows = report.results.filter((r) => r.target === target && r.horizon_h === h);
      const sarima = rows.find((r) => r.model === "sarima")!;
      assert.ok(sarima.n === rows[0]!.n && sarima.mae > 0 && sarima.dm !== null);
      const v = small.sarima.blendWeight[target]?.[String(h)] ?? 0;
      const best = rows.find((r) => r.model === "best")!;
      assert.equal(best.detail?.includes("sarima"), v > 0, best.detail);
    }
  }
});

Deno.test("evaluate.ts --json writes the contract of issue 4 (subprocess, task permissions)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-evaluate-" });
  try {
    const lines = (await Deno.readTextFile(UCI_PATH)).split("\r\n");
    const first = lines.findIndex((l) => l.startsWith("01/10/2004;00.00.00"));
    const last = lines.findIndex((l) => l.startsWith("11/01/2005;00.00.00"));
    const input = join(dir, "slice.csv");
    await Deno.writeTextFile(input, [lines[0], ...lines.slice(first, last)].join("\r\n") + "\r\n");
    const configPath = join(dir, "forecast.json");
    // the GRU, small, its cache in the temporary folder
    const sequence = {
      ...base.sequence!,
      units: 8,
      epochs: 2,
      fineTuneEpochs: 1,
      cacheDir: join(dir, "cache"),
    };
    // SARIMA's cache too (var/ is not writable here)
    const sarima = { ...small.sarima, cacheDir: join(dir, "sarima") };
    await Deno.writeTextFile(configPath, JSON.stringify({ ...small, sequence, sarima }));
    // the tfjs WebAssembly backend reads its .wasm file from the package in the Deno cache
    const wasmDir = fileURLToPath(
      new URL(".", import.meta.resolve("@tensorflow/tfjs-backend-wasm")),
    );
    const json = join(dir, "out.json");
    const root = new URL("../../", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--cached-only",
        `--allow-read=${root},${dir},${wasmDir}`,
        `--allow-write=${dir}`,
        "--allow-env=AIRQ_*,INIT_CWD,HOME",
        "tools/evaluate.ts",
        "--input",
        input,
        "--config",
        configPath,
        "--json",
        json,
        "--report",
        join(dir, "report.md"),
      ],
      cwd: root,
      clearEnv: true,
      // DENO_DIR: the dependency cache `deno task test` filled (else a download mid-test)
      env: { AIRQ_LOG_LEVEL: "warning", ...denoCacheEnv() },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    // with --json nothing goes to stdout, not even from SARIMA's C code
    assert.equal(new TextDecoder().decode(out.stdout), "");
    const result = JSON.parse(await Deno.readTextFile(json));
    assert.equal(typeof result.sarima_seconds, "number");
    assert.equal(result.results.filter((r: { model: string }) => r.model === "sarima").length, 8);
    const keys = ["target", "horizon_h", "model", "n", "mae", "rmse", "mase", "skill"];
    for (const row of result.results) {
      for (const k of [...keys, "interval_coverage"]) assert.ok(k in row, k);
    }
    for (const model of ["persistence", "seasonal_naive_24h", "best", "gru", "best_gru"]) {
      assert.equal(result.results.filter((r: { model: string }) => r.model === model).length, 8);
    }
    // the GRU's and SARIMA's forecasts were cached under their keys
    assert.equal((await Array.fromAsync(Deno.readDir(join(dir, "cache")))).length, 1);
    assert.equal((await Array.fromAsync(Deno.readDir(join(dir, "sarima")))).length, 1);
    assert.equal(result.sarima.cached, false);
    assert.deepEqual(
      result.nowcast.map((r: { target: string }) => r.target),
      ["CO(GT)", "NOx(GT)", "NO2(GT)", "C6H6(GT)"],
    );
    for (const k of ["target", "n", "mae", "rmse"]) assert.ok(k in result.nowcast[0], k);
    for (const k of ["precision", "recall", "f1", "persistence_f1"]) {
      assert.equal(typeof result.warning_no2_200[k], "number");
      for (const row of result.warning_no2_200.by_lead_h) assert.equal(typeof row[k], "number");
    }
    assert.equal(result.coverage_by_regime.length, 8 * 5);
    for (const k of ["target", "horizon_h", "regime", "coverage", "n"]) {
      assert.ok(k in result.coverage_by_regime[0], k);
    }
    const md = await Deno.readTextFile(join(dir, "report.md"));
    assert.match(md, /# Forecasting: model report/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
