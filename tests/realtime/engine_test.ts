/**
 * The forecaster's pure record building: 12 forecasts per reading with an
 * interval around the value, persistence while warming up or without models,
 * the trained blend afterwards, estimates for missing reference values.
 */
import assert from "node:assert/strict";
import { nowcastExtrasInto, parseNowcastExtra } from "../../lib/features/nowcast_extras.ts";
import { trainSmallModels } from "../_models.ts";
import { readUciFile, type UciRow } from "../../lib/dataset/mod.ts";
import {
  featureCount,
  type FeatureSpec,
  FeatureState,
  HISTORY_H,
  type HistoryView,
  HOUR_MS,
  isItalianHoliday,
  LAGS_H,
  localHour,
  POLLUTANT_FIELDS,
  season,
  seasonalLag,
  SENSOR_FIELDS,
  toHourlySeries,
  WINDOWS_H,
} from "../../lib/features/mod.ts";
import { type ForecastConfig, ForecastConfigSchema, trainModels } from "../../lib/offline/mod.ts";
import {
  fitGbt,
  type GbtModel,
  type GbtParams,
  type ModelArtifact,
  predictGbt,
  predictModel,
} from "../../lib/models/mod.ts";
import { compileModel, PreparedRow } from "../../lib/models/artifact.ts";
import { EvaluationReportSchema } from "../../lib/records/mod.ts";
import {
  applyFactors,
  boundFactors,
  clockOf,
  conditionalConformalIntervals,
  groupIndex,
  recentOutage,
} from "../../lib/scoring/mod.ts";
import { CompiledGbt } from "../../lib/models/gbt_compiled.ts";
import {
  CLEAN_SCHEMA_VERSION,
  type CleanReading,
  MEASUREMENT_FIELDS,
  type Measurements,
} from "../../lib/records/mod.ts";
import {
  assembleModels,
  type Blend,
  type DeployedModels,
  type EngineOutput,
  type EstimateRecord,
  FALLBACK_RELATIVE_HALF_WIDTH,
  FORECAST_SCHEMA_VERSION,
  type ForecastRecord,
  type HalfWidth,
  type Interval,
  loadDeployedModels,
  predictBlend,
  REALTIME_HORIZONS,
  REALTIME_TARGETS,
  RealtimeForecaster,
  type SourcePosition,
  stationTime,
} from "../../lib/realtime/mod.ts";
import { CompiledBlend, mergedCutsOf } from "../../lib/realtime/models.ts";
import { UCI_PATH } from "../_data.ts";
import { waveReading } from "../_readings.ts";

function reading(h: number, overrides: Partial<CleanReading["measurements"]> = {}): CleanReading {
  return waveReading(h, { overrides });
}

const NONE: DeployedModels = { blends: new Map(), halfWidths: new Map(), problems: [] };

function checkRecords(forecasts: ForecastRecord[], r: CleanReading): void {
  assert.equal(forecasts.length, 12);
  const keys = new Set(forecasts.map((f) => `${f.target}|${f.horizon_h}`));
  assert.equal(keys.size, 12);
  for (const f of forecasts) {
    assert.equal(f.ts, r.ts);
    assert.equal(Date.parse(f.target_ts), r.ts_utc_ms + f.horizon_h * HOUR_MS);
    assert.ok(f.value !== null && Number.isFinite(f.value));
    assert.ok(f.interval !== null && f.interval.lower <= f.value && f.value <= f.interval.upper);
    assert.equal(f.interval.level, 0.9);
  }
}

Deno.test("without models: 12 persistence forecasts per reading, said so in the record", () => {
  const engine = new RealtimeForecaster(NONE, { utcOffsetMin: 60, warmupH: 24 });
  for (let h = 0; h < 30; h++) {
    const r = reading(h);
    const { forecasts, estimates } = engine.process(r);
    checkRecords(forecasts, r);
    for (const f of forecasts) {
      assert.equal(f.fallback, "persistence");
      assert.equal(f.fallback_reason, "no_model");
      assert.equal(f.baseline, true);
      assert.equal(f.value, r.measurements[f.field]);
      assert.equal(f.interval!.source, "fallback");
    }
    assert.equal(estimates.length, 0);
  }
});

Deno.test("a missing value: persistence carries the last observed one; nothing ever observed gives null", () => {
  const engine = new RealtimeForecaster(NONE, { utcOffsetMin: 60, warmupH: 24 });
  const first = engine.process(reading(0, { no2_ug_m3: null }));
  const no2 = first.forecasts.filter((f) => f.target === "NO2(GT)");
  assert.ok(no2.every((f) => f.value === null && f.fallback_reason === "no_observation"));
  engine.process(reading(1));
  const later = engine.process(reading(2, { no2_ug_m3: null })).forecasts;
  assert.ok(
    later.filter((f) => f.target === "NO2(GT)").every((f) =>
      f.value === reading(1).measurements.no2_ug_m3
    ),
  );
});

Deno.test("a late or duplicate reading still gets its 12 forecasts, from persistence", () => {
  const engine = new RealtimeForecaster(NONE, { utcOffsetMin: 60, warmupH: 0 });
  engine.process(reading(0));
  engine.process(reading(1));
  const dup = engine.process(reading(1));
  checkRecords(dup.forecasts, reading(1));
  assert.ok(dup.forecasts.every((f) => f.fallback_reason === "late_or_duplicate"));
});

Deno.test("intervals: evaluation half-widths for the model and for persistence", () => {
  const models = assembleModels([], {
    results: [
      { target: "CO(GT)", horizon_h: 1, model: "persistence", interval_mean_width: 2 },
      { target: "CO(GT)", horizon_h: 1, model: "best", interval_mean_width: 1 },
    ],
  }, 60);
  const engine = new RealtimeForecaster(models, { utcOffsetMin: 60, warmupH: 24 });
  const f = engine.process(reading(0)).forecasts.find((f) =>
    f.target === "CO(GT)" && f.horizon_h === 1
  )!;
  assert.equal(f.interval!.source, "evaluation");
  assert.equal(f.interval!.upper - f.value!, 1);
});

Deno.test("with the trained artifacts: persistence while warming up, then the blend; estimates when a reference is missing", async () => {
  // its own models (the train task on the first 2,000 hours, 10 trees) and the committed
  // evaluation: nothing in var/ that another test or an earlier run may or may not have left
  const dir = await Deno.makeTempDir({ prefix: "airq-engine-test-" });
  let models;
  try {
    const { modelDir } = await trainSmallModels(dir, {}, 2000);
    models = await loadDeployedModels(modelDir, "docs/reports/evaluation.json", 60);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.deepEqual(models.problems, []);
  assert.equal(models.blends.size, 16); // 4 targets x (3 horizons + nowcast)
  const engine = new RealtimeForecaster(models, { utcOffsetMin: 60, warmupH: 24 });
  for (let h = 0; h < 48; h++) {
    const r = reading(h, h === 40 ? { nox_ppb: null } : {});
    const { forecasts, estimates } = engine.process(r);
    checkRecords(forecasts, r);
    for (const f of forecasts) {
      if (h < 24) {
        assert.equal(f.fallback_reason, "warming_up");
        assert.equal(f.model_version, "persistence");
      } else {
        assert.equal(f.fallback, null);
        assert.equal(f.baseline, false);
        assert.match(
          f.model_version,
          /^(gbt|ridge)(_change)?\d\.\d\d(\+(gbt|ridge)(_change)?\d\.\d\d)*@/,
        );
        assert.equal(f.interval!.source, "evaluation");
      }
    }
    if (h === 40) {
      assert.equal(estimates.length, 1);
      assert.equal(estimates[0]!.target, "NOx(GT)");
      assert.equal(estimates[0]!.estimated, true);
      assert.ok(estimates[0]!.interval.lower <= estimates[0]!.value);
    } else assert.equal(estimates.length, 0);
  }
});

// ---------------------------------------------------------------------------
// The fast paths against the straightforward ones: compiled models against
// predictModel(), and the whole engine against a reference engine written the
// plain way (features read hour by hour through value(), blends through
// predictModel(), times through Date), record for record.

const UTC_OFFSET_MIN = 60;

/** Small models fitted with the real training code on a slice of the real file (what CI has). */
async function trainedArtifacts(): Promise<{ artifacts: ModelArtifact[]; rows: UciRow[] }> {
  const rows = await Array.fromAsync(readUciFile(UCI_PATH));
  const base = ForecastConfigSchema.parse(
    JSON.parse(await Deno.readTextFile(new URL("../../config/forecast.json", import.meta.url))),
  );
  const config: ForecastConfig = {
    ...base,
    walkForward: { ...base.walkForward, trainWindowH: 1000 },
    gbt: { ...base.gbt, trees: 25 },
  };
  const series = toHourlySeries(rows.slice(0, 1200));
  return { artifacts: trainModels(series, config, "2026-01-01T00:00:00.000Z"), rows };
}

const trained = await trainedArtifacts();

Deno.test("models trained with other features are refused by name, the others served", () => {
  // as a forecast model of the 140 features before the same-hour mean (round two) was
  const old = trained.artifacts.map((a) =>
    a.mode === "forecast" && a.target === "NO2(GT)" && a.horizonH === 24
      ? { ...a, features: a.features.filter((n) => !n.endsWith("_same_hour_mean7")) }
      : a
  );
  const models = assembleModels(old, null, UTC_OFFSET_MIN);
  assert.equal(models.blends.has("NO2(GT)|24"), false);
  assert.equal(
    models.blends.size,
    assembleModels(trained.artifacts, null, UTC_OFFSET_MIN).blends.size - 1,
  );
  assert.equal(models.problems.length, 1);
  assert.match(
    models.problems[0]!,
    /^NO2\(GT\)\|24: artifact .* has other features than this code computes .*deno task train/,
  );
});

/** The deployed models of both kinds: the real ones when `deno task train` left them, the small ones always. */
async function deployments(): Promise<[string, DeployedModels][]> {
  // the committed evaluation's served intervals (regime groups, outage group) on the small
  // models too, so a fresh clone without var/models checks the grouped intervals as well
  const evaluation = EvaluationReportSchema.parse(
    JSON.parse(await Deno.readTextFile("docs/reports/evaluation.json")),
  );
  assert.ok(evaluation.served_intervals, "the committed evaluation serves grouped intervals");
  const out: [string, DeployedModels][] = [
    ["small trained models", assembleModels(trained.artifacts, null, UTC_OFFSET_MIN)],
    [
      "small trained models, committed served intervals",
      assembleModels(trained.artifacts, evaluation, UTC_OFFSET_MIN),
    ],
  ];
  const real = await loadDeployedModels("var/models", "var/evaluation.json", UTC_OFFSET_MIN);
  if (real.blends.size > 0) out.push(["var/models", real]);
  // deno-lint-ignore no-console
  else console.warn("no artifacts in var/models (run `deno task train`): small models only");
  return out;
}

/** The value of a field at t - lag, read from every reading pushed so far. */
class NaiveHistory implements HistoryView {
  readonly hours = new Map<number, Measurements>();
  latestMs = NaN;
  value(fieldIndex: number, lag: number): number {
    if (lag < 0 || lag >= HISTORY_H) return NaN;
    const m = this.hours.get(this.latestMs - lag * HOUR_MS);
    const v = m?.[MEASUREMENT_FIELDS[fieldIndex]!];
    return v === undefined || v === null ? NaN : v;
  }
}

const POLLUTANTS = POLLUTANT_FIELDS.map((f) => MEASUREMENT_FIELDS.indexOf(f));
const SENSORS = SENSOR_FIELDS.map((f) => MEASUREMENT_FIELDS.indexOf(f));

/** Mean and sample std (n - 1) of the observed values at lags [from, from + len). */
function windowStats(view: HistoryView, f: number, from: number, len: number): [number, number] {
  const values: number[] = [];
  for (let lag = from; lag < from + len; lag++) {
    const v = view.value(f, lag);
    if (!Number.isNaN(v)) values.push(v);
  }
  let sum = 0;
  for (const v of values) sum += v;
  const mean = values.length > 0 ? sum / values.length : NaN;
  if (values.length < 2) return [mean, NaN];
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return [mean, Math.sqrt(ss / (values.length - 1))];
}

/** The features, straight from their definitions (docs/forecasting.md), one value() at a time. */
function referenceFeatures(view: HistoryView, epochMs: number, spec: FeatureSpec): number[] {
  const s = spec.mode === "nowcast" ? 1 : 0;
  const h = spec.horizonH;
  const out: number[] = [];
  const tgt = localHour(epochMs + h * HOUR_MS, spec.utcOffsetMin);
  const angle = (2 * Math.PI * tgt.hour) / 24;
  const holiday = isItalianHoliday(tgt.year, tgt.month, tgt.day) ? 1 : 0;
  const weekend = tgt.dow >= 5 ? 1 : 0;
  out.push(tgt.hour, tgt.dow, tgt.month);
  for (let k = 1; k <= 3; k++) out.push(Math.sin(k * angle), Math.cos(k * angle));
  out.push(Math.sin((2 * Math.PI * tgt.dow) / 7), Math.cos((2 * Math.PI * tgt.dow) / 7));
  out.push(Math.sin((2 * Math.PI * tgt.doy) / 365.25), Math.cos((2 * Math.PI * tgt.doy) / 365.25));
  out.push(weekend, holiday, weekend || holiday ? 1 : 0);
  for (let q = 0; q < 4; q++) out.push(season(tgt.month) === q ? 1 : 0);
  const now = localHour(epochMs, spec.utcOffsetMin);
  out.push(now.hour, now.dow >= 5 || isItalianHoliday(now.year, now.month, now.day) ? 1 : 0);
  for (const f of POLLUTANTS) {
    for (const lag of LAGS_H) out.push(view.value(f, lag + s));
    out.push(view.value(f, seasonalLag(h, 24, s)), view.value(f, seasonalLag(h, 168, s)));
    if (spec.mode === "forecast") {
      // the target's hour on each of the 7 days before it, the observed ones averaged
      const days = [0, 1, 2, 3, 4, 5, 6].map((d) => view.value(f, seasonalLag(h, 24, 0) + 24 * d))
        .filter((v) => !Number.isNaN(v));
      out.push(days.length > 0 ? days.reduce((a, b) => a + b, 0) / days.length : NaN);
    }
    for (const w of WINDOWS_H) out.push(...windowStats(view, f, s, w));
    out.push(windowStats(view, f, s, 168)[0]);
    out.push(Number.isNaN(view.value(f, s)) ? 1 : 0);
    let observed = 0;
    for (let lag = s; lag < s + 24; lag++) if (!Number.isNaN(view.value(f, lag))) observed++;
    out.push(observed);
  }
  for (const f of SENSORS) {
    out.push(view.value(f, 0), windowStats(view, f, 0, 3)[0], ...windowStats(view, f, 0, 24));
  }
  for (const f of SENSORS.slice(0, 5)) out.push(view.value(f, 0) - view.value(f, 1));
  out.push(Number.isNaN(view.value(SENSORS[0]!, 0)) ? 1 : 0);
  return out;
}

/**
 * The blend the plain way: level parts summed; change parts (the artifact's `change`) add
 * expm1(prediction + offset) clipped at 0, and where that has no value the level parts stand
 * alone, rescaled to their share.
 */
function referenceBlend(blend: Blend, x: number[], offset = NaN): number {
  const matrix = { n: 1, p: x.length, data: Float64Array.from(x) };
  let level = 0, change = 0, levelShare = 0, changeParts = 0;
  for (const part of blend.parts) {
    const p = predictModel(part.artifact.model, matrix)[0]!;
    if (part.artifact.change === undefined) {
      level += part.weight * p;
      levelShare += part.weight;
    } else {
      change += part.weight * Math.max(0, Math.expm1(p + offset));
      changeParts++;
    }
  }
  if (changeParts === 0) return level;
  return Number.isNaN(change) ? level / levelShare : level + change;
}

/** The latest value of a field strictly before t, however old, and the hours since it (plain scan). */
function referenceLastBefore(
  history: NaiveHistory,
  t: number,
  fieldIndex: number,
): { ageH: number; value: number } {
  const first = Math.min(...history.hours.keys());
  for (let at = t - HOUR_MS; at >= first; at -= HOUR_MS) {
    const v = history.hours.get(at)?.[MEASUREMENT_FIELDS[fieldIndex]!];
    if (v !== undefined && v !== null) return { ageH: (t - at) / HOUR_MS, value: v };
  }
  return { ageH: NaN, value: NaN };
}

/** The virtual sensor's extra inputs named `names`, computed the plain way from the history. */
function referenceExtras(history: NaiveHistory, t: number, names: readonly string[]): number[] {
  const at = (f: string, lag: number) => history.value(MEASUREMENT_FIELDS.indexOf(f as never), lag);
  return names.map((name) => {
    const ratio = /^(\w+)_over_median(\d+)$/.exec(name);
    if (ratio !== null) {
      const values: number[] = [];
      for (let lag = 0; lag < Number(ratio[2]); lag++) {
        const v = at(ratio[1]!, lag);
        if (!Number.isNaN(v)) values.push(v);
      }
      values.sort((a, b) => a - b);
      const m = values.length;
      const median = m === 0
        ? NaN
        : m % 2 === 1
        ? values[(m - 1) / 2]!
        : (values[m / 2 - 1]! + values[m / 2]!) / 2;
      return at(ratio[1]!, 0) / median;
    }
    const product = /^(\w+)_x_(t|rh)$/.exec(name);
    if (product !== null) return at(product[1]!, 0) * at(product[2] === "t" ? "t_c" : "rh_pct", 0);
    const age = /^(\w+)_(age_h|last)$/.exec(name);
    assert.ok(age !== null, `unknown extra ${name}`);
    const last = referenceLastBefore(history, t, MEASUREMENT_FIELDS.indexOf(age[1] as never));
    return age[2] === "last" ? last.value : Math.min(last.ageH, 24 * 14);
  });
}

/** log1p of the latest value of `field` in the lookback of the blend's change parts; NaN if none. */
function referenceOffset(blend: Blend, history: HistoryView, field: string): number {
  const lookback = blend.parts.find((p) => p.artifact.change !== undefined)?.artifact.change
    ?.lookbackH;
  if (lookback === undefined || lookback === null) return NaN;
  for (let lag = 0; lag < lookback; lag++) {
    const v = history.value(MEASUREMENT_FIELDS.indexOf(field as never), lag);
    if (!Number.isNaN(v)) return Math.log1p(v);
  }
  return NaN;
}

function referenceTime(epochMs: number): string {
  return new Date(epochMs + UTC_OFFSET_MIN * 60_000).toISOString().slice(0, 19) + "+01:00";
}

function referenceInterval(value: number, hw: HalfWidth | undefined): Interval {
  const half = hw?.value ?? FALLBACK_RELATIVE_HALF_WIDTH * Math.abs(value);
  return {
    lower: Math.min(value, Math.max(0, value - half)),
    upper: value + half,
    level: 0.9,
    source: hw?.source ?? "fallback",
  };
}

/** How many intervals the reference took from the recalibrated rule (so the test sees it work). */
let recalibratedIntervals = 0;

/** A station's model forecasts so far, by `target|h` and issue time: value and interval group. */
type ModelForecasts = Map<string, Map<number, { value: number; group: number }>>;

/**
 * The regime-aware interval around a model's forecast, the plain way: the
 * group of the forecast's level, the target hour's clock and a recent outage
 * of the target; with the rule's `calibration`, the offline rule
 * (`conditionalConformalIntervals`) run over every model forecast of the station
 * so far and every observation, as evaluate runs it; else, or while that rule has
 * no interval, the group's half-width after evaluate's last hour (none: null, the
 * plain interval). The forecast is recorded in `made`.
 */
function referenceGrouped(
  models: DeployedModels,
  key: string,
  value: number,
  station: { history: NaiveHistory; firstMs: number; made: ModelForecasts },
  t: number,
): Interval | null {
  const g = models.grouped?.get(key);
  if (g === undefined) return null;
  const { history } = station;
  const h = Number(key.split("|")[1]);
  const outage = g.rule.outage !== null &&
    recentOutage((lag) => history.value(g.fieldIndex, lag), g.rule.outage);
  const group = groupIndex(g.rule, value, clockOf(t + h * HOUR_MS, UTC_OFFSET_MIN), outage);
  const made = station.made.get(key) ?? new Map<number, { value: number; group: number }>();
  station.made.set(key, made);
  made.set(t, { value, group });
  if (g.calibration !== null) {
    const n = (t - station.firstMs) / HOUR_MS + 1;
    const at = (i: number) => station.firstMs + i * HOUR_MS;
    const pred = Array.from({ length: n }, (_, i) => made.get(at(i))?.value ?? NaN);
    const obs = Array.from({ length: n }, (_, i) => {
      const v = history.hours.get(at(i))?.[MEASUREMENT_FIELDS[g.fieldIndex]!];
      return v === undefined || v === null ? NaN : v;
    });
    const offline = conditionalConformalIntervals(
      pred,
      obs,
      h,
      g.calibration,
      (i) => made.get(at(i))!.group,
      0,
    );
    const lower = offline.lower[n - 1]!, upper = offline.upper[n - 1]!;
    if (!Number.isNaN(lower)) {
      recalibratedIntervals++;
      return { lower, upper, level: 0.9, source: "evaluation" };
    }
  }
  const q = g.halfWidths[group], below = g.lowerHalfWidths[group];
  if (q === undefined || Number.isNaN(q) || below === undefined || Number.isNaN(below)) return null;
  // evaluate's sides after its last hour: above and below the forecast (equal with symmetric tails)
  const factors = boundFactors(-below, q, g.scale);
  return { ...applyFactors(value, factors, g.scale, 0), level: 0.9, source: "evaluation" };
}

/** `RealtimeForecaster` written the plain way: what the fast engine must reproduce exactly. */
class ReferenceEngine {
  readonly #stations = new Map<
    string,
    { history: NaiveHistory; firstMs: number; made: ModelForecasts }
  >();
  constructor(readonly models: DeployedModels, readonly warmupH: number) {}

  process(reading: CleanReading, source: SourcePosition | null): EngineOutput {
    const id = reading.station_id;
    const t = reading.ts_utc_ms;
    let station = this.#stations.get(id);
    if (station === undefined) {
      station = { history: new NaiveHistory(), firstMs: t, made: new Map() };
      this.#stations.set(id, station);
    }
    const { history } = station;
    const step = (t - history.latestMs) / HOUR_MS;
    const inOrder = Number.isNaN(history.latestMs) || (Number.isInteger(step) && step >= 1);
    if (inOrder) {
      history.hours.set(t, reading.measurements);
      history.latestMs = t;
    }
    const warm = inOrder && (t - station.firstMs) / HOUR_MS >= this.warmupH;
    const lastObserved = (field: string) => {
      for (let lag = 0; lag < HISTORY_H; lag++) {
        const v = history.value(MEASUREMENT_FIELDS.indexOf(field as never), lag);
        if (!Number.isNaN(v)) return v;
      }
      return NaN;
    };
    const forecasts: ForecastRecord[] = [];
    for (const h of REALTIME_HORIZONS) {
      const spec: FeatureSpec = { mode: "forecast", horizonH: h, utcOffsetMin: UTC_OFFSET_MIN };
      for (const { target, field } of REALTIME_TARGETS) {
        const key = `${target}|${h}`;
        const blend = this.models.blends.get(key);
        let value: number | null = null;
        let reason: string | null = null;
        if (warm && blend !== undefined) {
          const v = referenceBlend(
            blend,
            referenceFeatures(history, t, spec),
            referenceOffset(blend, history, field),
          );
          if (Number.isFinite(v)) value = v;
          else reason = "model_not_finite";
        } else {
          reason = !inOrder
            ? "late_or_duplicate"
            : blend === undefined
            ? (this.models.blends.size > 0 ? "no_model_for_target" : "no_model")
            : "warming_up";
        }
        let version = blend?.version ?? "none";
        let hw = this.models.halfWidths.get(key);
        const grouped = value === null
          ? null
          : referenceGrouped(this.models, key, value, station, t);
        if (value === null) {
          const v = inOrder
            ? lastObserved(field)
            : reading.measurements[field] ?? lastObserved(field);
          if (Number.isFinite(v)) value = v;
          else reason = "no_observation";
          version = "persistence";
          hw = this.models.halfWidths.get(`${key}|persistence`);
        }
        forecasts.push({
          schema_version: FORECAST_SCHEMA_VERSION,
          kind: "forecast",
          forecast_id: `${id}|${reading.ts}|${target}|${h}`,
          station_id: id,
          target,
          field,
          horizon_h: h,
          value,
          interval: value === null ? null : grouped ?? referenceInterval(value, hw),
          ts: reading.ts,
          target_ts: referenceTime(t + h * HOUR_MS),
          model_version: version,
          baseline: reason !== null,
          fallback: reason === null ? null : "persistence",
          fallback_reason: reason,
          source,
        });
      }
    }
    const estimates: EstimateRecord[] = [];
    if (inOrder && reading.measurements.pt08_s1_co !== null) {
      const spec: FeatureSpec = { mode: "nowcast", horizonH: 0, utcOffsetMin: UTC_OFFSET_MIN };
      for (const { target, field } of REALTIME_TARGETS) {
        const key = `${target}|nowcast`;
        const blend = this.models.blends.get(key);
        if (reading.measurements[field] !== null || blend === undefined) continue;
        const names = blend.parts[0]!.artifact.features;
        const base = referenceFeatures(history, t, spec);
        const x = [...base, ...referenceExtras(history, t, names.slice(base.length))];
        const last = referenceLastBefore(history, t, MEASUREMENT_FIELDS.indexOf(field as never));
        const v = Math.max(0, referenceBlend(blend, x, Math.log1p(last.value)));
        if (!Number.isFinite(v)) continue;
        estimates.push({
          schema_version: FORECAST_SCHEMA_VERSION,
          kind: "estimate",
          estimated: true,
          estimate_id: `${id}|${reading.ts}|${target}`,
          station_id: id,
          target,
          field,
          ts: reading.ts,
          value: v,
          interval: referenceInterval(v, this.models.halfWidths.get(key)),
          model_version: blend.version,
          source,
        });
      }
    }
    return { forecasts, estimates };
  }
}

/**
 * Readings of three stations from the real file after the training slice: the real
 * gaps and missing values, plus late, duplicate and off-grid readings, hours that
 * never arrive and a reading without sensors.
 */
function awkwardReadings(rows: readonly UciRow[], count: number): CleanReading[] {
  const out: CleanReading[] = [];
  const reading = (station: number, epochMs: number, m: Measurements, i: number): CleanReading => ({
    schema_version: CLEAN_SCHEMA_VERSION,
    station_id: `station-${station}`,
    ts: stationTime(epochMs, UTC_OFFSET_MIN),
    ts_utc_ms: epochMs,
    measurements: m,
    flags: {},
    rejected: {},
    status: "ok",
    source: { topic: "airq.readings.clean", partition: station, offset: String(i) },
  });
  for (let i = 0; i < count; i++) {
    const row = rows[i]!;
    for (let station = 0; station < 3; station++) {
      if (station === 1 && i % 50 >= 45) continue; // hours that never arrive
      const shift = station * 7 * 24 * HOUR_MS; // another week of the same file
      const source = rows[Math.min(rows.length - 1, i + station * 168)]!;
      const m = { ...source.measurements };
      if (station === 2 && i % 37 === 5) m.pt08_s1_co = null; // no sensors: no estimates
      out.push(reading(station, row.epochMs + shift, m, i));
      if (station === 0 && i % 29 === 7) out.push(reading(0, row.epochMs, m, i)); // duplicate
      if (station === 0 && i % 31 === 9) out.push(reading(0, row.epochMs - 3 * HOUR_MS, m, i)); // late
      if (station === 2 && i % 41 === 3) {
        out.push(reading(2, row.epochMs + shift + 1_800_000, m, i)); // off grid
      }
    }
  }
  return out;
}

Deno.test("compiled models predict exactly what predictModel() does, shared bins or not", async () => {
  for (const [name, models] of await deployments()) {
    const state = new FeatureState();
    const specs: FeatureSpec[] = [
      ...REALTIME_HORIZONS.map((h) => ({
        mode: "forecast" as const,
        horizonH: h,
        utcOffsetMin: 60,
      })),
      { mode: "nowcast", horizonH: 0, utcOffsetMin: 60 },
    ];
    // the blends on each row layout share its bins, as compileModels() compiles them: the
    // forecasts', and the virtual sensors' without extras (those with extras bin their own rows)
    const entries = [...models.blends.entries()];
    const nowcastCount = featureCount(specs.at(-1)!);
    const isNowcast = ([key]: [string, Blend]) => key.endsWith("|nowcast");
    const width = ([, b]: [string, Blend]) => b.parts[0]!.artifact.features.length;
    const groups = [
      { rowWidth: featureCount(specs[0]!), group: entries.filter((e) => !isNowcast(e)) },
      {
        rowWidth: nowcastCount,
        group: entries.filter((e) => isNowcast(e) && width(e) === nowcastCount),
      },
    ].map(({ rowWidth, group }) => {
      const blends = group.map(([, b]) => b);
      const cuts = mergedCutsOf(blends);
      return {
        width: rowWidth,
        blends,
        cuts,
        shared: blends.map((b) => new CompiledBlend(b, cuts)),
        alone: blends.map((b) => b.parts.map((p) => compileModel(p.artifact.model))),
      };
    });
    assert.ok(
      groups.every((g) => g.blends.every((b) => b.parts[0]!.artifact.features.length === g.width)),
    );
    const withExtras = entries.filter((e) => isNowcast(e) && width(e) > nowcastCount).map(([, b]) =>
      b
    );
    const extrasCompiled = withExtras.map((b) => new CompiledBlend(b));
    let checked = 0, extrasChecked = 0;
    const check = (blend: Blend, v: Float64Array, compiled: CompiledBlend, row?: PreparedRow) => {
      for (const offset of [NaN, Math.log1p(2.5)]) {
        const expected = referenceBlend(blend, Array.from(v), offset);
        assert.ok(Object.is(predictBlend(blend, v, offset), expected), `${name}: predictBlend`);
        assert.ok(Object.is(compiled.predict(v, row, offset), expected), `${name}: compiled`);
      }
    };
    for (const row of trained.rows.slice(1200, 1500)) {
      state.push(row.epochMs, row.measurements);
      for (const spec of specs) {
        const x = state.features(spec);
        const odd = Float64Array.from(
          x,
          (v, j) => j % 17 === 3 ? [NaN, -0, Infinity, -1e300][j % 4]! : v,
        );
        const group = groups[spec.mode === "nowcast" ? 1 : 0]!;
        assert.equal(x.length, group.width, `${name}: ${spec.mode} row`);
        for (const v of [x, odd]) {
          const prepared = new PreparedRow(group.cuts, v.length).prepare(v);
          group.blends.forEach((blend, i) => {
            check(blend, v, group.shared[i]!, prepared);
            blend.parts.forEach((part, k) => {
              const one = predictModel(part.artifact.model, { n: 1, p: v.length, data: v })[0];
              assert.ok(Object.is(group.alone[i]![k]!.predict(v), one), `${name}: one model`);
            });
            checked++;
          });
          if (spec.mode !== "nowcast") continue;
          for (const [i, blend] of withExtras.entries()) {
            const names = blend.parts[0]!.artifact.features.slice(v.length);
            const extended = new Float64Array(v.length + names.length);
            extended.set(v);
            nowcastExtrasInto(state, names.map((n) => parseNowcastExtra(n)!), extended, v.length);
            check(blend, extended, extrasCompiled[i]!);
            extrasChecked++;
          }
        }
      }
    }
    // the real and the small models' virtual sensors have extras (config/forecast.json's nowcast)
    assert.ok(extrasChecked > 100, `${name}: ${extrasChecked} with extras`);
    assert.ok(checked > 1000, `${name}: ${checked}`);
  }
});

Deno.test("compiled trees fall back to predictGbt() when too deep or malformed", () => {
  const n = 300;
  const data = Float64Array.from({ length: n * 2 }, (_, i) => (i * 7919) % 1000 / 10);
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(data[2 * i]!) * data[2 * i + 1]!);
  const params: GbtParams = {
    trees: 5,
    learningRate: 0.3,
    maxDepth: 12,
    minSamplesLeaf: 1,
    treeFeatureFraction: 1,
    splitFeatureFraction: 1,
    rowSubsample: 1,
    maxBins: 64,
    l2: 0,
    seed: 3,
    transform: "none",
  };
  const deep = fitGbt({ n, p: 2, data }, y, params);
  const shallow = fitGbt({ n, p: 2, data }, y, { ...params, maxDepth: 3 });
  const unsorted: GbtModel = { ...shallow, cuts: shallow.cuts.map((c) => [...c].reverse()) };
  const cases: [GbtModel, boolean][] = [[deep, false], [shallow, true], [unsorted, false]];
  for (const [model, compiled] of cases) {
    const c = new CompiledGbt(model);
    assert.equal(c.compiled, compiled);
    for (let i = 0; i < n; i++) {
      const x = data.slice(2 * i, 2 * i + 2);
      if (i % 10 === 0) x[i % 20 === 0 ? 0 : 1] = NaN;
      assert.ok(Object.is(c.predict(x), predictGbt(model, { n: 1, p: 2, data: x })[0]));
    }
  }
});

Deno.test("the engine writes the reference engine's records, field for field, odd readings included", async () => {
  const readings = awkwardReadings(trained.rows.slice(1200), 400);
  for (const [name, models] of await deployments()) {
    const recalibratedBefore = recalibratedIntervals;
    for (const warmupH of [24, 0]) {
      const engine = new RealtimeForecaster(models, { utcOffsetMin: UTC_OFFSET_MIN, warmupH });
      const reference = new ReferenceEngine(models, warmupH);
      let estimates = 0, late = 0, modelled = 0;
      for (const r of readings) {
        const source = r.ts_utc_ms % 3 === 0 ? null : r.source;
        const got = engine.process(r, source);
        const expected = reference.process(r, source);
        assert.deepStrictEqual(
          got,
          expected,
          `${name}, warm-up ${warmupH} h: ${r.station_id} ${r.ts}`,
        );
        estimates += got.estimates.length;
        late += got.forecasts[0]!.fallback_reason === "late_or_duplicate" ? 1 : 0;
        modelled += got.forecasts.filter((f) => f.fallback === null).length;
      }
      assert.ok(estimates > 20 && late > 20 && modelled > 5000, `${estimates} ${late} ${modelled}`);
    }
    // the deployments with the committed evaluation recalibrate their intervals live
    const recalibrates = [...models.grouped?.values() ?? []].some((g) => g.calibration !== null);
    const recalibrated = recalibratedIntervals - recalibratedBefore;
    assert.ok(recalibrates ? recalibrated > 2000 : recalibrated === 0, `${name}: ${recalibrated}`);
  }
});

Deno.test("stationTime() prints what Date does, at any offset and in odd corners", () => {
  const instants = [
    0,
    -1,
    1.5,
    Date.UTC(2004, 1, 29, 23, 59, 59, 999),
    Date.parse("0000-01-01T00:00:00Z"),
    Date.parse("9999-12-31T23:30:00Z"),
    Date.UTC(-5, 0, 1),
    8.64e15,
  ];
  for (const offset of [60, 0, -330, 345, 30.5, -720]) {
    for (const t of instants) {
      let expected: string;
      try {
        const local = new Date(t + offset * 60_000).toISOString().slice(0, 19);
        const abs = Math.abs(offset);
        expected = `${local}${offset < 0 ? "-" : "+"}${
          String(Math.floor(abs / 60)).padStart(2, "0")
        }:${String(abs % 60).padStart(2, "0")}`;
      } catch (error) {
        assert.throws(() => stationTime(t, offset), (error as Error).constructor as never);
        continue;
      }
      assert.equal(stationTime(t, offset), expected, `${t} ${offset}`);
    }
  }
});
