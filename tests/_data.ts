/**
 * Where the tests find the real UCI file: `AIRQ_DATASET` when set (`.ci/run`
 * sets it), else `../shared/data/AirQualityUCI.csv` beside the repository.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** Absolute path of the real, raw UCI Air Quality CSV. */
export const UCI_PATH: string = Deno.env.get("AIRQ_DATASET") ||
  fileURLToPath(new URL("../../shared/data/AirQualityUCI.csv", import.meta.url));
