/**
 * The dashboard's HTTP side: `createHandler(deps)` turns a Request into a
 * Response. Read-only: `GET`/`HEAD` of the page's own files, of uPlot's files
 * (served from its npm package), and `GET /events` (Server-Sent Events, see
 * hub.ts). Anything else is 404, and any other method on a known path is 405.
 *
 * Every response carries a strict Content-Security-Policy (no inline script or
 * style, nothing from elsewhere) and the usual hardening headers. Every request
 * must name a loopback host (or a configured one) in `Host`, against DNS
 * rebinding; the event stream also refuses a cross-site `Origin`. The headers,
 * the Host check and the static-file answer are the web pages' shared ones
 * (lib/web/static.ts, also the leaderboard's).
 *
 * @module
 */
import { type Asset, hostCheck, pageAnswers, securityHeaders } from "../web/mod.ts";

export { type Asset, hostCheck };

/** The page's Content-Security-Policy. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers on every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = securityHeaders(
  CONTENT_SECURITY_POLICY,
);

/** What the handler needs. */
export interface HandlerDeps {
  /** Static files by URL path (`/` is the page). */
  assets: ReadonlyMap<string, Asset>;
  /** A new event stream, or null when there is no room for another viewer. */
  events: () => ReadableStream<Uint8Array> | null;
  /** Host names accepted in `Host` besides loopback. */
  hostnames?: readonly string[];
}

/** Builds the request handler for `Deno.serve`. */
export function createHandler(deps: HandlerDeps): (request: Request) => Response {
  const { respond, json, wrongHost, file } = pageAnswers(CONTENT_SECURITY_POLICY, deps.hostnames);
  return (request) => {
    const url = new URL(request.url);
    const hostHeader = request.headers.get("host") ?? url.host;
    const refused = wrongHost(request);
    if (refused !== null) return refused;
    if (url.pathname === "/events") {
      if (request.method !== "GET") return json(405, { error: "GET only" }, { allow: "GET" });
      const origin = request.headers.get("origin");
      if (origin !== null && origin !== `${url.protocol}//${hostHeader}`) {
        return json(403, { error: "cross-origin event stream refused" });
      }
      const stream = deps.events();
      if (stream === null) return json(503, { error: "too many viewers" });
      return respond(200, stream, {
        "content-type": "text/event-stream; charset=utf-8",
        "x-accel-buffering": "no",
      });
    }
    return file(request, deps.assets);
  };
}

/**
 * The page's handler with more routes in front (the /metrics, /healthz and
 * /readyz of lib/metrics), for requests that pass the same Host check; a
 * route answering null falls through to the page.
 */
export function withRoutes(
  handler: (request: Request) => Response,
  routes: (request: Request) => Promise<Response> | null,
  hostnames: readonly string[] = [],
): (request: Request) => Response | Promise<Response> {
  const hostAllowed = hostCheck(hostnames);
  return (request) => (hostAllowed(request) ? routes(request) : null) ?? handler(request);
}
