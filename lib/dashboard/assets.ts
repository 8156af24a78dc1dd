/**
 * The page's files: read once at start-up from `web/dashboard/` (only the
 * files listed, nothing else in the folder) with the helpers it shares with the
 * leaderboard (`web/shared/`, lib/web/static.ts), plus uPlot's ES module and
 * stylesheet from its npm package, found through the import map
 * (`import.meta.resolve("uplot")`: the file in Deno's npm cache), read-only.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Asset, contentType, loadPageFiles } from "../web/mod.ts";

const log = getLogger(["airq", "dashboard"]);

/** The page's folder. */
export const WEB_DIR: URL = new URL("../../web/dashboard/", import.meta.url);

const PAGE_FILES = ["index.html", "app.js", "charts.js", "format.js", "style.css", "favicon.svg"];

const UPLOT_FILES = ["uPlot.esm.js", "uPlot.min.css"];

/** Where uPlot's dist folder is, or null when the package is not installed. */
export function uplotDir(): URL | null {
  try {
    return new URL("./", import.meta.resolve("uplot"));
  } catch {
    return null;
  }
}

/** Reads the page's files and uPlot's; without uPlot the page still works, without charts. */
export async function loadAssets(dir: URL = WEB_DIR): Promise<Map<string, Asset>> {
  const assets = await loadPageFiles(dir, PAGE_FILES);
  const vendor = uplotDir();
  for (const name of UPLOT_FILES) {
    try {
      if (vendor === null) throw new Error("uplot is not in the import map");
      const body = await Deno.readFile(new URL(name, vendor));
      assets.set(`/vendor/${name}`, { body, type: contentType(name) });
    } catch (error) {
      log.warn("uPlot's {name} is not available ({error}): the page shows no charts", {
        name,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return assets;
}
