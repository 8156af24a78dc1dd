import assert from "node:assert/strict";
import { readUciFile } from "../../lib/dataset/mod.ts";
import { fieldOf, toHourlySeries } from "../../lib/features/mod.ts";
import {
  fillForState,
  loadSarima,
  mulberry32,
  parseSarimaArtifact,
  SarimaFilter,
  type SarimaFilterSpec,
  type SarimaOrder,
} from "../../lib/models/mod.ts";
import { UCI_PATH } from "../_data.ts";

const ORDER: SarimaOrder = { p: 1, d: 0, q: 1, P: 1, D: 1, Q: 1, s: 24 };
const HORIZONS = [1, 6, 24];

/** Largest |a - b| / |b| over all pairs. */
function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-12));
  }
  return worst;
}

Deno.test("SARIMA filter = ctsa's forecasts at 250 consecutive hourly origins of the real file", async (t) => {
  const engine = await loadSarima();
  const rows = await Array.fromAsync(readUciFile(UCI_PATH, { utcOffset: "+01:00" }));
  const series = toHourlySeries(rows);
  // fit on hours 6000..6999 (Dec 2004 - Jan 2005), forecast from origins 6999..7248; NO2 and
  // NOx have gaps there (filled by both sides), CO and C6H6 a few
  const W = 1000, FIT_END = 7000, ORIGINS = 250;
  for (const target of ["CO(GT)", "NOx(GT)", "NO2(GT)", "C6H6(GT)"]) {
    await t.step(target, () => {
      const raw = series.columns[fieldOf(target)];
      const filled = fillForState(raw, 24); // as sarimaWalkForward fills
      let missing = 0;
      for (let i = FIT_END - W; i < FIT_END + ORIGINS; i++) if (raw[i] !== raw[i]) missing++;
      const model = engine.fit(filled.subarray(FIT_END - W, FIT_END), {
        ...ORDER,
        transform: "log1p",
      });
      try {
        const spec: SarimaFilterSpec = {
          order: ORDER,
          transform: "log1p",
          coefficients: model.coefficients(),
        };
        const t0 = FIT_END - 1;
        const history = filled.subarray(t0 - W + 1, t0 + 1);
        const windowed = SarimaFilter.warm(spec, history, { windowH: W, horizons: HORIZONS });
        const kalman = SarimaFilter.warm(spec, history, { horizons: HORIZONS });
        let worstWindow = 0, worstKalman = 0;
        for (let o = t0; o < t0 + ORIGINS; o++) {
          if (o > t0) {
            // the live path feeds the raw value; NaN is filled inside, as fillForState fills
            windowed.update(raw[o]!);
            kalman.update(raw[o]!);
          }
          const all = model.forecastFrom(filled.subarray(o - W + 1, o + 1), 24);
          const ctsa = HORIZONS.map((h) => all[h - 1]!);
          const fromWindow = windowed.forecast();
          worstWindow = Math.max(worstWindow, maxRelative(fromWindow, ctsa));
          const fromKalman = kalman.forecast();
          if (o === t0) {
            // warmed on exactly ctsa's window: the continuous filter is ctsa's here too
            assert.ok(maxRelative(fromKalman, ctsa) < 1e-9, `${fromKalman} vs ${ctsa}`);
          }
          worstKalman = Math.max(worstKalman, maxRelative(fromKalman, ctsa));
        }
        // rounding only: the same arithmetic in another order
        assert.ok(worstWindow < 1e-9, `windowed filter vs ctsa: max relative ${worstWindow}`);
        // the continuous filter keeps hours ctsa has forgotten; it must still be close
        assert.ok(worstKalman > worstWindow && worstKalman < 0.5, `kalman ${worstKalman}`);
        // deno-lint-ignore no-console
        console.log(
          JSON.stringify({
            target,
            origins: ORIGINS,
            missing_hours: missing,
            THETA: spec.coefficients.THETA[0],
            max_rel_windowed: worstWindow,
            max_rel_kalman: worstKalman,
          }),
        );
      } finally {
        model.destroy();
      }
    });
  }
});

/** A positive series with a daily cycle and AR noise, seeded. */
function synthetic(n: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  let a = 0;
  return Float64Array.from({ length: n }, (_, t) => {
    a = 0.6 * a + (rng() - 0.5);
    return 20 + 4 * Math.sin((2 * Math.PI * t) / 24) + 0.01 * t + a;
  });
}

Deno.test("SARIMA filter matches ctsa for other orders: with a mean, d = 1, seasonal AR only", async () => {
  const engine = await loadSarima();
  const y = synthetic(900, 11);
  const orders: SarimaOrder[] = [
    { p: 1, d: 0, q: 1, P: 0, D: 0, Q: 0, s: 0 }, // the mean is subtracted
    { p: 1, d: 1, q: 1, P: 0, D: 0, Q: 0, s: 0 },
    { p: 1, d: 1, q: 0, P: 2, D: 1, Q: 1, s: 24 },
    { p: 2, d: 0, q: 0, P: 1, D: 1, Q: 0, s: 24 },
  ];
  for (const order of orders) {
    const W = 600;
    const model = engine.fit(y.subarray(0, W), { ...order, transform: "none" });
    try {
      const spec: SarimaFilterSpec = {
        order,
        transform: "none",
        coefficients: model.coefficients(),
      };
      const filter = SarimaFilter.warm(spec, y.subarray(0, W), { windowH: W, horizons: HORIZONS });
      let worst = 0;
      for (let o = W - 1; o < W + 100; o++) {
        if (o >= W) filter.update(y[o]!);
        const all = model.forecastFrom(y.subarray(o - W + 1, o + 1), 24);
        worst = Math.max(worst, maxRelative(filter.forecast(), HORIZONS.map((h) => all[h - 1]!)));
      }
      assert.ok(worst < 1e-9, `${JSON.stringify(order)}: max relative ${worst}`);
    } finally {
      model.destroy();
    }
  }
});

const SPEC: SarimaFilterSpec = {
  order: ORDER,
  transform: "log1p",
  coefficients: { phi: [0.8], theta: [-0.1], PHI: [0.25], THETA: [0.92], mean: 0 },
};

Deno.test("a missing hour is the value 24 h earlier, as fillForState fills it", {
  permissions: "none",
}, () => {
  const y = synthetic(400, 5);
  for (const i of [100, 101, 130, 250, 251, 252, 399]) y[i] = NaN;
  for (const windowH of [undefined, 200]) {
    const options = windowH === undefined ? {} : { windowH };
    const raw = new SarimaFilter(SPEC, options), filled = new SarimaFilter(SPEC, options);
    const f = fillForState(y, 24);
    for (let i = 0; i < y.length; i++) {
      raw.update(y[i]!);
      filled.update(f[i]!);
      assert.deepEqual(raw.forecast(), filled.forecast());
    }
  }
});

Deno.test("SARIMA filter: no forecast before a differenced value, no negative forecast on log1p", {
  permissions: "none",
}, () => {
  const filter = new SarimaFilter(SPEC, { windowH: 100 });
  for (let i = 0; i < 24; i++) filter.update(i === 3 ? NaN : 1);
  assert.equal(filter.ready, false);
  assert.ok(filter.forecast().every((v) => Number.isNaN(v)));
  for (let i = 0; i < 300; i++) filter.update(i % 24 < 12 ? 0 : 0.2);
  assert.ok(filter.ready);
  assert.ok(filter.forecast().every((v) => v >= 0 && Number.isFinite(v)));
  assert.throws(() => new SarimaFilter(SPEC, { horizons: [0] }), RangeError);
  assert.throws(() => new SarimaFilter(SPEC, { windowH: 24 }), RangeError);
  // an explosive AR part has no stationary prior
  const explosive = { ...SPEC, coefficients: { ...SPEC.coefficients, phi: [1.2] } };
  assert.throws(() => new SarimaFilter(explosive), RangeError);
});

Deno.test("the SARIMA artifact is validated when read", { permissions: "none" }, () => {
  const model = {
    target: "NO2(GT)",
    order: ORDER,
    transform: "log1p",
    windowH: 1000,
    fitWindow: { from: "2005-02-21T22:00:00.000Z", to: "2005-04-04T13:00:00.000Z", hours: 1000 },
    coefficients: {
      phi: [0.82],
      theta: [0.05],
      PHI: [0.27],
      THETA: [0.95],
      mean: 0,
      sigma2: 0.02,
      loglik: 419,
      aic: -829,
      retval: 1,
    },
    blendWeight: { "1": 0.7, "6": 0.5, "24": 0.3 },
  };
  const artifact = { format: "airq-sarima", version: 1, createdAt: "2026-01-01T00:00:00Z" };
  const ok = parseSarimaArtifact(JSON.stringify({ ...artifact, models: [model] }));
  assert.equal(ok.models[0]!.coefficients.THETA[0], 0.95);
  const wrong = { ...model, coefficients: { ...model.coefficients, PHI: [] } };
  assert.throws(
    () => parseSarimaArtifact(JSON.stringify({ ...artifact, models: [wrong] })),
    /PHI must hold 1 coefficients/,
  );
  assert.throws(
    () => parseSarimaArtifact(JSON.stringify({ ...artifact, version: 2, models: [] })),
    TypeError,
  );
});
