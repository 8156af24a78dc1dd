/**
 * The input reference and the PSI: quantile bins, a hand-computed PSI, the
 * file schema, and the reference `deno task train` saves (the training window
 * as `trainModels` uses it).
 */
import assert from "node:assert/strict";
import {
  binOf,
  binValues,
  type InputReference,
  inputReference,
  InputReferenceSchema,
  loadInputReference,
  ModelMonitor,
  populationStabilityIndex,
  quantileSorted,
} from "../../lib/monitoring/mod.ts";
import { emptySeries, HOUR_MS } from "../../lib/features/mod.ts";
import { MEASUREMENT_FIELDS } from "../../lib/records/mod.ts";
import { configWith, reading } from "./_helpers.ts";

const pure = { permissions: "none" } as const;
const near = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

/** Values 1..100: quartile edges 25.75, 50.5, 75.25 (type 7), 25 values per bin. */
const ONE_TO_100 = Array.from({ length: 100 }, (_, i) => i + 1);
/** Ten window values: 3 in the first quartile bin, 2, 1, 4. */
const WINDOW = [1, 2, 3, 30, 40, 60, 80, 90, 95, 99];
/**
 * sum((a - e) ln(a / e)) with e = 0.25 and a = 0.3, 0.2, 0.1, 0.4:
 * 0.05 ln 1.2 + 0.05 ln 1.25 + 0.15 ln 2.5 + 0.15 ln 1.6 = 0.228217409573...
 */
const HAND_PSI = 0.22821740957339182;

Deno.test(
  "quantileSorted() interpolates between order statistics like numpy's default",
  pure,
  () => {
    near(quantileSorted(ONE_TO_100, 0.25), 25.75);
    near(quantileSorted(ONE_TO_100, 0.5), 50.5);
    near(quantileSorted(ONE_TO_100, 0.75), 75.25);
    assert.equal(quantileSorted([7], 0.5), 7);
  },
);

Deno.test("binValues() makes equal-share bins and merges tied edges", pure, () => {
  assert.deepEqual(binValues(ONE_TO_100, 4), {
    edges: [25.75, 50.5, 75.25],
    proportions: [0.25, 0.25, 0.25, 0.25],
  });
  // 60 % of the values are 1: the deciles 1..6 collapse into one edge, proportions stay exact
  const tied = [...Array(60).fill(1), 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ...Array(30).fill(12)];
  const { edges, proportions } = binValues(tied, 10);
  assert.ok(edges.every((e, i) => i === 0 || edges[i - 1]! < e));
  assert.equal(proportions.length, edges.length + 1);
  near(proportions.reduce((s, p) => s + p, 0), 1);
  assert.equal(proportions[0], 0.6);
  assert.equal(binOf(edges, 1), 0);
  assert.equal(edges.at(-1), 12, "the top 30 % are 12, so the 90th percentile is 12");
  assert.equal(binOf(edges, 12), edges.length - 1, "bins are closed on the right");
  assert.equal(binOf(edges, 12.1), edges.length);
});

Deno.test("populationStabilityIndex() matches a hand computation", pure, () => {
  const actual = [0, 0, 0, 0];
  for (const v of WINDOW) actual[binOf([25.75, 50.5, 75.25], v)]! += 1 / WINDOW.length;
  assert.deepEqual(actual.map((a) => Math.round(a * 10) / 10), [0.3, 0.2, 0.1, 0.4]);
  near(populationStabilityIndex([0.25, 0.25, 0.25, 0.25], actual), HAND_PSI);
  assert.equal(populationStabilityIndex([0.1, 0.9], [0.1, 0.9]), 0);
  // an empty bin counts as epsilon: 2 (0.25 ln 2) + 2 (1e-4 - 0.25) ln(1e-4 / 0.25)
  near(
    populationStabilityIndex([0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0, 0]),
    4.257031786505947,
    1e-9,
  );
  assert.throws(() => populationStabilityIndex([0.5, 0.5], [1]), RangeError);
});

/** A reference whose only field with bins is `t_c`: quartiles of 1..100. */
function tcReference(): InputReference {
  const s = emptySeries(Date.UTC(2004, 0, 1), 100);
  ONE_TO_100.forEach((v, i) => s.columns.t_c[i] = v);
  return inputReference(s, { from: 0, to: 100, createdAt: "2004-01-05T04:00:00Z", bins: 4 });
}

Deno.test("ModelMonitor's PSI equals the hand computation on its window", pure, () => {
  const m = new ModelMonitor(configWith({ psi: { minValues: 10 } }), { reference: tcReference() });
  WINDOW.forEach((t_c, h) => {
    m.observe(reading(h, { t_c }), 0);
    const psi = m.snapshot().stations["station-001"]!.inputs.t_c.psi;
    if (h < 9) assert.equal(psi, null, "not judged on fewer than minValues values");
  });
  const inputs = m.snapshot().stations["station-001"]!.inputs;
  near(inputs.t_c.psi!, HAND_PSI);
  assert.equal(inputs.t_c.n, 10);
  assert.equal(inputs.co_mg_m3.state, "no_reference");
  assert.equal(inputs.co_mg_m3.psi, null);
});

Deno.test(
  "inputReference() bins each field's values in the window; too few values get no bins",
  pure,
  () => {
    const s = emptySeries(Date.UTC(2004, 0, 1), 300);
    for (let i = 0; i < 300; i++) {
      s.columns.t_c[i] = i % 7 === 0 ? NaN : i; // missing every 7th hour
      if (i < 50) s.columns.co_mg_m3[i] = 1;
    }
    const ref = inputReference(s, { from: 100, to: 300, createdAt: "2004-01-13T12:00:00Z" });
    assert.deepEqual(InputReferenceSchema.parse(ref), ref);
    const inWindow = Array.from({ length: 200 }, (_, k) => 100 + k).filter((i) => i % 7 !== 0);
    assert.deepEqual(ref.fields.t_c, {
      n: inWindow.length,
      missing: 200 - inWindow.length,
      ...binValues(inWindow),
    });
    assert.deepEqual(ref.fields.co_mg_m3, { n: 0, missing: 200, edges: [], proportions: [] });
    assert.deepEqual(ref.trainingWindow, {
      from: new Date(Date.UTC(2004, 0, 1) + 100 * HOUR_MS).toISOString(),
      to: new Date(Date.UTC(2004, 0, 1) + 299 * HOUR_MS).toISOString(),
      hours: 200,
    });
    assert.deepEqual(Object.keys(ref.fields), [...MEASUREMENT_FIELDS]);
    assert.throws(() => inputReference(s, { from: 10, to: 301, createdAt: "x" }), RangeError);
  },
);

Deno.test(
  "loadInputReference() reads back what inputReference() wrote and rejects the rest",
  pure,
  () => {
    const ref = tcReference();
    assert.deepEqual(loadInputReference(JSON.stringify(ref)), ref);
    assert.throws(() => loadInputReference("{nope"), SyntaxError);
    assert.throws(
      () => loadInputReference(JSON.stringify({ ...ref, version: 2 }), "var/models/reference.json"),
      (e: unknown) => e instanceof TypeError && /var\/models\/reference\.json/.test(e.message),
    );
    const bad = structuredClone(ref);
    bad.fields.t_c.edges = [50.5, 25.75, 75.25];
    assert.throws(() => loadInputReference(JSON.stringify(bad)), /strictly increasing/);
    const short = structuredClone(ref);
    short.fields.t_c.proportions = [0.5, 0.5];
    assert.throws(() => loadInputReference(JSON.stringify(short)), /one more entry than edges/);
  },
);
