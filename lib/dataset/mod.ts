/**
 * The UCI Air Quality dataset: find it (explicit path, shared copy, or a verified
 * cached download) and parse its raw CSV into timestamped measurements.
 *
 * ```ts ignore
 * import { readUciFile, resolveDatasetPath } from "./lib/dataset/mod.ts";
 * const { path } = await resolveDatasetPath({ explicitPath: cliInput });
 * for await (const row of readUciFile(path)) {
 *   // row.ts === "2004-03-10T18:00:00+01:00", row.measurements.co_mg_m3 === 2.6, ...
 * }
 * ```
 *
 * `uci_csv.ts` is pure (no `Deno.*`, no network); `source.ts` does the I/O.
 *
 * @module
 */
export {
  type ParseUciBaseOptions,
  parseUciCsv,
  type ParseUciOptions,
  parseUciText,
  UCI_HEADER,
  type UciIssue,
  type UciIssueKind,
  UciParseError,
  type UciRow,
} from "./uci_csv.ts";
export {
  type DatasetOrigin,
  type DatasetStream,
  defaultCacheDir,
  openDataset,
  readUciFile,
  type ResolveDatasetOptions,
  resolveDatasetPath,
  type ResolvedDataset,
  UCI_CSV_NAME,
  UCI_CSV_SHA256,
  UCI_ZIP_URL,
} from "./source.ts";
