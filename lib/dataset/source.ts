/**
 * Where the UCI Air Quality CSV comes from: an explicit path (`--input`), the
 * `AIRQ_DATASET` environment variable, a path from a config file, the shared copy
 * next to the repository, or a verified download cached on disk. This module does
 * I/O (files, network, environment); the parser in `uci_csv.ts` stays pure.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { unzipSync } from "fflate";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseUciCsv, type ParseUciOptions, type UciRow } from "./uci_csv.ts";

/** Official download of the UCI Air Quality dataset (a zip with the CSV and an XLSX). */
export const UCI_ZIP_URL = "https://archive.ics.uci.edu/static/public/360/air+quality.zip";
/** SHA-256 of the raw CRLF `AirQualityUCI.csv`, as measured on the shared copy. */
export const UCI_CSV_SHA256 = "13277ae5d8581e80b7be09d47c7d3d06fe9b8e957078f2cf6e859f955e62f996";
/** File name of the CSV, inside the zip and in the cache. */
export const UCI_CSV_NAME = "AirQualityUCI.csv";

const logger = getLogger(["airq", "dataset", "source"]);
const HINT = `pass a local copy of ${UCI_CSV_NAME} with --input PATH or AIRQ_DATASET=PATH`;

/** Reads one environment variable; `undefined` when unset. */
export type EnvReader = (name: string) => string | undefined;

const realEnv: EnvReader = (name) => Deno.env.get(name);

/** Options of {@linkcode resolveDatasetPath}. */
export interface ResolveDatasetOptions {
  /** Path from the command line (`--input`). When set it wins, and must exist. */
  explicitPath?: string | undefined;
  /** Path from a config file: used, and must exist, when neither `--input` nor `AIRQ_DATASET` is set. */
  configuredPath?: string | null | undefined;
  /** Reads `AIRQ_DATASET`, `AIRQ_CACHE_DIR` and `HOME`. Default: the real environment. */
  env?: EnvReader | undefined;
  /** Repository root; the shared copy is `<root>/../shared/data/AirQualityUCI.csv`. Default: this repository. */
  repoRoot?: string | URL | undefined;
  /** Directory of the download cache. Default: {@linkcode defaultCacheDir}. */
  cacheDir?: string | undefined;
  /** Zip to download. Default {@linkcode UCI_ZIP_URL}. */
  url?: string | undefined;
  /** Expected SHA-256 (hex) of the CSV inside the zip. Default {@linkcode UCI_CSV_SHA256}. */
  sha256?: string | undefined;
  /** Aborts the download. */
  signal?: AbortSignal | undefined;
}

/** Where a resolved dataset path came from. */
export type DatasetOrigin = "explicit" | "env" | "config" | "shared" | "cache" | "download";

/** Result of {@linkcode resolveDatasetPath}. */
export interface ResolvedDataset {
  /** Path of the CSV on disk. */
  readonly path: string;
  /** Which rule chose it. */
  readonly origin: DatasetOrigin;
}

/** An open dataset: its bytes and a short name for error messages. */
export interface DatasetStream {
  /** The file's bytes; cancel it to close the file early. */
  readonly stream: ReadableStream<Uint8Array>;
  /** The file's base name, e.g. `AirQualityUCI.csv`. */
  readonly name: string;
}

/**
 * The download cache directory: `$AIRQ_CACHE_DIR`, else `$HOME/.cache/airq`.
 * Tests pass `env`.
 *
 * @throws {Error} if neither variable is set.
 */
export function defaultCacheDir(env: EnvReader = realEnv): string {
  const dir = env("AIRQ_CACHE_DIR");
  if (dir) return dir;
  const home = env("HOME");
  if (home) return join(home, ".cache", "airq");
  throw new Error(
    `Cannot choose a cache directory for the dataset: neither AIRQ_CACHE_DIR nor HOME is set; set one, or ${HINT}`,
  );
}

/**
 * Finds the UCI CSV, first rule that applies:
 * 1. `explicitPath` (`--input`), 2. `$AIRQ_DATASET`, 3. `configuredPath`: each must
 *    be a readable file, else a clear error (no fallback to the rules below);
 * 4. the shared copy at `../shared/data/AirQualityUCI.csv` beside the repository;
 * 5. a cached download, whose SHA-256 is checked on every use. A missing or stale
 *    cache is filled from `url`, the CSV taken out of the zip, checked, and written
 *    atomically.
 *
 * @throws {Error} if a given path does not exist or cannot be read, the download
 *   fails, or the downloaded CSV has the wrong hash (then nothing is written).
 */
export async function resolveDatasetPath(
  options: ResolveDatasetOptions = {},
): Promise<ResolvedDataset> {
  const env = options.env ?? realEnv;
  const given: [string | null | undefined, DatasetOrigin, string][] = [
    [options.explicitPath, "explicit", "given with --input"],
    [env("AIRQ_DATASET") || undefined, "env", "given in AIRQ_DATASET"],
    [options.configuredPath, "config", "set in the config (config/producer.json input)"],
  ];
  for (const [path, origin, where] of given) {
    if (path === undefined || path === null) continue;
    if (!await isReadableFile(path, where)) {
      throw new Error(
        `Cannot read the dataset "${path}" ${where}: no such file; check the path, or unset it to use the shared copy, the cache or a download`,
      );
    }
    return { path, origin };
  }
  const root = options.repoRoot ?? new URL("../../", import.meta.url);
  const shared = resolve(toPath(root), "..", "shared", "data", UCI_CSV_NAME);
  if (await isReadableFile(shared, "(the shared copy beside the repository)")) {
    return { path: shared, origin: "shared" };
  }

  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  const url = options.url ?? UCI_ZIP_URL;
  const expected = (options.sha256 ?? UCI_CSV_SHA256).toLowerCase();
  const target = join(cacheDir, UCI_CSV_NAME);
  if (await isReadableFile(target, "(the download cache; AIRQ_CACHE_DIR moves it)")) {
    const actual = await sha256Hex(await Deno.readFile(target));
    if (actual === expected) return { path: target, origin: "cache" };
    logger.warn("Cached {path} has SHA-256 {actual}, expected {expected}; downloading it again", {
      path: target,
      actual,
      expected,
    });
  }
  logger.info("Downloading the UCI Air Quality dataset from {url}", { url });
  const csv = extractCsv(await download(url, options.signal), url);
  const actual = await sha256Hex(csv);
  if (actual !== expected) {
    throw new Error(
      `The ${UCI_CSV_NAME} downloaded from ${url} has SHA-256 ${actual}, expected ${expected}; ` +
        `the file was not used and nothing was written to ${cacheDir}. ` +
        `If you have checked a copy yourself, ${HINT}`,
    );
  }
  await writeAtomically(cacheDir, target, csv);
  logger.info("Cached the dataset at {path}", { path: target });
  return { path: target, origin: "download" };
}

/**
 * Opens a dataset file as a byte stream. The file closes when the stream ends or
 * is cancelled.
 */
export async function openDataset(path: string | URL): Promise<DatasetStream> {
  const file = await Deno.open(path);
  return { stream: file.readable, name: basename(toPath(path)) };
}

/**
 * Reads and parses a UCI CSV file, one {@linkcode UciRow} at a time; errors name
 * the file by its base name unless `options.file` says otherwise.
 */
export async function* readUciFile(
  path: string | URL,
  options: ParseUciOptions = {},
): AsyncGenerator<UciRow, void, undefined> {
  const { stream, name } = await openDataset(path);
  let rows: AsyncGenerator<UciRow, void, undefined>;
  try {
    rows = parseUciCsv(stream, { ...options, file: options.file ?? name });
  } catch (err) {
    await stream.cancel();
    throw err;
  }
  yield* rows;
}

function toPath(path: string | URL): string {
  return typeof path === "string" ? path : fileURLToPath(path);
}

/**
 * Whether `path` is a file this process can open: false when it does not exist;
 * an error that names the path and what to do when it exists but cannot be read,
 * by the operating system (file mode) or by Deno (the task's `--allow-read`).
 */
async function isReadableFile(path: string, where: string): Promise<boolean> {
  try {
    if (!(await Deno.stat(path)).isFile) return false;
    (await Deno.open(path)).close();
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw readError(path, where, err);
  }
}

function readError(path: string, where: string, err: unknown): Error {
  const what = err instanceof Deno.errors.NotCapable
    ? `this command's Deno permissions (--allow-read of its task in deno.json) do not cover it. Copy the file under $HOME or /tmp`
    : err instanceof Deno.errors.PermissionDenied
    ? `permission denied by the file system. Make it readable (chmod a+r "${path}")`
    : `${err instanceof Error ? err.message : String(err)}. Check it`;
  return new Error(
    `Cannot read the dataset "${path}" ${where}: ${what}, or ${HINT}`,
    { cause: err },
  );
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function download(url: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const fail = (why: string, hint: string, cause?: unknown) =>
    new Error(
      `Cannot download the UCI Air Quality dataset from ${url}: ${why}; ${hint}${HINT}`,
      cause === undefined ? undefined : { cause },
    );
  const message = (err: unknown) => err instanceof Error ? err.message : String(err);
  let response: Response;
  try {
    response = await fetch(url, signal === undefined ? {} : { signal });
  } catch (err) {
    throw fail(message(err), "check the network, or ", err);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw fail(`HTTP ${response.status} ${response.statusText}`.trim(), "check the URL, or ");
  }
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (err) {
    throw fail(message(err), "check the network, or ", err);
  }
}

function extractCsv(zip: Uint8Array, url: string): Uint8Array<ArrayBuffer> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip, {
      filter: (f) => !f.name.startsWith("__MACOSX/") && f.name.split("/").pop() === UCI_CSV_NAME,
    });
  } catch (err) {
    throw new Error(
      `Cannot unzip the file downloaded from ${url}: ${
        err instanceof Error ? err.message : String(err)
      }; ${HINT}`,
      { cause: err },
    );
  }
  const csv = Object.values(entries)[0];
  if (csv === undefined) {
    throw new Error(`The zip downloaded from ${url} has no ${UCI_CSV_NAME}; ${HINT}`);
  }
  return new Uint8Array(csv);
}

async function writeAtomically(dir: string, target: string, bytes: Uint8Array): Promise<void> {
  let temp: string;
  try {
    await Deno.mkdir(dir, { recursive: true });
    temp = await Deno.makeTempFile({ dir, prefix: `${UCI_CSV_NAME}.`, suffix: ".part" });
  } catch (err) {
    if (!(err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable)) {
      throw err;
    }
    throw new Error(
      `Cannot cache the downloaded dataset in "${dir}": ${
        err instanceof Deno.errors.NotCapable
          ? "this task may not write there"
          : "permission denied"
      }; set AIRQ_CACHE_DIR to a writable folder, or ${HINT}`,
      { cause: err },
    );
  }
  try {
    await Deno.writeFile(temp, bytes);
    await Deno.rename(temp, target);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}
