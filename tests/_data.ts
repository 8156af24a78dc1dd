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

/** Missing values (`-200`) per column of the real file, from its data README. */
export const UCI_MISSING: Readonly<Record<string, number>> = {
  "CO(GT)": 1683,
  "PT08.S1(CO)": 366,
  "NMHC(GT)": 8443,
  "C6H6(GT)": 366,
  "PT08.S2(NMHC)": 366,
  "NOx(GT)": 1639,
  "PT08.S3(NOx)": 366,
  "NO2(GT)": 1642,
  "PT08.S4(NO2)": 366,
  "PT08.S5(O3)": 366,
  "T": 366,
  "RH": 366,
  "AH": 366,
};
