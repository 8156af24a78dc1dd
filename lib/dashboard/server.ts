/**
 * The dashboard's HTTP side: `createHandler(deps)` turns a Request into a
 * Response. Read-only: `GET`/`HEAD` of the page's own files, of uPlot's files
 * (served from its npm package), and `GET /events` (Server-Sent Events, see
 * hub.ts). Anything else is 404, and any other method on a known path is 405.
 *
 * Every response carries a strict Content-Security-Policy (no inline script or
 * style, nothing from elsewhere) and the usual hardening headers. Every request
 * must name a loopback host (or a configured one) in `Host`, against DNS
 * rebinding; the event stream also refuses a cross-site `Origin`.
 *
 * @module
 */

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
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "x-frame-options": "DENY",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
  "cache-control": "no-store",
};

/** One static file. */
export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

/** What the handler needs. */
export interface HandlerDeps {
  /** Static files by URL path (`/` is the page). */
  assets: ReadonlyMap<string, Asset>;
  /** A new event stream, or null when there is no room for another viewer. */
  events: () => ReadableStream<Uint8Array> | null;
  /** Host names accepted in `Host` besides loopback. */
  hostnames?: readonly string[];
}

function respond(status: number, body: BodyInit | null, headers: Record<string, string> = {}) {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, ...headers } });
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  return respond(status, JSON.stringify(value), {
    "content-type": "application/json; charset=utf-8",
    ...headers,
  });
}

/**
 * Whether a request names a loopback host (or one of `hostnames`) in `Host`:
 * the check against DNS rebinding, shared with the /metrics routes.
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

/** Builds the request handler for `Deno.serve`. */
export function createHandler(deps: HandlerDeps): (request: Request) => Response {
  const hostAllowed = hostCheck(deps.hostnames);
  return (request) => {
    const url = new URL(request.url);
    const hostHeader = request.headers.get("host") ?? url.host;
    if (!hostAllowed(request)) {
      return json(421, { error: "unknown host; open the page on 127.0.0.1" });
    }
    const readOnly = request.method === "GET" || request.method === "HEAD";
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
    const asset = deps.assets.get(url.pathname);
    if (asset === undefined) return json(404, { error: "not found" });
    if (!readOnly) return json(405, { error: "GET only" }, { allow: "GET, HEAD" });
    return respond(200, request.method === "HEAD" ? null : asset.body, {
      "content-type": asset.type,
    });
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
