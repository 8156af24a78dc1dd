import assert from "node:assert/strict";
import reference from "../fixtures/analysis/reference.json" with { type: "json" };
import {
  acf,
  benjaminiHochberg,
  holm,
  pacf,
  pearson,
  spearman,
  theilSen,
  whiteNoiseBound,
} from "../../lib/analysis/mod.ts";

const close = (actual: ArrayLike<number>, expected: readonly number[], tol: number) => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= tol,
      `index ${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
};
const missing = Float64Array.from(reference.series_missing, (v) => v ?? NaN);

Deno.test({
  name: "acf() matches statsmodels acf(adjusted=False) on a complete series",
  permissions: "none",
  fn() {
    close(acf(reference.series, 30), reference.acf, 1e-10);
  },
});

Deno.test({
  name: "acf() matches statsmodels acf(missing='conservative') with missing values",
  permissions: "none",
  fn() {
    close(acf(missing, 30), reference.acf_missing, 1e-10);
    assert.equal(whiteNoiseBound(missing), 1.96 / Math.sqrt(360));
  },
});

Deno.test({
  name: "pacf() by Durbin-Levinson matches statsmodels pacf(method='ldb')",
  permissions: "none",
  fn() {
    close(pacf(reference.series, 20), reference.pacf_ldb, 1e-10);
  },
});

Deno.test({
  name: "pearson() and spearman() match scipy's coefficients and two-sided p-values",
  permissions: "none",
  fn() {
    for (const pair of reference.pairs) {
      const p = pearson(pair.x, pair.y), s = spearman(pair.x, pair.y);
      close([p.r, s.r], [pair.pearson_r, pair.spearman_rho], 1e-12);
      close([p.p, s.p], [pair.pearson_p, pair.spearman_p], 1e-8); // jStat's t CDF: ~1e-9
      assert.equal(p.n, pair.x.length);
    }
  },
});

Deno.test({
  name: "holm() and benjaminiHochberg() match statsmodels multipletests",
  permissions: "none",
  fn() {
    close(holm(reference.pvalues), reference.holm, 1e-12);
    close(benjaminiHochberg(reference.pvalues), reference.fdr_bh, 1e-12);
  },
});

Deno.test({
  name: "theilSen() ignores a gross outlier that pulls least squares",
  permissions: "none",
  fn() {
    const x = Array.from({ length: 50 }, (_, i) => i);
    const y = x.map((v) => 2 + 0.5 * v);
    y[10] = 500;
    const fit = theilSen(x, y);
    assert.ok(Math.abs(fit.slope - 0.5) < 1e-9 && Math.abs(fit.intercept - 2) < 1e-9);
  },
});
