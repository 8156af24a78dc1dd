/**
 * Reads `<modelDir>/sarima.json` (what `deno task train` writes when
 * `sarima.enabled`). A missing file is not an error: the forecaster then
 * blends ridge and trees only.
 *
 * @module
 */
import { join } from "node:path";
import { parseSarimaArtifact } from "../models/mod.ts";
import { type CompiledSarima, compileSarima } from "./sarima_models.ts";

/** The compiled SARIMA fits, or null (with the reason) when there are none. */
export async function loadSarimaModels(
  modelDir: string,
): Promise<{ sarima: CompiledSarima | null; problem: string | null }> {
  const path = join(modelDir, "sarima.json");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { sarima: null, problem: `${path} does not exist` };
    }
    throw error;
  }
  try {
    return { sarima: compileSarima(parseSarimaArtifact(text, path)), problem: null };
  } catch (error) {
    return { sarima: null, problem: error instanceof Error ? error.message : String(error) };
  }
}
