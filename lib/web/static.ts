/**
 * What the two web pages' servers share (the dashboard, lib/dashboard/; the leaderboard,
 * apps/leaderboard/lib/): their static files, read once at start-up together with the browser
 * helpers of `web/shared/` (served at `/web/shared/NAME`, where the pages' relative imports land);
 * the hardening headers on every answer; the Host check against DNS rebinding; and the answer
 * for a static file (GET and HEAD only). Each page keeps its own Content-Security-Policy and routes.
 *
 * @module
 */

/** One static file. */
export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

/** The browser helpers both pages load (web/shared/). */
export const SHARED_WEB_DIR: URL = new URL("../../web/shared/", import.meta.url);

/** The files of web/shared/ that are served (nothing else in the folder is). */
export const SHARED_FILES: readonly string[] = ["base.css", "live.js"];

const TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

/** The Content-Type of a file by its extension (html, js, css, svg). */
export function contentType(name: string): string {
  const type = TYPES[name.slice(name.lastIndexOf(".") + 1)];
  if (type === undefined) throw new Error(`${name}: no Content-Type for a page file of this kind`);
  return type;
}

/**
 * Reads a page's files from `dir` (`index.html` served at `/`, every other one at `/NAME`; only
 * those named, nothing else under the folder) and the shared ones at `/web/shared/NAME`.
 */
export async function loadPageFiles(
  dir: URL,
  names: readonly string[],
): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const body = await Deno.readFile(new URL(name, dir));
    assets.set(name === "index.html" ? "/" : `/${name}`, { body, type: contentType(name) });
  }
  for (const name of SHARED_FILES) {
    const body = await Deno.readFile(new URL(name, SHARED_WEB_DIR));
    assets.set(`/web/shared/${name}`, { body, type: contentType(name) });
  }
  return assets;
}

/** The headers on every answer of a page's server: `csp` and the usual hardening. */
export function securityHeaders(csp: string): Readonly<Record<string, string>> {
  return {
    "content-security-policy": csp,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "cache-control": "no-store",
  };
}

/**
 * Whether a request names a loopback host (or one of `hostnames`) in `Host`:
 * the check against DNS rebinding.
 */
export function hostCheck(hostnames: readonly string[] = []): (request: Request) => boolean {
  const allowed = new Set(
    ["127.0.0.1", "localhost", "[::1]", ...hostnames].map((h) => h.toLowerCase()),
  );
  return (request) => {
    const hostHeader = request.headers.get("host") ?? new URL(request.url).host;
    return allowed.has(hostHeader.replace(/:\d+$/, "").toLowerCase());
  };
}

/** A page server's answers, each with the page's security headers. */
export interface PageAnswers {
  respond(status: number, body: BodyInit | null, headers?: Record<string, string>): Response;
  json(status: number, value: unknown, headers?: Record<string, string>): Response;
  /** 421 when the request's `Host` is not one the page is served on, else null. */
  wrongHost(request: Request): Response | null;
  /** The static file at the request's path: 404 when there is none, 405 unless GET or HEAD. */
  file(request: Request, assets: ReadonlyMap<string, Asset>): Response;
}

/** The answers of a page served under `csp` on loopback (and on `hostnames`). */
export function pageAnswers(csp: string, hostnames: readonly string[] = []): PageAnswers {
  const headers = securityHeaders(csp);
  const hostAllowed = hostCheck(hostnames);
  const respond = (status: number, body: BodyInit | null, extra: Record<string, string> = {}) =>
    new Response(body, { status, headers: { ...headers, ...extra } });
  const json = (status: number, value: unknown, extra: Record<string, string> = {}) =>
    respond(status, JSON.stringify(value), {
      "content-type": "application/json; charset=utf-8",
      ...extra,
    });
  return {
    respond,
    json,
    wrongHost: (request) =>
      hostAllowed(request)
        ? null
        : json(421, { error: "unknown host; open the page on 127.0.0.1" }),
    file(request, assets) {
      const asset = assets.get(new URL(request.url).pathname);
      if (asset === undefined) return json(404, { error: "not found" });
      if (request.method !== "GET" && request.method !== "HEAD") {
        return json(405, { error: "GET only" }, { allow: "GET, HEAD" });
      }
      return respond(200, request.method === "HEAD" ? null : asset.body, {
        "content-type": asset.type,
      });
    },
  };
}
