/**
 * Server-Sent Events for the page: every client gets the full snapshot when it
 * connects, then a new one at most once per `pushIntervalMs`, and only when
 * the state changed; a comment line keeps idle streams open. The snapshot is
 * built once per push and shared by every client (the state is never read per
 * client).
 *
 * Protocol: `event: snapshot` with a `DashboardSnapshot` as JSON `data`; the
 * client sends nothing.
 *
 * @module
 */
import type { DashboardState } from "./state.ts";

/** Options of an `EventHub`. */
export interface EventHubOptions {
  pushIntervalMs: number;
  heartbeatMs: number;
  maxClients: number;
}

const encoder = new TextEncoder();

/** Fans snapshots out to SSE clients. */
export class EventHub {
  readonly #state: DashboardState;
  readonly #options: EventHubOptions;
  readonly #clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #pushed = -1;
  #frame: Uint8Array | null = null;
  #closed = false;

  constructor(state: DashboardState, options: EventHubOptions) {
    this.#state = state;
    this.#options = options;
  }

  /** Starts the push and heartbeat timers. */
  start(): void {
    this.#timer = setInterval(() => this.#push(), this.#options.pushIntervalMs);
    this.#heartbeat = setInterval(
      () => this.#broadcast(encoder.encode(": keep-alive\n\n")),
      this.#options.heartbeatMs,
    );
  }

  /** Connected clients. */
  get clients(): number {
    return this.#clients.size;
  }

  /** True when one more client may connect. */
  get hasRoom(): boolean {
    return !this.#closed && this.#clients.size < this.#options.maxClients;
  }

  /** A new event stream: the current snapshot first, then updates. */
  stream(): ReadableStream<Uint8Array> {
    let me: ReadableStreamDefaultController<Uint8Array>;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        me = controller;
        this.#clients.add(controller);
        controller.enqueue(encoder.encode("retry: 2000\n\n"));
        controller.enqueue(this.#currentFrame());
      },
      cancel: () => {
        this.#clients.delete(me);
      },
    });
  }

  /** Ends every stream and stops the timers. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#timer = this.#heartbeat = null;
    for (const c of this.#clients) {
      try {
        c.close();
      } catch {
        // already closed by the client
      }
    }
    this.#clients.clear();
  }

  #currentFrame(): Uint8Array {
    if (this.#frame === null || this.#pushed !== this.#state.version) {
      this.#pushed = this.#state.version;
      const data = JSON.stringify(this.#state.snapshot());
      this.#frame = encoder.encode(`event: snapshot\ndata: ${data}\n\n`);
    }
    return this.#frame;
  }

  #push(): void {
    if (this.#clients.size === 0 || this.#pushed === this.#state.version) return;
    this.#broadcast(this.#currentFrame());
  }

  #broadcast(frame: Uint8Array): void {
    for (const c of this.#clients) {
      try {
        c.enqueue(frame);
      } catch {
        this.#clients.delete(c);
      }
    }
  }
}
