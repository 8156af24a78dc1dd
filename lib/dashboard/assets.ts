/**
 * The page's files: read once at start-up from `web/dashboard/` (only the
 * files listed, nothing else in the folder), plus uPlot's ES module and
 * stylesheet from its npm package, found through the import map
 * (`import.meta.resolve("uplot")`: the file in Deno's npm cache), read-only.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Asset } from "./server.ts";

const log = getLogger(["airq", "dashboard"]);

/** The page's folder. */
export const WEB_DIR: URL = new URL("../../web/dashboard/", import.meta.url);

const PAGE_FILES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "charts.js": "text/javascript; charset=utf-8",
  "format.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
  "favicon.svg": "image/svg+xml",
};

const UPLOT_FILES: Record<string, string> = {
  "uPlot.esm.js": "text/javascript; charset=utf-8",
  "uPlot.min.css": "text/css; charset=utf-8",
};

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
  const assets = new Map<string, Asset>();
  for (const [name, type] of Object.entries(PAGE_FILES)) {
    const body = await Deno.readFile(new URL(name, dir));
    assets.set(name === "index.html" ? "/" : `/${name}`, { body, type });
  }
  const vendor = uplotDir();
  for (const [name, type] of Object.entries(UPLOT_FILES)) {
    try {
      if (vendor === null) throw new Error("uplot is not in the import map");
      assets.set(`/vendor/${name}`, { body: await Deno.readFile(new URL(name, vendor)), type });
    } catch (error) {
      log.warn("uPlot's {name} is not available ({error}): the page shows no charts", {
        name,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return assets;
}
