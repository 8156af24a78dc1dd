/**
 * A private PostgreSQL server for tests: Debian's binaries
 * (`/usr/lib/postgresql/<version>/bin`), a fresh cluster in a temp folder,
 * TCP on a free loopback port, trust authentication for the user `airq`,
 * fsync off. As root it runs as `nobody` (PostgreSQL refuses to run as root).
 * Fails, never skips, when the binaries are missing.
 *
 * @module
 */
import { freePort } from "../_kafka.ts";

/** A running test server. Call `stop()` in `finally`. */
export interface TestPostgres {
  /** `postgres://airq@127.0.0.1:<port>/<database>`. */
  url(database: string): string;
  /** Creates a new, empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Empties the database `airq_scratch` (created on first use) and returns its URL: faster than a new one. */
  scratchDatabase(): Promise<string>;
  /** Runs SQL with psql in `database`; returns psql's output (unaligned, tuples only). */
  psql(database: string, sql: string): Promise<string>;
  /** Stops the server (`pg_ctl stop -m fast`) and removes its folder. */
  stop(): Promise<void>;
}

const ROOT = "/usr/lib/postgresql";
const INSTALL = "Install them with `sudo apt-get install postgresql` (Debian/Ubuntu), " +
  "or set AIRQ_TEST_PG_BIN to the folder holding initdb, pg_ctl and postgres.";

/** The folder with initdb, pg_ctl, postgres and psql: AIRQ_TEST_PG_BIN or the newest Debian one. */
async function binDir(): Promise<string> {
  const fromEnv = Deno.env.get("AIRQ_TEST_PG_BIN");
  const candidates: string[] = fromEnv ? [fromEnv] : [];
  if (!fromEnv) {
    try {
      for await (const e of Deno.readDir(ROOT)) if (/^\d+$/.test(e.name)) candidates.push(e.name);
    } catch {
      // no /usr/lib/postgresql at all
    }
    candidates.sort((a, b) => Number(b) - Number(a));
    candidates.forEach((v, i) => candidates[i] = `${ROOT}/${v}/bin`);
  }
  for (const dir of candidates) {
    try {
      await Deno.stat(`${dir}/postgres`);
      return dir;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `PostgreSQL server binaries not found (looked for ${
      fromEnv ? `${fromEnv}/postgres` : `${ROOT}/*/bin/postgres`
    }). ${INSTALL}`,
  );
}

async function run(argv: string[], what: string): Promise<string> {
  const [cmd, ...args] = argv;
  const out = await new Deno.Command(cmd!, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${what} failed (exit ${out.code}): ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

async function idOf(flag: "-u" | "-g", user: string): Promise<number> {
  return Number((await run(["id", flag, user], `id ${flag} ${user}`)).trim());
}

/** Starts a private server; rejects with how to install PostgreSQL when it is missing. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = await binDir();
  // PostgreSQL will not run as root: run the server as nobody, in a folder nobody owns.
  const root = (await run(["id", "-u"], "id -u")).trim() === "0";
  const owner = root ? [await idOf("-u", "nobody"), await idOf("-g", "nobody")] as const : null;
  const asServer = root ? ["runuser", "-u", "nobody", "--"] : [];
  const dir = await Deno.makeTempDir({ prefix: "airq-pg-" });
  const data = `${dir}/data`;
  const port = freePort();
  let started = false;
  const stop = async () => {
    try {
      if (started) {
        await run(
          [...asServer, `${bin}/pg_ctl`, "-D", data, "-m", "fast", "-w", "stop"],
          "pg_ctl stop",
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
  try {
    if (owner) await Deno.chown(dir, ...owner);
    await run(
      [
        ...asServer,
        `${bin}/initdb`,
        "-D",
        data,
        "-U",
        "airq",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
      ],
      "initdb",
    );
    const settings = [
      `-p ${port}`,
      "-c listen_addresses=127.0.0.1",
      `-c unix_socket_directories=${dir}`,
      "-c fsync=off",
      "-c full_page_writes=off",
    ].join(" ");
    await run(
      [
        ...asServer,
        `${bin}/pg_ctl`,
        "-D",
        data,
        "-l",
        `${dir}/server.log`,
        "-o",
        settings,
        "-w",
        "start",
      ],
      "pg_ctl start",
    );
    started = true;
  } catch (e) {
    let log = "";
    try {
      log = await Deno.readTextFile(`${dir}/server.log`);
    } catch {
      // no log yet
    }
    await stop();
    throw new Error(`Cannot start the test PostgreSQL server: ${e}\n${log}`, { cause: e });
  }
  const url = (database: string) => `postgres://airq@127.0.0.1:${port}/${database}`;
  const psql = (database: string, sql: string) =>
    run(
      [
        `${bin}/psql`,
        "-X",
        "-q",
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        url(database),
        "-c",
        sql,
      ],
      `psql ${JSON.stringify(sql)}`,
    );
  let databases = 0;
  let scratch = false;
  return {
    url,
    psql,
    async createDatabase() {
      const name = `airq_test_${databases++}`;
      await psql("postgres", `CREATE DATABASE ${name}`);
      return url(name);
    },
    async scratchDatabase() {
      if (!scratch) await psql("postgres", "CREATE DATABASE airq_scratch");
      else await psql("airq_scratch", "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
      scratch = true;
      return url("airq_scratch");
    },
    stop,
  };
}
