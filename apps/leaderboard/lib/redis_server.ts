/**
 * A private redis-server (Debian's `/usr/bin/redis-server`) for the task and
 * the tests when `REDIS_URL` is not set: loopback only, its own free port, a
 * random password, no persistence (`save ""`, no AOF), in a temp folder that is
 * removed on stop. The settings go in through stdin (`redis-server -`), so
 * the password never shows in `ps`.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";

const log = getLogger(["airq", "leaderboard", "redis"]);

/** A running private redis-server. */
export interface RedisServer {
  /** `redis://:<password>@127.0.0.1:<port>`. */
  url: string;
  port: number;
  pid: number;
  dir: string;
  /** Stops it (SIGTERM, then SIGKILL after 3 s) and removes its folder. */
  stop(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function answersPing(port: number, password: string): Promise<boolean> {
  let conn: Deno.TcpConn | null = null;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode(`AUTH ${password}\r\nPING\r\n`));
    const buf = new Uint8Array(64);
    let text = "";
    const deadline = Date.now() + 1000;
    while (!text.includes("PONG") && Date.now() < deadline) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text.includes("+PONG");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

/**
 * Starts a private redis-server and waits until it answers.
 *
 * @throws {Error} when `redis-server` is missing or does not answer in time.
 */
export async function startRedisServer(
  options: { timeoutMs?: number; command?: string } = {},
): Promise<RedisServer> {
  const command = options.command ?? "redis-server";
  const timeoutMs = options.timeoutMs ?? 5000;
  const dir = await Deno.makeTempDir({ prefix: "airq-redis-" });
  const port = freePort();
  const password = crypto.randomUUID().replaceAll("-", "");
  const settings = [
    `port ${port}`,
    "bind 127.0.0.1",
    "protected-mode yes",
    `requirepass ${password}`,
    'save ""',
    "appendonly no",
    `dir ${dir}`,
    `logfile ${dir}/redis.log`,
    "daemonize no",
    "databases 1",
  ].join("\n");
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args: ["-"],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `${command} is not installed: apt-get install redis-server, or set REDIS_URL to a Redis you run`,
      );
    }
    throw error;
  }
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(settings + "\n"));
  await writer.close();

  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stop = async () => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }, 3000);
      await status;
      clearTimeout(timer);
    } else await status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  const deadline = Date.now() + timeoutMs;
  while (!(await answersPing(port, password))) {
    if (exited || Date.now() > deadline) {
      const tail = await Deno.readTextFile(`${dir}/redis.log`).catch(() => "");
      await stop();
      throw new Error(
        `redis-server on 127.0.0.1:${port} did not answer within ${timeoutMs} ms` +
          (tail ? `; its log ends:\n${tail.split("\n").slice(-8).join("\n")}` : ""),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  log.info("Started redis-server (pid {pid}) on 127.0.0.1:{port}, data in {dir}", {
    pid: child.pid,
    port,
    dir,
  });
  return {
    url: `redis://:${password}@127.0.0.1:${port}`,
    port,
    pid: child.pid,
    dir,
    stop,
  };
}
