/**
 * The GRU walk-forward of `config`, cached: the forecasts and their cost are stored as JSON under
 * `sequence.cacheDir`, named by a SHA-256 of everything they depend on (the input columns, the
 * windows, the settings, the tfjs version and backend, and {@linkcode SEQUENCE_CODE_VERSION}), so
 * `deno task evaluate` only pays for the fits when one of those changes.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { z } from "zod";
import type { HourlySeries } from "../features/mod.ts";
import { TFJS_VERSION, useTfBackend } from "../models/gru.ts";
import { type ForecastConfig, offsetMinutes, type SequenceSettings } from "./forecast_config.ts";
import { type EvaluationWindow, seriesIndex } from "./evaluate.ts";
import { SEQUENCE_FIELDS, type SequenceRun, sequenceWalkForward } from "./sequence.ts";
import { cacheKey } from "./cache_key.ts";

/** Bump when `sequence.ts` or `gru.ts` change what they compute. */
export const SEQUENCE_CODE_VERSION = 1;

/** A cache file: one contract, written and read here. */
export const SequenceCacheSchema = z.strictObject({
  key: z.string(),
  fits: z.number().int(),
  fit_seconds: z.number(),
  predict_seconds: z.number(),
  losses: z.array(z.number().nullable()),
  forecasts: z.array(z.strictObject({
    target: z.string(),
    horizon_h: z.number().int(),
    from: z.number().int(),
    values: z.array(z.number().nullable()),
  })),
});

/** A run, where it came from, and what it covers. */
export interface CachedSequenceRun {
  readonly run: SequenceRun;
  /** True when read from the cache (the seconds are then those of the run that wrote it). */
  readonly cached: boolean;
  readonly key: string;
  readonly path: string;
  /** First and last target index forecast: the validation window through the test window. */
  readonly fromTarget: number;
  readonly toTarget: number;
}

/** The span the sequence model forecasts: from the validation (or warm-up) start to test end. */
export function sequenceSpan(
  series: HourlySeries,
  config: ForecastConfig,
  window: EvaluationWindow,
): { fromTarget: number; toTarget: number } {
  const validationFrom = Math.max(0, seriesIndex(series, config.validationWindow.from));
  return { fromTarget: Math.min(validationFrom, window.warmFrom), toTarget: window.testTo };
}

function keyOf(
  series: HourlySeries,
  config: ForecastConfig,
  settings: SequenceSettings,
  span: { fromTarget: number; toTarget: number; anchor: number },
): Promise<string> {
  // what the forecasts depend on: not where they are stored, nor how evaluate blends them
  const { enabled: _enabled, cacheDir: _dir, blendWeight: _weights, ...fit } = settings;
  return cacheKey(
    {
      code: SEQUENCE_CODE_VERSION,
      tfjs: TFJS_VERSION,
      fit,
      span,
      targets: config.targets,
      horizonsH: config.horizonsH,
      utcOffset: config.utcOffset,
      startMs: series.startMs,
      length: series.length,
      fields: SEQUENCE_FIELDS,
    },
    SEQUENCE_FIELDS.map((f) => series.columns[f]),
  );
}

/**
 * The sequence walk-forward over {@linkcode sequenceSpan}, from `cacheDir` when a file with the
 * same key exists, else run (timed with `clock`, ms) and stored.
 */
export async function cachedSequenceRun(
  series: HourlySeries,
  config: ForecastConfig,
  window: EvaluationWindow,
  options: { clock: () => number; root?: string; refresh?: boolean },
): Promise<CachedSequenceRun> {
  const settings = config.sequence;
  if (settings === undefined) throw new Error("config has no sequence section");
  const span = { ...sequenceSpan(series, config, window), anchor: window.testFrom };
  const key = await keyOf(series, config, settings, span);
  const dir = resolve(options.root ?? ".", settings.cacheDir);
  const path = join(dir, `${key}.json`);
  const base = { key, path, fromTarget: span.fromTarget, toTarget: span.toTarget };
  if (options.refresh !== true) {
    try {
      const file = SequenceCacheSchema.parse(JSON.parse(await Deno.readTextFile(path)));
      const forecasts = new Map<string, Map<number, Float64Array>>();
      for (const f of file.forecasts) {
        const values = new Float64Array(series.length).fill(NaN);
        f.values.forEach((v, i) => (values[f.from + i] = v ?? NaN));
        if (!forecasts.has(f.target)) forecasts.set(f.target, new Map());
        forecasts.get(f.target)!.set(f.horizon_h, values);
      }
      const run: SequenceRun = {
        forecasts,
        fits: file.fits,
        fitSeconds: file.fit_seconds,
        predictSeconds: file.predict_seconds,
        losses: file.losses.map((l) => l ?? NaN),
      };
      return { ...base, run, cached: true };
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  await useTfBackend(settings.backend);
  const run = sequenceWalkForward(series, settings, {
    targets: config.targets,
    horizonsH: config.horizonsH,
    fromTarget: span.fromTarget,
    toTarget: span.toTarget,
    anchor: span.anchor,
    utcOffsetMin: offsetMinutes(config.utcOffset),
  }, options.clock);
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  const file: z.infer<typeof SequenceCacheSchema> = {
    key,
    fits: run.fits,
    fit_seconds: run.fitSeconds,
    predict_seconds: run.predictSeconds,
    losses: run.losses.map(finite),
    forecasts: [...run.forecasts].flatMap(([target, byH]) =>
      [...byH].map(([h, values]) => {
        const from = Math.max(0, span.fromTarget - h);
        return {
          target,
          horizon_h: h,
          from,
          values: Array.from(values.subarray(from, span.toTarget + 1), finite),
        };
      })
    ),
  };
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(file));
  return { ...base, run, cached: false };
}
