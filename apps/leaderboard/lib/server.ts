/**
 * The page's HTTP side: `createLeaderboardHandler(deps)` turns a Request into
 * a Response. Routes:
 *
 * - `GET /` and the page's own files (`app.js`, `style.css`, `favicon.svg`),
 *   read once at start-up from `apps/leaderboard/web/`;
 * - `GET /ws`: the WebSocket (see hub.ts for the protocol);
 * - `POST /api/vote`: the one state-changing endpoint, body
 *   `{"skin_id": "...", "kind": "up"|"down"|"favorite"}` → 202 `{"event_id"}`.
 *
 * Every response carries a strict Content-Security-Policy (no inline script or
 * style, nothing from elsewhere). Every request must name a loopback host (or
 * the configured one) in `Host`, against DNS rebinding. The WebSocket and the
 * vote need an `Origin` equal to the page's own; the vote also needs
 * `Content-Type: application/json` (which a cross-site form cannot send), a body
 * under the size limit that the zod schema accepts, and a free token in the
 * caller's rate-limit bucket. The headers, the Host check and the static files
 * (with the browser helpers of web/shared/) are the web pages' shared ones
 * (lib/web/static.ts, also the dashboard's).
 *
 * @module
 */
import { z } from "zod";
import { getLogger } from "@logtape/logtape";
import { type Asset, loadPageFiles, pageAnswers } from "../../../lib/web/mod.ts";
import { newVoteEvent, SkinIdSchema, VOTE_KINDS, type VoteEvent } from "./event.ts";
import type { BoardHub } from "./hub.ts";
import { RateLimiter } from "./rate_limit.ts";

const log = getLogger(["airq", "leaderboard", "http"]);

/** The page's Content-Security-Policy. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The body of POST /api/vote. */
export const VoteRequestSchema = z.strictObject({
  skin_id: SkinIdSchema,
  kind: z.enum(VOTE_KINDS),
});

export type { Asset };

/**
 * Reads the page's files and the shared browser helpers (only those listed, nothing else under
 * the folders is served).
 */
export function loadAssets(dir: URL): Promise<Map<string, Asset>> {
  return loadPageFiles(dir, ["index.html", "app.js", "style.css", "favicon.svg"]);
}

/** What the handler needs. */
export interface HandlerDeps {
  hub: BoardHub;
  assets: Map<string, Asset>;
  /** Publishes one vote to Kafka (resolves once the broker acknowledged it). */
  publish: (event: VoteEvent) => Promise<void>;
  /** Host names accepted in `Host` besides loopback (e.g. the configured hostname). */
  hostnames?: readonly string[];
  maxBodyBytes: number;
  rateLimit: { burst: number; perSecond: number };
}

async function readLimited(request: Request, max: number): Promise<Uint8Array | null> {
  if (request.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > max) return null;
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Builds the request handler for `Deno.serve`. */
export function createLeaderboardHandler(
  deps: HandlerDeps,
): (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Promise<Response> {
  const { json, wrongHost, file } = pageAnswers(CONTENT_SECURITY_POLICY, deps.hostnames);
  const limiter = new RateLimiter(deps.rateLimit);

  const vote = async (request: Request, client: string): Promise<Response> => {
    const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      return json(415, { error: "Content-Type must be application/json" });
    }
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (declared > deps.maxBodyBytes) {
      return json(413, { error: `the body must be at most ${deps.maxBodyBytes} bytes` });
    }
    const wait = limiter.take(client);
    if (wait > 0) {
      return json(429, { error: "too many votes, slow down" }, { "retry-after": String(wait) });
    }
    const bytes = await readLimited(request, deps.maxBodyBytes);
    if (bytes === null) {
      return json(413, { error: `the body must be at most ${deps.maxBodyBytes} bytes` });
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return json(400, { error: "the body is not valid JSON" });
    }
    const parsed = VoteRequestSchema.safeParse(body);
    if (!parsed.success) return json(400, { error: z.prettifyError(parsed.error) });
    const event = newVoteEvent(parsed.data.skin_id, parsed.data.kind, "web");
    try {
      await deps.publish(event);
    } catch (error) {
      log.error("Publishing a vote from the page failed: {error}", {
        error: error instanceof Error ? error.message : String(error),
      });
      return json(503, { error: "the vote could not be sent to Kafka; try again" });
    }
    log.info("Vote from the page: {kind} {skin_id} ({event_id})", { ...event });
    return json(202, { event_id: event.event_id });
  };

  return async (request, info) => {
    const url = new URL(request.url);
    const refused = wrongHost(request);
    if (refused !== null) return refused;
    const origin = request.headers.get("origin");
    const sameOrigin = origin === url.origin;
    const fetchSite = request.headers.get("sec-fetch-site");
    if (url.pathname === "/ws") {
      if (
        request.method !== "GET" || request.headers.get("upgrade")?.toLowerCase() !== "websocket"
      ) {
        return json(426, { error: "this is the WebSocket endpoint" });
      }
      if (!sameOrigin) return json(403, { error: "cross-origin WebSocket refused" });
      if (!deps.hub.hasRoom) return json(503, { error: "too many viewers" });
      const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 30 });
      deps.hub.add(socket);
      return response;
    }
    if (url.pathname === "/api/vote") {
      if (request.method !== "POST") return json(405, { error: "POST only" }, { allow: "POST" });
      if (!sameOrigin || (fetchSite !== null && fetchSite !== "same-origin")) {
        return json(403, { error: "cross-origin request refused" });
      }
      return await vote(request, info.remoteAddr.hostname);
    }
    return file(request, deps.assets);
  };
}
