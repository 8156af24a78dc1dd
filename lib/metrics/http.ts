/**
 * The metrics and health endpoints, on loopback:
 *
 * - `GET /metrics`: every registered metric, Prometheus text format;
 * - `GET /healthz`: liveness, 200 while the process serves requests;
 * - `GET /readyz`: readiness, 200 once every stream has joined its group (or
 *   the process said it is connected), else 503; the body names each component.
 *
 * `metricsRoutes` answers these paths for a server that has its own (the
 * dashboard's); `serveMetrics` is a listener of its own (consumer, forecaster).
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Metrics } from "./registry.ts";

const log = getLogger(["airq", "metrics"]);

/** The paths `metricsRoutes` answers. */
export const METRICS_PATHS: readonly string[] = ["/metrics", "/healthz", "/readyz"];

const NO_STORE = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

function jsonResponse(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...NO_STORE },
  });
}

/**
 * The response to a request for one of {@linkcode METRICS_PATHS}, or null for
 * any other path (the caller's own routes). GET and HEAD only.
 */
export function metricsRoutes(
  metrics: Metrics,
): (request: Request) => Promise<Response> | null {
  return (request) => {
    const { pathname } = new URL(request.url);
    if (!METRICS_PATHS.includes(pathname)) return null;
    return answer(metrics, request, pathname);
  };
}

async function answer(metrics: Metrics, request: Request, pathname: string): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("GET only\n", {
      status: 405,
      headers: { allow: "GET, HEAD", ...NO_STORE },
    });
  }
  if (pathname === "/healthz") return jsonResponse(200, { status: "ok" });
  if (pathname === "/readyz") {
    const state = metrics.ready();
    return jsonResponse(state.ready ? 200 : 503, state);
  }
  const body = await metrics.text();
  return new Response(request.method === "HEAD" ? null : body, {
    status: 200,
    headers: { "content-type": metrics.contentType, ...NO_STORE },
  });
}

/** A running metrics listener. */
export interface MetricsServer {
  /** The bound port (useful with port 0). */
  port: number;
  /** Stops listening; resolves once closed. */
  close(): Promise<void>;
}

/**
 * Serves {@linkcode METRICS_PATHS} on `hostname` (default 127.0.0.1) and
 * `port` (0 = any free one); 404 elsewhere.
 */
export function serveMetrics(
  metrics: Metrics,
  options: { port: number; hostname?: string | undefined; name?: string | undefined },
): MetricsServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const routes = metricsRoutes(metrics);
  const controller = new AbortController();
  const server = Deno.serve({
    hostname,
    port: options.port,
    signal: controller.signal,
    onListen: () => {},
  }, (request) => routes(request) ?? new Response("not found\n", { status: 404 }));
  const port = server.addr.port;
  log.info("Metrics of {name} on http://{hostname}:{port}/metrics (/healthz, /readyz)", {
    name: options.name ?? "this process",
    hostname,
    port,
  });
  return {
    port,
    close: async () => {
      controller.abort();
      await server.finished;
    },
  };
}
