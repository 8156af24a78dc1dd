/**
 * The SARIMA walk-forward of `deno task evaluate`, cached (issue 17: "SARIMA and the sequence
 * model may be cached between runs, keyed by their inputs"): the forecasts, fit counts and the
 * lines the C code printed are stored as JSON under `sarima.cacheDir`, named by a SHA-256 of
 * everything they depend on (the target columns, the series' grid, the window, order, transform,
 * horizons, refit cadence and anchor, the npm `arima` version and {@linkcode SARIMA_CODE_VERSION}),
 * so only the first run pays for the fits.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { z } from "zod";
import { fieldOf, type HourlySeries } from "../features/mod.ts";
import type { ForecastConfig } from "./forecast_config.ts";
import type { EvaluationWindow } from "./evaluate.ts";
import type { SarimaRuns } from "./sarima_runs.ts";
import { cacheKey } from "./cache_key.ts";

/** Bump when `sarima_runs.ts`, `lib/models/sarima.ts` or `fillForState` change what they compute. */
export const SARIMA_CODE_VERSION = 1;
/** The npm `arima` version pinned in deno.json (part of the key: another build, other fits). */
export const ARIMA_PACKAGE = "arima@0.2.8";

/** A cache file: one contract, written and read here. */
export const SarimaCacheSchema = z.strictObject({
  key: z.string(),
  fits: z.number().int(),
  failed_fits: z.number().int(),
  printed_lines: z.number().int(),
  /** Wall time of the run that wrote the file, s. */
  seconds: z.number(),
  forecasts: z.array(z.strictObject({
    target: z.string(),
    horizon_h: z.number().int(),
    from: z.number().int(),
    values: z.array(z.number().nullable()),
  })),
});

function keyOf(
  series: HourlySeries,
  config: ForecastConfig,
  window: EvaluationWindow,
): Promise<string> {
  const { order, transform, windowH } = config.sarima;
  return cacheKey(
    {
      code: SARIMA_CODE_VERSION,
      arima: ARIMA_PACKAGE,
      order,
      transform,
      windowH,
      horizonsH: config.horizonsH,
      refitEveryH: config.walkForward.refitEveryH,
      window,
      targets: config.targets,
      startMs: series.startMs,
      length: series.length,
    },
    config.targets.map((target) => series.columns[fieldOf(target)]),
  );
}

/**
 * The SARIMA runs of `config` over `window`: read from `sarima.cacheDir` when a file with the same
 * key exists, else computed by `compute` and stored. Without `sarima.cacheDir`, always computed.
 */
export async function cachedSarimaRuns(
  series: HourlySeries,
  config: ForecastConfig,
  window: EvaluationWindow,
  compute: () => Promise<SarimaRuns>,
  options: { root?: string } = {},
): Promise<{ runs: SarimaRuns; cached: boolean; path: string | null }> {
  const cacheDir = config.sarima.cacheDir;
  if (cacheDir === undefined) return { runs: await compute(), cached: false, path: null };
  const key = await keyOf(series, config, window);
  const dir = resolve(options.root ?? ".", cacheDir);
  const path = join(dir, `${key}.json`);
  try {
    const file = SarimaCacheSchema.parse(JSON.parse(await Deno.readTextFile(path)));
    const runs = new Map<string, Map<number, Float64Array>>();
    for (const f of file.forecasts) {
      const values = new Float64Array(series.length).fill(NaN);
      f.values.forEach((v, i) => (values[f.from + i] = v ?? NaN));
      if (!runs.has(f.target)) runs.set(f.target, new Map());
      runs.get(f.target)!.set(f.horizon_h, values);
    }
    return {
      runs: {
        runs,
        fits: file.fits,
        failedFits: file.failed_fits,
        printedLines: file.printed_lines,
        seconds: file.seconds,
      },
      cached: true,
      path,
    };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const runs = await compute();
  const file: z.infer<typeof SarimaCacheSchema> = {
    key,
    fits: runs.fits,
    failed_fits: runs.failedFits,
    printed_lines: runs.printedLines,
    seconds: runs.seconds,
    forecasts: [...runs.runs].flatMap(([target, byH]) =>
      [...byH].map(([h, values]) => {
        // NaN outside the run: store the span that holds values only
        let from = 0, to = values.length - 1;
        while (from <= to && values[from] !== values[from]) from++;
        while (to >= from && values[to] !== values[to]) to--;
        return {
          target,
          horizon_h: h,
          from,
          values: Array.from(values.subarray(from, to + 1), (v) => (Number.isFinite(v) ? v : null)),
        };
      })
    ),
  };
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(file));
  return { runs, cached: false, path };
}
