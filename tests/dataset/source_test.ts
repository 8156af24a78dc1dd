import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  defaultCacheDir,
  openDataset,
  readUciFile,
  resolveDatasetPath,
  UCI_CSV_NAME,
  UciParseError,
} from "../../lib/dataset/mod.ts";

const HEAD = fileURLToPath(new URL("../fixtures/uci_head.csv", import.meta.url));

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Serves `zip` at `/air+quality.zip` and 404 elsewhere, on 127.0.0.1 and a free port. */
function serveZip(zip: Uint8Array<ArrayBuffer>) {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    requests.push(path);
    return path === "/air+quality.zip"
      ? new Response(zip, { headers: { "content-type": "application/zip" } })
      : new Response("not found", { status: 404, statusText: "Not Found" });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { server, requests, url: `${base}/air+quality.zip`, base };
}

/** A temporary folder laid out like a checkout with no `../shared` beside it. */
async function withTempRepo(fn: (dirs: { repoRoot: string; cacheDir: string }) => Promise<void>) {
  const tmp = await Deno.makeTempDir({ prefix: "airq_source_test_" });
  try {
    await fn({ repoRoot: join(tmp, "repo"), cacheDir: join(tmp, "cache") });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** No AIRQ_DATASET, whatever the test run sets: these tests choose every input. */
const NO_ENV = () => undefined;

const head = await Deno.readFile(HEAD);
const headSha = await sha256Hex(head);
const uciZip = zipSync({
  [UCI_CSV_NAME]: head,
  "AirQualityUCI.xlsx": new Uint8Array([0x50, 0x4b, 0x03, 0x04]),
});

Deno.test("resolveDatasetPath() prefers the explicit path and checks that it exists", async () => {
  await withTempRepo(async ({ repoRoot, cacheDir }) => {
    const found = await resolveDatasetPath({ env: NO_ENV, explicitPath: HEAD, repoRoot, cacheDir });
    assert.deepEqual(found, { path: HEAD, origin: "explicit" });
    const missing = join(cacheDir, "nope.csv");
    await assert.rejects(
      resolveDatasetPath({ env: NO_ENV, explicitPath: missing, repoRoot, cacheDir }),
      (err: Error) => err.message.includes(`"${missing}" given with --input: no such file`),
    );
  });
});

Deno.test("resolveDatasetPath() takes AIRQ_DATASET before the config and the shared copy", async () => {
  await withTempRepo(async ({ repoRoot, cacheDir }) => {
    const env = (name: string) => name === "AIRQ_DATASET" ? HEAD : undefined;
    const configuredPath = join(cacheDir, "configured.csv");
    const options = { env, repoRoot, cacheDir, url: "http://127.0.0.1:9/x" };
    assert.deepEqual(await resolveDatasetPath({ ...options, configuredPath }), {
      path: HEAD,
      origin: "env",
    });
    const other = join(cacheDir, "other.csv");
    await assert.rejects(
      resolveDatasetPath({ ...options, explicitPath: other }),
      (err: Error) => err.message.includes(`"${other}" given with --input: no such file`),
      "--input wins over AIRQ_DATASET",
    );
    const missing = (name: string) => name === "AIRQ_DATASET" ? other : undefined;
    await assert.rejects(
      resolveDatasetPath({ ...options, env: missing }),
      (err: Error) => err.message.includes(`"${other}" given in AIRQ_DATASET: no such file`),
      "a wrong AIRQ_DATASET is an error, not a silent download",
    );
  });
});

Deno.test("resolveDatasetPath() uses the configured path when no --input or AIRQ_DATASET", async () => {
  await withTempRepo(async ({ repoRoot, cacheDir }) => {
    const options = { env: NO_ENV, repoRoot, cacheDir, url: "http://127.0.0.1:9/x" };
    assert.deepEqual(await resolveDatasetPath({ ...options, configuredPath: HEAD }), {
      path: HEAD,
      origin: "config",
    });
    assert.deepEqual(
      await resolveDatasetPath({ ...options, explicitPath: HEAD, configuredPath: "/nope.csv" }),
      { path: HEAD, origin: "explicit" },
    );
  });
});

Deno.test({
  name: "resolveDatasetPath() says which path it may not read, and what to do",
  permissions: { read: [fileURLToPath(new URL("../fixtures/", import.meta.url))] },
  async fn() {
    const outside = "/etc/hostname";
    await assert.rejects(
      resolveDatasetPath({ env: NO_ENV, explicitPath: outside, cacheDir: "/nowhere" }),
      (err: Error) => {
        assert.match(
          err.message,
          /^Cannot read the dataset "\/etc\/hostname" given with --input: /,
        );
        assert.match(err.message, /Deno permissions \(--allow-read of its task in deno\.json\)/);
        assert.match(err.message, /Copy the file under \$HOME or \/tmp, or pass a local copy/);
        return true;
      },
    );
  },
});

Deno.test("resolveDatasetPath() uses ../shared/data/AirQualityUCI.csv beside the repo", async () => {
  await withTempRepo(async ({ repoRoot, cacheDir }) => {
    const dataDir = join(repoRoot, "..", "shared", "data");
    await Deno.mkdir(dataDir, { recursive: true });
    await Deno.copyFile(HEAD, join(dataDir, UCI_CSV_NAME));
    const found = await resolveDatasetPath({
      env: NO_ENV,
      repoRoot,
      cacheDir,
      url: "http://127.0.0.1:9/x",
    });
    assert.deepEqual(found, { path: join(dataDir, UCI_CSV_NAME), origin: "shared" });
  });
});

Deno.test("resolveDatasetPath() downloads, verifies and caches the CSV, then reuses it", async () => {
  const { server, requests, url } = serveZip(uciZip);
  try {
    await withTempRepo(async ({ repoRoot, cacheDir }) => {
      const options = { env: NO_ENV, repoRoot, cacheDir, url, sha256: headSha };
      const cached = join(cacheDir, UCI_CSV_NAME);

      assert.deepEqual(await resolveDatasetPath(options), { path: cached, origin: "download" });
      assert.deepEqual(await Deno.readFile(cached), head);
      const names = await Array.fromAsync(Deno.readDir(cacheDir), (e) => e.name);
      assert.deepEqual(names, [UCI_CSV_NAME], "no temporary file is left behind");
      assert.equal(requests.length, 1);

      assert.deepEqual(await resolveDatasetPath(options), { path: cached, origin: "cache" });
      assert.equal(requests.length, 1, "the second call makes no request");

      await Deno.writeTextFile(cached, "truncated");
      assert.deepEqual(await resolveDatasetPath(options), { path: cached, origin: "download" });
      assert.equal(requests.length, 2, "a cached file with the wrong hash is fetched again");
      assert.equal((await Array.fromAsync(readUciFile(cached))).length, 48);
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("resolveDatasetPath() refuses a download whose SHA-256 does not match", async () => {
  const { server, url } = serveZip(uciZip);
  const wrong = "0".repeat(64);
  try {
    await withTempRepo(async ({ repoRoot, cacheDir }) => {
      await assert.rejects(
        resolveDatasetPath({ env: NO_ENV, repoRoot, cacheDir, url, sha256: wrong }),
        (err) => {
          assert.ok(err instanceof Error);
          assert.match(err.message, new RegExp(`SHA-256 ${headSha}, expected ${wrong}`));
          assert.match(err.message, /the file was not used/);
          assert.match(err.message, /--input PATH/);
          return true;
        },
      );
      await assert.rejects(Deno.stat(cacheDir), Deno.errors.NotFound);
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("resolveDatasetPath() explains HTTP, network and zip failures", async (t) => {
  const { server, base, url } = serveZip(zipSync({ "README.txt": new Uint8Array([104, 105]) }));
  try {
    await withTempRepo(async ({ repoRoot, cacheDir }) => {
      const resolveFrom = (url: string) =>
        resolveDatasetPath({ env: NO_ENV, repoRoot, cacheDir, url });
      await t.step("HTTP 404", async () => {
        await assert.rejects(
          resolveFrom(`${base}/missing.zip`),
          /^Error: Cannot download .* from http:\/\/127\.0\.0\.1:\d+\/missing\.zip: HTTP 404 Not Found; check the URL, or .*--input PATH or AIRQ_DATASET=PATH$/,
        );
      });
      await t.step("zip without the CSV", async () => {
        await assert.rejects(resolveFrom(url), /zip downloaded from .* has no AirQualityUCI\.csv/);
      });
    });
  } finally {
    await server.shutdown();
  }
  await t.step("connection refused", async () => {
    await withTempRepo(async ({ repoRoot, cacheDir }) => {
      await assert.rejects(
        resolveDatasetPath({ env: NO_ENV, repoRoot, cacheDir, url: `${base}/air+quality.zip` }),
        /^Error: Cannot download .*; check the network, or pass a local copy/,
      );
    });
  });
});

Deno.test("readUciFile() names the file in parse errors and closes it", async () => {
  await withTempRepo(async ({ cacheDir }) => {
    await Deno.mkdir(cacheDir);
    const bad = join(cacheDir, "bad.csv");
    const text = await Deno.readTextFile(HEAD);
    await Deno.writeTextFile(bad, text.replace("13,6;48,9", "13,6;4?,9"));
    await assert.rejects(
      Array.fromAsync(readUciFile(bad)),
      (err) => err instanceof UciParseError && err.file === "bad.csv" && err.line === 2,
    );
    await assert.rejects(Array.fromAsync(readUciFile(bad, { utcOffset: "CET" })), RangeError);
    const { stream, name } = await openDataset(
      new URL("../fixtures/uci_head.csv", import.meta.url),
    );
    assert.equal(name, "uci_head.csv");
    await stream.cancel();
  });
});

Deno.test({
  name: "defaultCacheDir() reads AIRQ_CACHE_DIR, else HOME",
  permissions: "none",
  fn() {
    const from = (vars: Record<string, string>) => (name: string) => vars[name];
    const both = { AIRQ_CACHE_DIR: "/srv/airq-cache", HOME: "/home/someone" };
    assert.equal(defaultCacheDir(from(both)), "/srv/airq-cache");
    assert.equal(defaultCacheDir(from({ HOME: "/home/someone" })), "/home/someone/.cache/airq");
    assert.equal(defaultCacheDir(from({ AIRQ_CACHE_DIR: "", HOME: "/h" })), "/h/.cache/airq");
    assert.throws(() => defaultCacheDir(from({})), /neither AIRQ_CACHE_DIR nor HOME is set/);
  },
});

Deno.test({
  name: "defaultCacheDir() reads the real environment by default",
  permissions: { env: ["AIRQ_CACHE_DIR", "HOME"] },
  fn() {
    const dir = Deno.env.get("AIRQ_CACHE_DIR");
    const home = Deno.env.get("HOME");
    if (dir || home) assert.equal(defaultCacheDir(), dir || join(home!, ".cache", "airq"));
  },
});
