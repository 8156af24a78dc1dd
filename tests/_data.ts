/**
 * Where the tests find the real UCI file: through the app's own resolver
 * (lib/dataset/source.ts), like every command: `AIRQ_DATASET`, the shared copy
 * beside the repository, the download cache, or a download checked against its
 * SHA-256. `deno task test` (tests/run.ts) resolves it once before the tests
 * start and passes the path down in `AIRQ_DATASET`, so no test downloads it.
 *
 * @module
 */
import { resolveDatasetPath } from "../lib/dataset/mod.ts";

/** Path of the real, raw UCI Air Quality CSV. */
export const UCI_PATH: string = (await resolveDatasetPath()).path;

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
