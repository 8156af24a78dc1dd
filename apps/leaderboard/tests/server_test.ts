/**
 * The page's HTTP side with a real redis-server behind the board hub: the
 * security headers, every refusal of POST /api/vote (origin, content type,
 * size, schema, rate), DNS-rebinding protection, and the WebSocket protocol
 * (a snapshot, then changes). Publishing to Kafka is recorded here; the
 * browser test sends the form's votes through the real broker.
 */
import assert from "node:assert/strict";
import {
  BoardHub,
  CONTENT_SECURITY_POLICY,
  createLeaderboardHandler,
  loadAssets,
  newVoteEvent,
  type VoteEvent,
  WEB_DIR,
} from "../lib/mod.ts";
import { waitFor } from "../../../tests/_kafka.ts";
import { shippedConfig, withRedis } from "./_leaderboard.ts";

const info = {
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
  completed: Promise.resolve(),
} as Deno.ServeHandlerInfo<Deno.NetAddr>;

const ORIGIN = "http://127.0.0.1:8787";

function post(body: string, headers: Record<string, string> = {}, url = `${ORIGIN}/api/vote`) {
  return new Request(url, {
    method: "POST",
    body,
    headers: { origin: ORIGIN, "content-type": "application/json", ...headers },
  });
}

Deno.test("the leaderboard server guards POST /api/vote and sends strict security headers", async () => {
  const config = await shippedConfig();
  const { store, close } = await withRedis(config);
  const hub = new BoardHub(store, config.server);
  const published: VoteEvent[] = [];
  try {
    await hub.start();
    const deps = {
      hub,
      assets: await loadAssets(WEB_DIR),
      publish: (e: VoteEvent) => {
        published.push(e);
        return Promise.resolve();
      },
      maxBodyBytes: 256,
      rateLimit: { burst: 100, perSecond: 100 },
    };
    const handler = createLeaderboardHandler(deps);
    const status = async (request: Request) => {
      const response = await handler(request, info);
      await response.body?.cancel();
      return response.status;
    };

    const page = await handler(new Request(`${ORIGIN}/`), info);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await page.text(), /Waiting for votes/);
    assert.equal(await status(new Request(`${ORIGIN}/app.js`)), 200);
    // the helpers shared with the dashboard (web/shared/), where app.js's import lands
    assert.equal(await status(new Request(`${ORIGIN}/web/shared/live.js`)), 200);
    assert.equal(await status(new Request(`${ORIGIN}/web/shared/base.css`)), 200);
    assert.equal(await status(new Request(`${ORIGIN}/server.ts`)), 404);
    assert.equal(await status(new Request(`${ORIGIN}/../config/kafka.json`)), 404);
    // DNS rebinding: a foreign host name that resolves to 127.0.0.1
    assert.equal(await status(new Request("http://evil.example:8787/")), 421);
    assert.equal(
      await status(
        post(
          '{"skin_id":"a","kind":"up"}',
          { origin: "http://evil.example:8787" },
          "http://evil.example:8787/api/vote",
        ),
      ),
      421,
    );

    const good = '{"skin_id":"aurora","kind":"up"}';
    assert.equal(await status(new Request(`${ORIGIN}/api/vote`)), 405);
    assert.equal(await status(post(good, { origin: "" })), 403);
    assert.equal(await status(post(good, { origin: "http://evil.example" })), 403);
    assert.equal(await status(post(good, { origin: "http://localhost:8787" })), 403);
    assert.equal(await status(post(good, { "sec-fetch-site": "cross-site" })), 403);
    assert.equal(await status(post(good, { "content-type": "text/plain" })), 415);
    assert.equal(
      await status(post(good, { "content-type": "application/x-www-form-urlencoded" })),
      415,
    );
    assert.equal(await status(post(JSON.stringify({ skin_id: "a".repeat(300), kind: "up" }))), 413);
    assert.equal(await status(post("{not json")), 400);
    assert.equal(await status(post('{"skin_id":"<script>","kind":"up"}')), 400);
    assert.equal(await status(post('{"skin_id":"aurora","kind":"sideways"}')), 400);
    assert.equal(await status(post('{"skin_id":"aurora","kind":"up","score":1000}')), 400);
    assert.equal(published.length, 0);

    const accepted = await handler(post(good, { "sec-fetch-site": "same-origin" }), info);
    assert.equal(accepted.status, 202);
    const { event_id } = await accepted.json();
    assert.equal(published.length, 1);
    assert.deepEqual(
      { id: published[0]!.event_id, skin: published[0]!.skin_id, source: published[0]!.source },
      { id: event_id, skin: "aurora", source: "web" },
    );

    // the rate limit, per client address
    const limited = createLeaderboardHandler({ ...deps, rateLimit: { burst: 2, perSecond: 0.01 } });
    const codes = [];
    for (let i = 0; i < 3; i++) {
      const r = await limited(post(good), info);
      await r.body?.cancel();
      codes.push(r.status);
      if (r.status === 429) assert.ok(Number(r.headers.get("retry-after")) > 0);
    }
    assert.deepEqual(codes, [202, 202, 429]);
    const other = { ...info, remoteAddr: { ...info.remoteAddr, hostname: "127.0.0.2" } };
    const r = await limited(post(good), other);
    await r.body?.cancel();
    assert.equal(r.status, 202);
  } finally {
    await hub.close();
    await close();
  }
});

Deno.test("the leaderboard WebSocket sends a snapshot, then only the changes, to same-origin clients", async () => {
  const config = await shippedConfig();
  const { store, close } = await withRedis(config);
  const hub = new BoardHub(store, { ...config.server, pushIntervalMs: 20 });
  const handler = createLeaderboardHandler({
    hub,
    assets: await loadAssets(WEB_DIR),
    publish: () => Promise.resolve(),
    maxBodyBytes: 1024,
    rateLimit: { burst: 1, perSecond: 1 },
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const sockets: WebSocket[] = [];
  try {
    await store.applyEvents([
      newVoteEvent("aurora", "up", "cli"),
      newVoteEvent("basalt", "up", "cli"),
    ]);
    await hub.start();

    // a foreign origin is refused before the upgrade
    const foreign = new WebSocket(`ws://127.0.0.1:${server.addr.port}/ws`, {
      headers: { origin: "http://evil.example" },
    } as unknown as string[]);
    sockets.push(foreign);
    const refused = await new Promise<string>((resolve) => {
      foreign.onerror = (e) => resolve((e as ErrorEvent).message);
      foreign.onopen = () => resolve("opened");
    });
    assert.match(refused, /403/);

    const messages: { type: string; [k: string]: unknown }[] = [];
    const socket = new WebSocket(`ws://127.0.0.1:${server.addr.port}/ws`, {
      headers: { origin },
    } as unknown as string[]);
    sockets.push(socket);
    socket.onmessage = (e) => messages.push(JSON.parse(String(e.data)));
    await waitFor(() => messages.length === 1, { what: "the snapshot" });
    assert.equal(messages[0]!.type, "snapshot");
    assert.equal(messages[0]!.top, config.server.topN);
    assert.deepEqual(messages[0]!.rows, [
      { rank: 1, skin_id: "basalt", score: 1, favorites: 0 },
      { rank: 2, skin_id: "aurora", score: 1, favorites: 0 },
    ]);

    await store.applyEvents([
      newVoteEvent("aurora", "up", "cli"),
      newVoteEvent("aurora", "up", "cli"),
    ]);
    await waitFor(() => messages.length >= 2, { what: "the changes" });
    const changes = messages[1]!;
    assert.equal(changes.type, "changes");
    assert.equal(changes.seq, (messages[0]!.seq as number) + 1);
    assert.deepEqual(changes.upserts, [
      { rank: 1, skin_id: "aurora", score: 3, favorites: 0 },
      { rank: 2, skin_id: "basalt", score: 1, favorites: 0 },
    ]);
    assert.deepEqual(changes.removed, []);
    assert.deepEqual(changes.totals, { events: 4, duplicates: 0, skins: 2 });
    assert.equal(hub.clients, 1);
  } finally {
    await hub.close(); // closes the sockets
    for (const s of sockets) {
      if (s.readyState !== WebSocket.CLOSED) {
        await new Promise((resolve) => {
          s.onclose = resolve;
          s.close();
        });
      }
    }
    await server.shutdown();
    await close();
  }
});
