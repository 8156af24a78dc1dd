/**
 * The board in Redis. Scores (upvotes − downvotes) and favourites are two
 * sorted sets; every applied event id is remembered under its own key with a
 * TTL. One Lua script applies a chunk of events atomically: for each event,
 * `SET <event key> 1 NX EX <ttl>` and, only when that set the key (the event is
 * new), `ZINCRBY` on the right sorted set. A redelivered or replayed event
 * finds its key and changes nothing, so counts never go up twice; the script
 * also counts applied and duplicate events and publishes a change notice.
 *
 * Keys (prefix from config, default `airq:lb:`): `score` (zset), `favorites`
 * (zset), `stats` (hash: applied, duplicates), `event:<id>` (string, TTL),
 * `origin:<group>` (string: set once the board was rebuilt for a consumer
 * group), and the pub/sub channel `changes`.
 *
 * @module
 */
import { createClient } from "redis";
import { getLogger } from "@logtape/logtape";
import type { Board, BoardRow } from "./board.ts";
import type { VoteEvent } from "./event.ts";

const log = getLogger(["airq", "leaderboard", "redis"]);

function newClient(url: string, state: { connected: boolean }) {
  return createClient({
    url,
    // the Redis Enterprise maintenance push handshake reads REDIS_* variables: not needed here
    maintNotifications: "disabled",
    socket: {
      connectTimeout: 3000,
      // first connection: fail after 3 tries (a wrong REDIS_URL is an error, not a wait);
      // once connected: retry forever with backoff (a Redis restart is survived)
      reconnectStrategy: (retries: number, cause: Error) =>
        !state.connected && retries >= 3 ? cause : Math.min(50 * 2 ** retries, 2000),
    },
  });
}

type RedisClient = ReturnType<typeof newClient>;

// KEYS: 1 score, 2 favorites, 3 stats, 4.. one event key per event
// ARGV: 1 ttl seconds, 2 change channel, then (kind, skin) per event
const APPLY_SCRIPT = `
local ttl = ARGV[1]
local applied = 0
for i = 4, #KEYS do
  local j = (i - 4) * 2 + 3
  local kind, skin = ARGV[j], ARGV[j + 1]
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ttl) then
    applied = applied + 1
    if kind == 'up' then
      redis.call('ZINCRBY', KEYS[1], 1, skin)
    elseif kind == 'down' then
      redis.call('ZINCRBY', KEYS[1], -1, skin)
    else
      redis.call('ZINCRBY', KEYS[2], 1, skin)
      redis.call('ZADD', KEYS[1], 'NX', 0, skin)
    end
  end
end
local duplicates = (#KEYS - 3) - applied
if applied > 0 then redis.call('HINCRBY', KEYS[3], 'applied', applied) end
if duplicates > 0 then redis.call('HINCRBY', KEYS[3], 'duplicates', duplicates) end
if applied > 0 then redis.call('PUBLISH', ARGV[2], applied) end
return {applied, duplicates}
`;

// KEYS: 1 score, 2 favorites, 3 stats; ARGV: 1 top n. One atomic read.
const TOP_SCRIPT = `
local rows = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local out = {
  redis.call('HGET', KEYS[3], 'applied') or '0',
  redis.call('HGET', KEYS[3], 'duplicates') or '0',
  tostring(redis.call('ZCARD', KEYS[1])),
}
for i = 1, #rows, 2 do
  out[#out + 1] = rows[i]
  out[#out + 1] = rows[i + 1]
  out[#out + 1] = redis.call('ZSCORE', KEYS[2], rows[i]) or '0'
end
return out
`;

/** Options of `connectStore`. */
export interface StoreOptions {
  /** Prefix of every key. */
  keyPrefix: string;
  /** Seconds an applied event id is remembered. */
  dedupeTtlS: number;
  /** Events per script call. */
  chunkSize: number;
}

/** What one `applyEvents` call did. */
export interface ApplyResult {
  applied: number;
  duplicates: number;
}

/** The leaderboard's Redis state. */
export class LeaderboardStore {
  readonly #client: RedisClient;
  readonly #options: StoreOptions;
  readonly #subscribers: RedisClient[] = [];
  readonly #sha = new Map<string, string>();

  constructor(client: RedisClient, options: StoreOptions) {
    this.#client = client;
    this.#options = options;
  }

  /** The key or channel `name` under the prefix. */
  key(name: string): string {
    return this.#options.keyPrefix + name;
  }

  /** Applies votes idempotently, in chunks; each chunk is atomic. */
  async applyEvents(events: readonly VoteEvent[]): Promise<ApplyResult> {
    const total: ApplyResult = { applied: 0, duplicates: 0 };
    for (let i = 0; i < events.length; i += this.#options.chunkSize) {
      const chunk = events.slice(i, i + this.#options.chunkSize);
      const reply = await this.#run(APPLY_SCRIPT, {
        keys: [
          this.key("score"),
          this.key("favorites"),
          this.key("stats"),
          ...chunk.map((e) => this.key(`event:${e.event_id}`)),
        ],
        arguments: [
          String(this.#options.dedupeTtlS),
          this.key("changes"),
          ...chunk.flatMap((e) => [e.kind, e.skin_id]),
        ],
      }) as [number, number];
      total.applied += Number(reply[0]);
      total.duplicates += Number(reply[1]);
    }
    return total;
  }

  /** The top `n` skins by score, with favourites and totals, read atomically. */
  async board(n: number): Promise<Board> {
    const reply = await this.#run(TOP_SCRIPT, {
      keys: [this.key("score"), this.key("favorites"), this.key("stats")],
      arguments: [String(n)],
    }) as string[];
    const rows: BoardRow[] = [];
    for (let i = 3; i + 2 < reply.length; i += 3) {
      rows.push({
        rank: rows.length + 1,
        skin_id: reply[i]!,
        score: Number(reply[i + 1]),
        favorites: Number(reply[i + 2]),
      });
    }
    return {
      rows,
      totals: {
        events: Number(reply[0]),
        duplicates: Number(reply[1]),
        skins: Number(reply[2]),
      },
    };
  }

  /** Seconds left on an applied event id's memory (-2: unknown id). */
  async eventTtl(eventId: string): Promise<number> {
    return await this.#client.ttl(this.key(`event:${eventId}`));
  }

  /** True once the board was (re)built from the log for `groupId` (see the consumer). */
  async hasOrigin(groupId: string): Promise<boolean> {
    return (await this.#client.exists(this.key(`origin:${groupId}`))) === 1;
  }

  /** Records that the board was built from the start of the log for `groupId`. */
  async markOrigin(groupId: string): Promise<void> {
    await this.#client.set(this.key(`origin:${groupId}`), new Date().toISOString());
  }

  /**
   * Calls `onChange` whenever events were applied (Redis pub/sub on a second
   * connection). Returns the function that unsubscribes and closes it.
   */
  async subscribe(onChange: () => void): Promise<() => Promise<void>> {
    const subscriber = this.#client.duplicate();
    subscriber.on("error", (error: unknown) => logError("subscriber", error));
    await subscriber.connect();
    await subscriber.subscribe(this.key("changes"), () => onChange());
    this.#subscribers.push(subscriber);
    return async () => {
      const i = this.#subscribers.indexOf(subscriber);
      if (i >= 0) this.#subscribers.splice(i, 1);
      await closeClient(subscriber);
    };
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    for (const s of this.#subscribers.splice(0)) await closeClient(s);
    await closeClient(this.#client);
  }

  async #run(
    script: string,
    options: { keys: string[]; arguments: string[] },
  ): Promise<unknown> {
    let sha = this.#sha.get(script);
    if (sha === undefined) {
      sha = await this.#client.scriptLoad(script);
      this.#sha.set(script, sha);
    }
    try {
      return await this.#client.evalSha(sha, options);
    } catch (error) {
      // the script cache is empty after a Redis restart: send the script itself
      if (error instanceof Error && error.message.startsWith("NOSCRIPT")) {
        return await this.#client.eval(script, options);
      }
      throw error;
    }
  }
}

function logError(what: string, error: unknown): void {
  log.warn("Redis {what} connection: {error}", {
    what,
    error: error instanceof Error ? error.message : String(error),
  });
}

async function closeClient(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  try {
    await client.close();
  } catch {
    client.destroy();
  }
}

/** Connects to Redis at `url` (redis://[:password@]host:port). */
export async function connectStore(url: string, options: StoreOptions): Promise<LeaderboardStore> {
  const state = { connected: false };
  const client = newClient(url, state);
  client.on("error", (error: unknown) => {
    if (state.connected) logError("command", error);
  });
  try {
    await client.connect();
  } catch (error) {
    client.destroy();
    const shown = url.replace(/\/\/[^@]*@/, "//");
    throw new Error(
      `Cannot connect to Redis at ${shown}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
  state.connected = true;
  return new LeaderboardStore(client, options);
}
