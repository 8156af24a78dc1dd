/**
 * Model artifacts as files in a model folder (`deno task train` writes them,
 * the real-time forecaster loads every one it finds: lib/realtime/load.ts).
 *
 * @module
 */
import { join } from "node:path";
import { parseModelArtifact } from "../models/mod.ts";

/** Files of a model folder that are not model artifacts of their own (train writes them too). */
const NOT_ARTIFACTS = new Set(["manifest.json", "sarima.json", "expected.json", "reference.json"]);

/**
 * Removes from `dir` the model artifacts a training did not write (`written`):
 * the real-time forecaster loads every artifact in the folder, and an artifact
 * of an earlier configuration (change models for a pair whose weight is now 0)
 * joined its blend with other features and put that blend out of service.
 * Only files that parse as airq model artifacts go. Returns their names.
 */
export async function removeStaleArtifacts(
  dir: string,
  written: readonly string[],
): Promise<string[]> {
  const keep = new Set(written);
  const removed: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const { name } = entry;
    if (!entry.isFile || !name.endsWith(".json") || keep.has(name) || NOT_ARTIFACTS.has(name)) {
      continue;
    }
    try {
      parseModelArtifact(await Deno.readTextFile(join(dir, name)), name);
    } catch {
      continue; // not an artifact of ours: not ours to remove
    }
    await Deno.remove(join(dir, name));
    removed.push(name);
  }
  return removed.sort();
}
