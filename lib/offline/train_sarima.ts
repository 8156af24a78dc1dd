/**
 * The final SARIMA fit for deployment: per target, `sarima.order` on
 * `sarima.transform` over the latest `sarima.windowH` hours of the series (all
 * of it when shorter), filled causally with `fillForState` over the whole
 * series first, exactly as `sarimaWalkForward` fills and cuts the window of its
 * fits in `deno task evaluate`. Coefficients are read from the fit, checked by
 * building the state-space filter (its AR part must be stationary), and saved
 * with the blend weights of `sarima.blendWeight`. A target whose fit fails
 * (non-finite coefficients) or is not stationary is left out with a problem
 * line: the live path then blends ridge and trees only for it, where `deno task
 * evaluate` falls back to the seasonal naive forecast for the block.
 *
 * Pure apart from the loaded npm `arima` (injected): no `Deno.*`, no I/O.
 *
 * @module
 */
import { fieldOf, HOUR_MS, type HourlySeries } from "../features/mod.ts";
import {
  fillForState,
  SARIMA_ARTIFACT_VERSION,
  type SarimaArtifact,
  type SarimaEngine,
  SarimaFilter,
  sarimaFilterSpec,
  type SarimaTargetModel,
} from "../models/mod.ts";
import { type ForecastConfig, sarimaWeightOf } from "./forecast_config.ts";

/** What {@linkcode trainSarima} made, and the targets it could not fit. */
export interface SarimaTraining {
  artifact: SarimaArtifact;
  /** One line per target left out (fit failed or the fit is not stationary). */
  problems: string[];
}

/** Fits SARIMA per target of `config` on the latest `sarima.windowH` hours; `createdAt` is ISO. */
export function trainSarima(
  engine: SarimaEngine,
  series: HourlySeries,
  config: ForecastConfig,
  createdAt: string,
  onProgress?: (message: string) => void,
): SarimaTraining {
  const { order, transform, windowH } = config.sarima;
  const hours = Math.min(windowH, series.length);
  const from = series.length - hours;
  const iso = (i: number) => new Date(series.startMs + i * HOUR_MS).toISOString();
  const models: SarimaTargetModel[] = [];
  const problems: string[] = [];
  for (const target of config.targets) {
    const filled = fillForState(series.columns[fieldOf(target)], order.s > 0 ? order.s : 24);
    const window = filled.subarray(from);
    let model: SarimaTargetModel;
    try {
      const fit = engine.fit(window, { ...order, transform });
      try {
        const c = fit.coefficients();
        const values = [...c.phi, ...c.theta, ...c.PHI, ...c.THETA, c.mean, c.sigma2, c.loglik];
        if (!values.every(Number.isFinite)) {
          throw new Error(`the fit failed (ctsa exit code ${c.retval}, non-finite coefficients)`);
        }
        model = {
          target,
          order: { ...order },
          transform,
          windowH: hours,
          fitWindow: { from: iso(from), to: iso(series.length - 1), hours },
          coefficients: {
            ...c,
            phi: [...c.phi],
            theta: [...c.theta],
            PHI: [...c.PHI],
            THETA: [...c.THETA],
          },
          blendWeight: Object.fromEntries(
            config.horizonsH.map((h) => [String(h), sarimaWeightOf(config, target, String(h))]),
          ),
        };
      } finally {
        fit.destroy();
      }
      new SarimaFilter(sarimaFilterSpec(model), { windowH: hours, horizons: config.horizonsH });
    } catch (error) {
      problems.push(`${target}: ${error instanceof Error ? error.message : String(error)}`);
      onProgress?.(`left SARIMA ${target} out`);
      continue;
    }
    models.push(model);
    onProgress?.(`trained SARIMA ${target} on ${hours} hours`);
  }
  return {
    artifact: { format: "airq-sarima", version: SARIMA_ARTIFACT_VERSION, createdAt, models },
    problems,
  };
}
