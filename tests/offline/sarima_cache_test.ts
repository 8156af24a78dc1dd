import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../lib/config/mod.ts";
import { fieldOf } from "../../lib/features/mod.ts";
import { ForecastConfigSchema, type SarimaRuns } from "../../lib/offline/mod.ts";
import { cachedSarimaRuns } from "../../lib/offline/sarima_cache.ts";
import { syntheticSeries } from "../features/_synthetic.ts";

const CONFIG = new URL("../../config/forecast.json", import.meta.url);

Deno.test(
  "cachedSarimaRuns() computes once, reads back the same forecasts, and recomputes when an input changes",
  { permissions: { read: true, write: true } },
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const base = await loadConfig(CONFIG, ForecastConfigSchema);
      const config = { ...base, sarima: { ...base.sarima, cacheDir: join(dir, "sarima") } };
      const series = syntheticSeries(600, 3);
      const window = { testFrom: 400, testTo: 599, warmFrom: 300 };
      let calls = 0;
      const compute = (): Promise<SarimaRuns> => {
        calls++;
        const runs = new Map(config.targets.map((target, s) => [
          target,
          new Map(config.horizonsH.map((h) => [
            h,
            Float64Array.from(
              { length: series.length },
              (_, t) => (t < 300 - h || t > 599 - h || t % 17 === 0 ? NaN : s + h / 7 + t / 3),
            ),
          ])),
        ]));
        return Promise.resolve({ runs, fits: 3, failedFits: 1, printedLines: 2, seconds: 1.5 });
      };
      const first = await cachedSarimaRuns(series, config, window, compute);
      const second = await cachedSarimaRuns(series, config, window, compute);
      assert.equal(calls, 1);
      assert.equal(first.cached, false);
      assert.equal(second.cached, true);
      assert.equal(second.path, first.path);
      assert.deepEqual(
        { ...second.runs, runs: null },
        { runs: null, fits: 3, failedFits: 1, printedLines: 2, seconds: 1.5 },
      );
      for (const [target, byH] of first.runs.runs) {
        for (const [h, values] of byH) {
          const back = second.runs.runs.get(target)!.get(h)!;
          assert.ok(values.every((v, t) => Object.is(v, back[t])), `${target} ${h}`);
        }
      }
      // another value of a target column, another window: other keys, computed again
      series.columns[fieldOf(config.targets[0]!)][10] = 99;
      assert.equal((await cachedSarimaRuns(series, config, window, compute)).cached, false);
      await cachedSarimaRuns(series, config, { ...window, warmFrom: 301 }, compute);
      assert.equal(calls, 3);
      // no cacheDir: always computed, nothing stored
      const { cacheDir: _, ...uncached } = config.sarima;
      const none = await cachedSarimaRuns(series, { ...config, sarima: uncached }, window, compute);
      assert.equal(none.path, null);
      assert.equal(calls, 4);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
