/**
 * Loads the dataset named on the command line (or found by the usual rules)
 * into an hourly series, for `train.ts` and `evaluate.ts`.
 *
 * @module
 */
import { readUciFile, resolveDatasetPath } from "../dataset/mod.ts";
import { type HourlySeries, toHourlySeries } from "../features/mod.ts";

/** Reads the UCI file (explicit path, `AIRQ_DATASET`, shared copy or cache) as a series. */
export async function loadSeries(
  explicitPath: string | undefined,
  utcOffset: string,
): Promise<{ series: HourlySeries; path: string }> {
  const { path } = await resolveDatasetPath(
    explicitPath === undefined ? {} : { explicitPath },
  );
  const rows = await Array.fromAsync(readUciFile(path, { utcOffset }));
  return { series: toHourlySeries(rows), path };
}
