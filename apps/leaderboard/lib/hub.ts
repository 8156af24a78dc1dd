/**
 * The WebSocket side of the board: keeps the current top N, sends each new
 * client a snapshot, then pushes only what changed. Redis change notices are
 * coalesced (one re-read per `pushIntervalMs` at most); a periodic re-read
 * covers a notice lost while the subscriber reconnected.
 *
 * Protocol (server → client, JSON text frames; the client sends nothing):
 * - `{"type":"snapshot","seq":n,"top":N,"rows":[Row…],"totals":Totals}`
 * - `{"type":"changes","seq":n,"upserts":[Row…],"removed":[skin_id…],"totals":Totals}`
 *
 * with Row = `{rank, skin_id, score, favorites}` and Totals =
 * `{events, duplicates, skins}`; `seq` grows by one per push.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Board, diffBoards, totalsChanged } from "./board.ts";
import type { LeaderboardStore } from "./store.ts";

const log = getLogger(["airq", "leaderboard", "hub"]);

/** Options of a `BoardHub`. */
export interface HubOptions {
  topN: number;
  pushIntervalMs: number;
  resyncIntervalMs: number;
  maxClients: number;
}

/** Fans the board out to WebSocket clients. */
export class BoardHub {
  readonly #store: LeaderboardStore;
  readonly #options: HubOptions;
  readonly #clients = new Set<WebSocket>();
  #board: Board = { rows: [], totals: { events: 0, duplicates: 0, skins: 0 } };
  #seq = 0;
  #pushTimer: ReturnType<typeof setTimeout> | null = null;
  #resyncTimer: ReturnType<typeof setInterval> | null = null;
  #refreshing: Promise<void> | null = null;
  #unsubscribe: (() => Promise<void>) | null = null;
  #closed = false;

  constructor(store: LeaderboardStore, options: HubOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Reads the board and starts following Redis. */
  async start(): Promise<void> {
    this.#board = await this.#store.board(this.#options.topN);
    this.#unsubscribe = await this.#store.subscribe(() => this.#schedule());
    this.#resyncTimer = setInterval(() => this.#schedule(), this.#options.resyncIntervalMs);
  }

  /** The board as last pushed. */
  get board(): Board {
    return this.#board;
  }

  /** Connected clients. */
  get clients(): number {
    return this.#clients.size;
  }

  /** True when one more client may connect. */
  get hasRoom(): boolean {
    return !this.#closed && this.#clients.size < this.#options.maxClients;
  }

  /** Adopts a socket from `Deno.upgradeWebSocket`: snapshot on open, changes after. */
  add(socket: WebSocket): void {
    socket.addEventListener("open", () => {
      this.#clients.add(socket);
      this.#send(socket, {
        type: "snapshot",
        seq: this.#seq,
        top: this.#options.topN,
        rows: this.#board.rows,
        totals: this.#board.totals,
      });
    });
    socket.addEventListener("close", () => this.#clients.delete(socket));
    socket.addEventListener("error", () => this.#clients.delete(socket));
    // the protocol is one-way; anything a client sends is ignored
  }

  /** Stops following Redis and closes every socket. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#pushTimer !== null) clearTimeout(this.#pushTimer);
    if (this.#resyncTimer !== null) clearInterval(this.#resyncTimer);
    this.#pushTimer = null;
    this.#resyncTimer = null;
    await this.#refreshing?.catch(() => {});
    await this.#unsubscribe?.();
    const closing = [...this.#clients].map((socket) =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        // a client that does not answer the close handshake is not waited for long
        const timer = setTimeout(resolve, 1000);
        socket.addEventListener("close", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
        socket.close(1001, "server stopping");
      })
    );
    await Promise.all(closing);
    this.#clients.clear();
  }

  #schedule(): void {
    if (this.#closed || this.#pushTimer !== null) return;
    this.#pushTimer = setTimeout(() => {
      this.#pushTimer = null;
      if (this.#refreshing) return this.#schedule();
      this.#refreshing = this.#refresh()
        .catch((error) =>
          log.warn("Reading the board failed: {error}", {
            error: error instanceof Error ? error.message : String(error),
          })
        )
        .finally(() => (this.#refreshing = null));
    }, this.#options.pushIntervalMs);
  }

  async #refresh(): Promise<void> {
    const next = await this.#store.board(this.#options.topN);
    if (this.#closed) return;
    const changes = diffBoards(this.#board.rows, next.rows);
    const changed = changes.upserts.length > 0 || changes.removed.length > 0 ||
      totalsChanged(this.#board.totals, next.totals);
    this.#board = next;
    if (!changed) return;
    this.#seq++;
    const message = JSON.stringify({
      type: "changes",
      seq: this.#seq,
      ...changes,
      totals: next.totals,
    });
    for (const socket of this.#clients) this.#send(socket, message);
  }

  #send(socket: WebSocket, message: unknown): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    try {
      socket.send(typeof message === "string" ? message : JSON.stringify(message));
    } catch {
      this.#clients.delete(socket);
    }
  }
}
