/**
 * The evaluated NO2 early warning, served (lib/alerts/served_warning.ts): on
 * the real NO2 series, the live state fed reading by reading warns at exactly
 * the hours evaluate's `warningAtLead` does; a warm start from stored readings
 * and forecasts rebuilds it; and the alerter fires, holds and resolves its
 * early warnings by that rule at the served leads only.
 */
import assert from "node:assert/strict";
import {
  type EvaluatedLead,
  PollutionAlerter,
  servedWarningRule,
  ServedWarnings,
} from "../../lib/alerts/mod.ts";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { toHourlySeries } from "../../lib/features/mod.ts";
import { warningAtLead } from "../../lib/offline/warning.ts";
import type { Alert, ForecastRecord } from "../../lib/records/mod.ts";
import { servedWarningOf } from "../../lib/realtime/mod.ts";
import type { EvaluationReport } from "../../lib/records/evaluation.ts";
import { UCI_PATH } from "../_data.ts";
import { brief, checked, CONFIG, forecast, HOUR_MS, NOW, reading, T0, tsAt } from "./_helpers.ts";

const pure = { permissions: "none" } as const;
const SETTINGS = {
  field: "no2_ug_m3",
  threshold: 200,
  residualWindowH: 720,
  minResiduals: 50,
} as const;

/** A deterministic pseudo-random stream in [0, 1) (a 32-bit LCG). */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const rows = await Array.fromAsync(readUciFile(UCI_PATH));
const y = toHourlySeries(rows).columns.no2_ug_m3;

/**
 * A forecast of y[t + lead] made at t: the truth times a random factor, missing where the truth is
 * and at a few more hours. Only its errors matter here: both sides get the same.
 */
function forecastSeries(lead: number, seed: number): Float64Array {
  const u = uniform(seed);
  return Float64Array.from({ length: y.length }, (_, t) => {
    const truth = y[t + lead] ?? NaN, r = u();
    return r < 0.02 ? NaN : (truth === truth ? truth : 120) * Math.exp(0.5 * (u() - 0.5));
  });
}

/** Hours of the real file that have no reading at all in this replay (a station offline). */
const OFFLINE = new Set([3000, 3001, 3002, 6000]);

/** The live state fed hour by hour as the forecaster does; per hour and lead its verdict. */
function replay(
  served: ServedWarnings,
  forecasts: ReadonlyMap<number, Float64Array>,
  from: number,
  to: number,
  records: ForecastRecord[] = [],
): Map<number, Map<number, { p: number; warn: boolean }>> {
  const out = new Map<number, Map<number, { p: number; warn: boolean }>>();
  for (let t = from; t <= to; t++) {
    if (OFFLINE.has(t)) continue;
    const v = y[t]!, hour = Math.floor(T0 / HOUR_MS) + t; // hours since the epoch, as live
    served.observe("station-001", hour, reading(t, { no2_ug_m3: v === v ? v : null }).measurements);
    const verdicts = new Map<number, { p: number; warn: boolean }>();
    for (const [lead, f] of forecasts) {
      if (f[t] !== f[t]) continue; // no forecast this hour
      const record = forecast(t, lead, "no2_ug_m3", f[t]!, 10);
      records.push(record);
      const j = served.judge(record, hour)!;
      verdicts.set(lead, { p: j.p, warn: j.warn });
    }
    out.set(t, verdicts);
  }
  return out;
}

Deno.test(
  "served warning: warns at exactly the hours evaluate's rule does, on the real NO2 series",
  pure,
  () => {
    const validation = { from: 5900, to: 7300 }, test = { from: 7301, to: y.length - 1 };
    const forecasts = new Map([[1, forecastSeries(1, 7)], [6, forecastSeries(6, 11)]]);
    for (const f of forecasts.values()) for (const t of OFFLINE) f[t] = NaN;
    const yOffline = Float64Array.from(y, (v, t) => (OFFLINE.has(t) ? NaN : v));
    const options = { ...SETTINGS, cutoffs: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7] };
    const offline = new Map(
      [...forecasts].map((
        [lead, f],
      ) => [lead, warningAtLead(yOffline, f, lead, options, validation, test)]),
    );
    const leads: EvaluatedLead[] = [...offline].map(([, o]) => o.row);
    const rule = servedWarningRule(SETTINGS, leads, [1, 6, 24]);
    const live = replay(new ServedWarnings(rule), forecasts, 0, y.length - 1);
    let warned = 0, judged = 0;
    for (let t = test.from; t < y.length; t++) {
      for (const [lead, o] of offline) {
        const verdict = live.get(t)?.get(lead);
        // evaluate scores an hour only where it has a probability; so does the alerter
        if (verdict === undefined || verdict.p !== verdict.p) continue;
        judged++;
        assert.equal(verdict.warn, o.warn(t), `lead ${lead} h, hour ${t}`);
        if (verdict.warn) warned++;
      }
    }
    // the real file's test months have many NO2 exceedances: the comparison covers both answers
    assert.ok(judged > 2 * 2000 && warned > 100, `${judged} judged, ${warned} warned`);
  },
);

Deno.test(
  "served warning: a warm start from stored readings and forecasts rebuilds the live state",
  pure,
  () => {
    const forecasts = new Map([[1, forecastSeries(1, 3)], [6, forecastSeries(6, 5)]]);
    const leads = [
      { lead_h: 1, probability_cutoff: 0.3, combination: "probability" },
      { lead_h: 6, probability_cutoff: 0.2, combination: "probability_or_persistence" },
    ];
    const rule = servedWarningRule(SETTINGS, leads, [1, 6, 24]);
    const live = new ServedWarnings(rule), records: ForecastRecord[] = [];
    const T = 7000, H = live.warmHours;
    assert.equal(H, 1080 + 6);
    replay(live, forecasts, 0, T, records);
    // what the store gives a new process: the last H hours of readings and the forecasts made then
    const history = [];
    for (let t = T - H + 1; t <= T; t++) {
      const v = y[t]!;
      if (!OFFLINE.has(t)) history.push(reading(t, { no2_ug_m3: v === v ? v : null }));
    }
    const from = Date.parse(history[0]!.ts);
    const warmed = new ServedWarnings(rule);
    warmed.warm("station-001", history, records.filter((r) => Date.parse(r.ts) >= from));
    const a = replay(live, forecasts, T + 1, T + 500);
    const b = replay(warmed, forecasts, T + 1, T + 500);
    assert.deepEqual(b, a);
    assert.ok([...a.values()].some((m) => [...m.values()].some((v) => v.warn)));
    // a cold start instead has no probability for its first hours
    const cold = replay(new ServedWarnings(rule), forecasts, T + 1, T + 500);
    assert.ok(Number.isNaN(cold.get(T + 1)!.get(1)!.p));
  },
);

const RULE = servedWarningRule(
  { ...SETTINGS, residualWindowH: 10, minResiduals: 5 },
  [
    { lead_h: 1, probability_cutoff: 0.3, combination: "probability" },
    { lead_h: 3, probability_cutoff: 0.5, combination: "probability" },
    { lead_h: 6, probability_cutoff: 0.4, combination: "probability" },
  ],
  [1, 6, 24],
);

/** An alerter serving RULE that has seen NO2 = 150 and 1 h forecasts 10 % above the truth for hours 0..9. */
function servedAlerter(): PollutionAlerter {
  const alerter = new PollutionAlerter(CONFIG, { served: RULE });
  for (let h = 0; h <= 9; h++) {
    alerter.observe(reading(h, { no2_ug_m3: 150 }), NOW);
    alerter.forecasts([forecast(h, 1, "no2_ug_m3", 165, 1)], NOW);
  }
  return alerter;
}

Deno.test(
  "served warning: the alerter fires at the lead's cut-off, not at the interval's P",
  pure,
  () => {
    assert.deepEqual([...RULE.leads.keys()], [1, 6]); // 3 h is not forecast: not served
    const alerter = servedAlerter();
    alerter.observe(reading(10, { no2_ug_m3: 150 }), NOW);
    // log errors all log1p(150) - log1p(165): a forecast of 221 or more puts every one above 200
    const [fired] = checked(alerter.forecasts([forecast(10, 1, "no2_ug_m3", 225, 1000)], NOW)) as [
      Alert,
    ];
    assert.equal(fired.kind, "early_warning");
    assert.equal(fired.state, "firing");
    assert.equal(fired.evidence.value, 1);
    assert.equal(fired.evidence.threshold, 0.3);
    // a 24 h forecast, however alarming by its interval, does not warn for the served limit
    const other = new PollutionAlerter(CONFIG, { served: RULE });
    for (let h = 0; h <= 10; h++) other.observe(reading(h, { no2_ug_m3: 150 }), NOW);
    assert.deepEqual(other.forecasts([forecast(10, 24, "no2_ug_m3", 400, 1)], NOW), []);
    // without the rule the same 24 h forecast warns (P = 1 from its interval)
    const generic = new PollutionAlerter(CONFIG);
    for (let h = 0; h <= 10; h++) generic.observe(reading(h, { no2_ug_m3: 150 }), NOW);
    assert.equal(
      checked(generic.forecasts([forecast(10, 24, "no2_ug_m3", 400, 1)], NOW)).length,
      1,
    );
  },
);

Deno.test(
  "served warning: it resolves once the rule stops warning and the warned hour is observed",
  pure,
  () => {
    const alerter = servedAlerter();
    alerter.observe(reading(10, { no2_ug_m3: 150 }), NOW);
    assert.equal(checked(alerter.forecasts([forecast(10, 1, "no2_ug_m3", 225, 1)], NOW)).length, 1);
    // hour 11 observed below the limit (its residual joins); the next forecast is low: P = 0 < 0.3
    alerter.observe(reading(11, { no2_ug_m3: 150 }), NOW);
    const resolved = checked(alerter.forecasts([forecast(11, 1, "no2_ug_m3", 160, 1)], NOW));
    assert.deepEqual(brief(resolved), [`early_warning resolved info no2_ug_m3 ${tsAt(11)}`]);
    assert.equal(resolved[0]!.evidence.threshold, 0.3);
    assert.equal(resolved[0]!.evidence.value, 0);
  },
);

Deno.test(
  "served warning: restoreStation rebuilds the residuals from stored forecasts",
  pure,
  () => {
    const history = [], stored: ForecastRecord[] = [];
    for (let h = 0; h <= 10; h++) {
      history.push(reading(h, { no2_ug_m3: 150 }));
      stored.push(forecast(h, 1, "no2_ug_m3", 165, 1));
    }
    const warmed = new PollutionAlerter(CONFIG, { served: RULE });
    warmed.restoreStation("station-001", history, stored);
    assert.equal(checked(warmed.forecasts([forecast(10, 1, "no2_ug_m3", 225, 1)], NOW)).length, 1);
    // without the stored forecasts it has no residuals, so no probability and no warning
    const bare = new PollutionAlerter(CONFIG, { served: RULE });
    bare.restoreStation("station-001", history);
    assert.deepEqual(bare.forecasts([forecast(10, 1, "no2_ug_m3", 225, 1)], NOW), []);
  },
);

Deno.test("served warning: what cannot be served as evaluated is refused, saying why", pure, () => {
  const lead = { lead_h: 1, probability_cutoff: 0.3, combination: "maybe" };
  assert.throws(
    () => servedWarningRule(SETTINGS, [lead], [1]),
    /warning lead 1 h: combination "maybe" is not one of probability, /,
  );
  assert.throws(
    () => servedWarningRule(SETTINGS, [{ ...lead, lead_h: 3, combination: "probability" }], [1, 6]),
    /no evaluated warning lead \(3 h\) is a forecast horizon \(1, 6 h\)/,
  );
  const evaluation = {
    warning_no2_200: { by_lead_h: [{ ...lead, combination: "probability" }] },
  } as unknown as EvaluationReport;
  const warning = {
    target: "NO2(GT)" as const,
    threshold: 200,
    horizonH: 1,
    leadsH: [1],
    residualWindowH: 720,
    minResiduals: 50,
    probabilityCutoffs: [0.3],
  };
  assert.equal(
    servedWarningOf(evaluation, { horizonsH: [1], warning: { ...warning, forecast: "best" } })
      .field,
    "no2_ug_m3",
  );
  assert.throws(
    () =>
      servedWarningOf(evaluation, { horizonsH: [1], warning: { ...warning, forecast: "blend" } }),
    /warning.forecast is "blend": the evaluated probability is not the served forecast's/,
  );
  // an alerts config without a 1-hour NO2 limit at 200 with early warnings cannot serve it
  const noLimit = { ...CONFIG, limits: CONFIG.limits.filter((l) => l.id !== "eu_no2_1h") };
  assert.throws(
    () => new PollutionAlerter(noLimit, { served: RULE }),
    /the served warning \(no2_ug_m3 > 200\) matches no 1-hour limit with earlyWarning/,
  );
});

Deno.test("served warning: a reading seen twice verifies its forecast once", pure, () => {
  const rule = servedWarningRule(
    { ...SETTINGS, residualWindowH: 10, minResiduals: 2 },
    [{ lead_h: 1, probability_cutoff: 0.5, combination: "probability" }],
    [1],
  );
  const served = new ServedWarnings(rule);
  const h0 = Math.floor(T0 / HOUR_MS);
  served.observe("station-001", h0, reading(0, { no2_ug_m3: 100 }).measurements);
  served.judge(forecast(0, 1, "no2_ug_m3", 100, 1), h0); // exact: residual 0
  served.observe("station-001", h0 + 1, reading(1, { no2_ug_m3: 100 }).measurements);
  served.judge(forecast(1, 1, "no2_ug_m3", 50, 1), h0 + 1); // residual log(101 / 51)
  served.observe("station-001", h0 + 2, reading(2, { no2_ug_m3: 100 }).measurements);
  served.observe("station-001", h0 + 2, reading(2, { no2_ug_m3: 100 }).measurements);
  // residuals {0, log(101 / 51)}: a forecast of 150 crosses 200 with the second only
  assert.equal(served.judge(forecast(2, 1, "no2_ug_m3", 150, 1), h0 + 2)!.p, 0.5);
});
